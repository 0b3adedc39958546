"""API Gateway played locally: each HTTP request becomes the REST proxy event Lambda receives.

The deployed API is a REST API (v1 proxy events); the handlers see here what they see there, so
nothing behind this module knows it runs on one machine. Routes are a plain list: a new API
resource is one more `Route` line, with the API key and throttles the template gives it.
Connections are read whole within deadlines before a worker serves them (`connections`); a route
that needs an API key spends the key's own budget, then the route's (`usage`). Each function's
invocations run one at a time, as in one Lambda container: what a handler keeps between
invocations (its resolver, its collaborators) serves one request at a time here too.
"""

from __future__ import annotations

import importlib
import io
import re
import socket
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from clearance.handlers.callers import DESK
from clearance.local.cognito import TokenCheck, unauthorized
from clearance.local.connections import (
    IDLE_SECONDS,
    REQUEST_SECONDS,
    AnswerWriter,
    Connections,
    Exchange,
)
from clearance.local.console import ConsoleSite
from clearance.local.limits import context
from clearance.local.output import FunctionOutput, function_scope
from clearance.local.proxy import (
    MAX_HEADER_BYTES,
    MAX_PAYLOAD_BYTES,
    REFUSED,
    Caller,
    LambdaHandler,
    LocalContext,
    Reply,
    gateway_error,
    header,
    not_found,
    refusal,
    reply_from,
    rest_event,
    too_large_body,
    too_large_headers,
)
from clearance.local.usage import API_KEY_HEADER, ApiKeys, Budgets, Throttle, invalid_api_key
from clearance.local.usage import throttled as throttled_reply

__all__ = [
    "MAX_HEADER_BYTES",
    "MAX_PAYLOAD_BYTES",
    "ROUTES",
    "FunctionOutput",
    "Gateway",
    "LambdaHandler",
    "LocalContext",
    "Reply",
    "Route",
    "Throttle",
    "function_scope",
]

LISTEN_QUEUE = 128
"""Connections the kernel holds while the accepting thread is busy: a burst of 50 is not reset."""

_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Route:
    """One API resource: its template (`/v1/{name}/x`), the handler `module:function`, and
    how API Gateway guards it."""

    template: str
    handler: str
    function_name: str
    iam: bool = False
    people: bool = False
    """The Cognito authorizer: a person's valid ID token in Authorization, else a 401."""
    api_key: bool = False
    """API Gateway refuses a request without a known API key (`x-api-key`) before any budget."""
    throttle: Throttle | None = None
    """The stage's method throttle: one budget for every caller of the route."""
    key_throttle: Throttle | None = None
    """The usage plan's throttle of the route: one budget per API key, spent first."""
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = _PARAMETER.split(self.template)
        regex = "".join(
            re.escape(part) if index % 2 == 0 else f"(?P<{part}>[^/]+)"
            for index, part in enumerate(parts)
        )
        object.__setattr__(self, "pattern", re.compile(regex))

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items()}

    def load(self) -> LambdaHandler:
        """The handler, imported on first use, after the environment has been set."""
        module, _, name = self.handler.partition(":")
        return cast(LambdaHandler, getattr(importlib.import_module(module), name))


ROUTES: list[Route] = [
    Route(
        "/v1/providers/{provider}/articles", "clearance.handlers.webhook:handler", "WebhookFunction"
    ),
    Route(
        "/v1/providers/{provider}/articles/{id}/kill",
        "clearance.handlers.kill:handler",
        "KillFunction",
        api_key=True,
        throttle=Throttle(rate=50, burst=50),
        key_throttle=Throttle(rate=5, burst=5),
    ),
    Route("/v1/audit", "clearance.handlers.audit_review:handler", "AuditReviewFunction", iam=True),
    Route(
        "/v1/audit/articles/{id}",
        "clearance.handlers.audit_review:handler",
        "AuditReviewFunction",
        iam=True,
    ),
    Route(
        "/v1/audit/kills",
        "clearance.handlers.audit_review:handler",
        "AuditReviewFunction",
        iam=True,
    ),
    Route(
        "/v1/audit/verification",
        "clearance.handlers.audit_review:handler",
        "AuditReviewFunction",
        iam=True,
    ),
    Route("/v1/review", "clearance.handlers.review:handler", "ReviewFunction", iam=True),
    Route(
        "/v1/review/articles/{id}",
        "clearance.handlers.review:handler",
        "ReviewFunction",
        iam=True,
    ),
]
"""The template's API resources. IAM authorisation is not checked locally: the IAM routes see
the caller the local stack was given (`clearance serve --reviewer`), as API Gateway would pass
the signed caller's identity. The kill route needs the provider's API key and has the template's
budgets (tests/integration/test_template.py holds them equal); the other routes' stage throttles
are left out, so local load tests and benchmarks measure the service, not the throttle. Each IAM
route is also a Cognito route under `/desk`, for people signed in to the console: their tokens
are checked as API Gateway checks them (`cognito.TokenCheck`)."""
ROUTES += [
    replace(route, template=DESK + route.template, iam=False, people=True)
    for route in ROUTES
    if route.iam
]


class Gateway(HTTPServer):
    """An HTTP server that routes each whole request to a Lambda handler in this process.

    `api_keys` maps key values to key ids (default: the development key of every provider);
    `idle_seconds` and `request_seconds` bound how long a client may take to send a request.
    """

    request_queue_size = LISTEN_QUEUE

    def __init__(
        self,
        host: str,
        port: int,
        routes: Sequence[Route] = ROUTES,
        *,
        stage: str = "dev",
        log: Callable[[str], None] | None = None,
        caller: str | None = None,
        keep: Callable[[Route, Reply], Reply] | None = None,
        api_keys: Mapping[str, str] | None = None,
        idle_seconds: float = IDLE_SECONDS,
        request_seconds: float = REQUEST_SECONDS,
    ) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.routes = list(routes)
        self.stage = stage
        self.log = log
        self.caller = caller
        self.keep = keep
        self.api_keys = ApiKeys(api_keys)
        self.token_check: TokenCheck | None = None
        """Set once the local pool exists; until then every Cognito route answers 401."""
        self.console: ConsoleSite | None = None
        self.budgets = Budgets()
        self._handlers: dict[str, LambdaHandler] = {}
        self._containers: dict[str, threading.Lock] = {}
        super().__init__((host, port), _RequestHandler)
        self.connections = Connections(
            self._serve, idle_seconds=idle_seconds, request_seconds=request_seconds
        )

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def process_request(self, request: Any, client_address: Any) -> None:
        """An accepted connection is read by `connections`, not by a thread of its own."""
        self.connections.add(request, client_address)

    def server_close(self) -> None:
        super().server_close()
        connections = getattr(self, "connections", None)
        if connections is not None:
            connections.close()

    def _serve(self, exchange: Exchange) -> bool:
        """Answers one whole request; True if its connection stays open for the next."""
        handler = _RequestHandler(cast(Any, exchange), exchange.address, self)
        return not handler.close_connection

    def invoke(self, route: Route, event: dict[str, Any]) -> Any:
        """The route's function, invoked once its previous invocation has ended."""
        container = self._containers.setdefault(route.function_name, threading.Lock())
        with container:
            handler = self._handlers.get(route.handler)
            if handler is None:
                handler = self._handlers[route.handler] = route.load()
            with function_scope(route.function_name):
                return handler(event, context(route.function_name))

    def answer(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes,
        source_ip: str,
    ) -> Reply:
        request_id = str(uuid.uuid4())
        path = urlsplit(target).path
        if self.console is not None and self.console.serves(path):
            return self.console.answer(method, path)
        for route in self.routes:
            parameters = route.match(path)
            if parameters is None:
                continue
            caller = Caller(iam=self.caller if route.iam else None)
            if route.people:
                check = self.token_check
                claims = check.claims(header(headers, "authorization")) if check else None
                if claims is None:
                    return unauthorized()
                caller = Caller(claims=claims)
            if route.api_key:
                key = header(headers, API_KEY_HEADER)
                key_id = self.api_keys.identify(key)
                if key_id is None:
                    return invalid_api_key(request_id)
                caller = Caller(api_key=key, api_key_id=key_id)
            if not self._within_budgets(route, caller):
                return throttled_reply(request_id)
            event = rest_event(
                method=method,
                target=target,
                headers=headers,
                body=body,
                resource=route.template,
                parameters=parameters,
                source_ip=source_ip,
                stage=self.stage,
                request_id=request_id,
                now=datetime.now(UTC),
                caller=caller,
            )
            return self._run(route, event, request_id)
        return not_found(request_id)

    def _within_budgets(self, route: Route, caller: Caller) -> bool:
        """Spends the key's own budget on the route, then the route's, as API Gateway does."""
        if route.key_throttle is not None and caller.api_key_id is not None:
            budget = ("key", caller.api_key_id, route.template)
            if not self.budgets.spend(budget, route.key_throttle):
                return False
        return route.throttle is None or self.budgets.spend(
            ("route", route.template), route.throttle
        )

    def _run(self, route: Route, event: dict[str, Any], request_id: str) -> Reply:
        try:
            response = self.invoke(route, event)
        except Exception as error:  # noqa: BLE001 - a crashed function is API Gateway's 502
            self.note(f"{route.function_name} failed: {type(error).__name__}: {error}")
            return gateway_error(502, "Internal server error", request_id)
        reply = reply_from(response, request_id)
        return reply if self.keep is None else self._kept(self.keep, route, reply)

    def _kept(self, keep: Callable[[Route, Reply], Reply], route: Route, reply: Reply) -> Reply:
        """The answer once `keep` has made what it acknowledges durable; a 503 if it could not."""
        try:
            return keep(route, reply)
        except Exception as error:  # noqa: BLE001 - never acknowledge what was not kept
            self.note(f"could not keep {route.function_name}'s answer: {error}")
            unavailable = refusal(
                503, "server.unavailable", "The delivery could not be kept; retry later."
            )
            return Reply(503, [*unavailable.headers, ("Retry-After", "5")], unavailable.body)

    def note(self, line: str) -> None:
        """One line for the server's log, when it keeps one."""
        if self.log is not None:
            self.log(line)


class _RequestHandler(BaseHTTPRequestHandler):
    """One whole request, already read (`Exchange`), answered on its socket."""

    server: Gateway
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        exchange = cast(Exchange, self.request)
        self.connection = exchange.sock
        self.rfile = io.BytesIO(exchange.data)
        self.wfile = AnswerWriter(exchange.sock)

    def handle(self) -> None:
        self.close_connection = True
        self.handle_one_request()

    def handle_expect_100(self) -> bool:
        """`connections` has sent `100 Continue` already, before reading the body."""
        return True

    def parse_request(self) -> bool:
        """The standard parse, then API Gateway's limit on the request line and headers."""
        if not super().parse_request():
            return False
        size = len(self.requestline) + sum(
            len(name) + len(value) for name, value in self.headers.items()
        )
        if size > MAX_HEADER_BYTES:
            self.close_connection = True
            self._send(too_large_headers())
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """What `http.server` refuses on its own (a header line too long, too many headers, a
        malformed request line) is answered in the functions' JSON error body too, with a
        status line even where the request named no HTTP version."""
        self.close_connection = True
        self.request_version = self.protocol_version
        if code == 431:
            reply = too_large_headers()
        else:
            error, text = REFUSED.get(code, ("request.invalid", message or "Bad request."))
            reply = refusal(code, error, text)
        self._send(reply)

    def _serve(self) -> None:
        body = self._body()
        if body is None:
            return
        headers = [(name, value) for name, value in self.headers.items()]
        reply = self.server.answer(
            self.command, self.path, headers, body, str(self.client_address[0])
        )
        self._send(reply)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve  # noqa: N815

    def do_HEAD(self) -> None:
        headers = [(name, value) for name, value in self.headers.items()]
        reply = self.server.answer("HEAD", self.path, headers, b"", str(self.client_address[0]))
        self._send(Reply(reply.status, reply.headers, b""), length=len(reply.body))

    def _body(self) -> bytes | None:
        """The request body, or None once a refusal has been sent (too large, malformed)."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._chunked()
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self._refuse(refusal(400, *REFUSED[400]))
            return None
        if length > MAX_PAYLOAD_BYTES:
            self._refuse(too_large_body())
            return None
        return self.rfile.read(length)

    def _chunked(self) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                self._refuse(refusal(400, *REFUSED[400]))
                return None
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass
                return b"".join(chunks)
            total += size
            if size < 0 or total > MAX_PAYLOAD_BYTES:
                self._refuse(too_large_body() if size > 0 else refusal(400, *REFUSED[400]))
                return None
            chunks.append(self.rfile.read(size))
            self.rfile.readline(8)

    def _refuse(self, reply: Reply) -> None:
        self.close_connection = True
        self._send(reply)

    def _send(self, reply: Reply, length: int | None = None) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body) if length is None else length))
        self.end_headers()
        if reply.body:
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        self.server.note(f"{self.address_string()} {format % args}")
