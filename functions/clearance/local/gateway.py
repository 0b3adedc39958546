"""API Gateway played locally: each HTTP request becomes the REST proxy event Lambda receives.

The deployed API is a REST API (v1 proxy events); the handlers see here what they see there, so
nothing behind this module knows it runs on one machine. Routes are a plain list: a new API
resource is one more `Route` line.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socket import AF_INET6
from typing import Any, TextIO, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from aws_lambda_powertools.utilities.typing import LambdaContext

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""API Gateway's own limit on a request body; a larger one never reaches the function."""
MAX_HEADER_BYTES = 10 * 1024
"""API Gateway's limit on the request line and header values together."""
LISTEN_QUEUE = 128
"""Connections the kernel holds while every thread is busy: a burst of 50 is not reset."""

_HOP_BY_HOP = ("content-length", "connection", "transfer-encoding", "keep-alive")
_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Route:
    """One API resource: its template (`/v1/{name}/x`), the handler `module:function`."""

    template: str
    handler: str
    function_name: str
    timeout_seconds: int = 10
    iam: bool = False
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
        timeout_seconds=30,
    ),
    Route("/v1/audit", "clearance.handlers.audit_review:handler", "AuditReviewFunction", iam=True),
    Route(
        "/v1/audit/articles/{id}",
        "clearance.handlers.audit_review:handler",
        "AuditReviewFunction",
        iam=True,
    ),
    Route("/v1/review", "clearance.handlers.review:handler", "ReviewFunction", iam=True),
    Route(
        "/v1/review/articles/{id}",
        "clearance.handlers.review:handler",
        "ReviewFunction",
        timeout_seconds=30,
        iam=True,
    ),
]
"""The template's API resources. IAM authorisation is not checked locally: the IAM routes see
the caller the local stack was given (`clearance serve --reviewer`), as API Gateway would pass
the signed caller's identity."""


_invocation = threading.local()


@contextmanager
def function_scope(function_name: str) -> Iterator[None]:
    """Marks this thread as running a function, so `FunctionOutput` can route its prints."""
    previous = getattr(_invocation, "function", None)
    _invocation.function = function_name
    try:
        yield
    finally:
        _invocation.function = previous


class FunctionOutput(io.TextIOBase):
    """A `sys.stdout` or `sys.stderr` that keeps the functions' output apart, as Lambda sends
    it to CloudWatch Logs: what a thread writes while it runs a function goes to `functions`,
    everything else to `console`.
    """

    def __init__(self, console: TextIO, functions: TextIO) -> None:
        super().__init__()
        self.console = console
        self.functions = functions
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        if getattr(_invocation, "function", None) is None:
            return self.console.write(text)
        with self._lock:
            return self.functions.write(text)

    def flush(self) -> None:
        self.console.flush()
        with self._lock:
            self.functions.flush()

    def isatty(self) -> bool:
        return self.console.isatty()

    def writable(self) -> bool:
        return True


class LocalContext(LambdaContext):
    """What Lambda passes as `context`: names, a fresh request id, and the time left."""

    def __init__(self, function_name: str, timeout_seconds: int, memory_mb: int = 512) -> None:
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self._function_name = function_name
        self._function_version = "$LATEST"
        self._invoked_function_arn = arn
        self._memory_limit_in_mb = memory_mb
        self._aws_request_id = str(uuid.uuid4())
        self._log_group_name = f"/aws/lambda/{function_name}"
        self._log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def rest_event(
    *,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    route: Route,
    parameters: Mapping[str, str],
    source_ip: str,
    stage: str,
    request_id: str,
    now: datetime,
    caller: str | None = None,
) -> dict[str, Any]:
    """The API Gateway REST proxy event for one request, as the deployed function gets it.

    `headers` keeps the last of repeated values and `multiValueHeaders` all of them, as API
    Gateway does; a body that is not UTF-8 text arrives base64-encoded.
    """
    split = urlsplit(target)
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in headers:
        single[name] = value
        multi.setdefault(name, []).append(value)
    query = parse_qsl(split.query, keep_blank_values=True)
    query_single = {name: value for name, value in query} or None
    query_multi: dict[str, list[str]] = {}
    for name, value in query:
        query_multi.setdefault(name, []).append(value)
    text, encoded = _event_body(body)
    return {
        "resource": route.template,
        "path": split.path,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": query_single,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": dict(parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": _header(single, "host") or "localhost",
            "domainPrefix": "local",
            "extendedRequestId": request_id,
            "httpMethod": method,
            "identity": {
                "sourceIp": source_ip,
                "userAgent": _header(single, "user-agent"),
                **({"userArn": caller, "caller": caller} if route.iam and caller else {}),
            },
            "path": f"/{stage}{split.path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "resourceId": "local",
            "resourcePath": route.template,
            "stage": stage,
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


def _event_body(body: bytes) -> tuple[str | None, bool]:
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def reply_from(response: Any, request_id: str) -> Reply:
    """The HTTP answer for a proxy integration's result; a malformed result is a 502."""
    if not isinstance(response, dict) or not isinstance(response.get("statusCode"), int):
        return gateway_error(502, "Internal server error", request_id)
    headers: list[tuple[str, str]] = []
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers += [(str(name), str(value)) for value in values]
    seen = {name.lower() for name, _ in headers}
    headers += [
        (str(name), str(value))
        for name, value in (response.get("headers") or {}).items()
        if name.lower() not in seen
    ]
    headers = [(n, v) for n, v in headers if n.lower() not in _HOP_BY_HOP]
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    headers.append(("x-amzn-RequestId", request_id))
    raw = response.get("body") or ""
    try:
        body = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
    except ValueError:
        return gateway_error(502, "Internal server error", request_id)
    return Reply(response["statusCode"], headers, body)


def gateway_error(status: int, message: str, request_id: str) -> Reply:
    """An answer from the gateway itself, shaped as API Gateway shapes its own errors."""
    body = json.dumps({"message": message}).encode()
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
    return Reply(status, headers, body)


def refusal(status: int, code: str, message: str, **details: Any) -> Reply:
    """A request the gateway refuses itself, in the body every function answers errors with:
    `{"error": {"code", "message", ...}}`, as the template's gateway responses shape them."""
    error = {"code": code, "message": message, **details}
    body = json.dumps({"error": error}, sort_keys=True).encode()
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    return Reply(status, headers, body)


def too_large_body() -> Reply:
    return refusal(
        413,
        "body.too-large",
        f"The body is larger than the {MAX_PAYLOAD_BYTES} bytes accepted.",
        limit=MAX_PAYLOAD_BYTES,
    )


def too_large_headers() -> Reply:
    return refusal(
        431,
        "headers.too-large",
        f"The request line and headers are larger than the {MAX_HEADER_BYTES} bytes accepted.",
        limit=MAX_HEADER_BYTES,
    )


_REFUSED = {
    400: ("request.malformed", "The request is not well-formed HTTP."),
    408: ("request.timeout", "The request was not received in time."),
    414: ("request.uri-too-long", "The request line is too long."),
    501: ("method.not-allowed", "That method is not supported here."),
}


def not_found(request_id: str) -> Reply:
    error = {"code": "route.not-found", "message": "No such route on this API."}
    body = json.dumps({"error": error}, sort_keys=True).encode()
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
    return Reply(404, headers, body)


class Gateway(ThreadingHTTPServer):
    """A threading HTTP server that routes each request to a Lambda handler in this process."""

    daemon_threads = True
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
    ) -> None:
        if ":" in host:
            self.address_family = AF_INET6
        self.routes = list(routes)
        self.stage = stage
        self.log = log
        self.caller = caller
        self.keep = keep
        self._handlers: dict[str, LambdaHandler] = {}
        super().__init__((host, port), _RequestHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def invoke(self, route: Route, event: dict[str, Any]) -> Any:
        handler = self._handlers.get(route.handler)
        if handler is None:
            handler = self._handlers[route.handler] = route.load()
        with function_scope(route.function_name):
            return handler(event, LocalContext(route.function_name, route.timeout_seconds))

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
        for route in self.routes:
            parameters = route.match(path)
            if parameters is None:
                continue
            event = rest_event(
                method=method,
                target=target,
                headers=headers,
                body=body,
                route=route,
                parameters=parameters,
                source_ip=source_ip,
                stage=self.stage,
                request_id=request_id,
                now=datetime.now(UTC),
                caller=self.caller,
            )
            try:
                response = self.invoke(route, event)
            except Exception as error:  # noqa: BLE001 - a crashed function is API Gateway's 502
                self.note(f"{route.function_name} failed: {type(error).__name__}: {error}")
                return gateway_error(502, "Internal server error", request_id)
            reply = reply_from(response, request_id)
            return reply if self.keep is None else self._kept(self.keep, route, reply)
        return not_found(request_id)

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
    server: Gateway
    protocol_version = "HTTP/1.1"

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
            error, text = _REFUSED.get(code, ("request.invalid", message or "Bad request."))
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
            self._refuse(refusal(400, *_REFUSED[400]))
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
                self._refuse(refusal(400, *_REFUSED[400]))
                return None
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_PAYLOAD_BYTES:
                self._refuse(too_large_body())
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
