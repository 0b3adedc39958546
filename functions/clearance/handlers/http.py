"""The one HTTP edge of every HTTP function (webhook, kill, review, audit review).

Each function names itself once (`Edge`): its name in the logs, the metric its answers are
counted under, the work a fault interrupts. Every error is the one JSON body,
`{"error": {"code", "message", ...}}`. A fault of ours that a retry may cure (AWS unavailable or
throttling us, an article too busy to change) is a 503 with `Retry-After`; a bug is a 500; both
are logged in full under the function's name, counted under its metric, and answered without a
word of their cause.

Each handler builds its resolvers once, at import, as on Lambda; the local gateway runs each
function's invocations one at a time, as Lambda does. Powertools keeps the event being resolved
on a class attribute that every resolver in a process shares, and the local stack runs every
function in one process, so the resolvers here hold their event themselves: one function's
request is never read by another's routes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    APIGatewayRestResolver,
    Response,
)
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
from aws_lambda_powertools.utilities.data_classes import (
    APIGatewayProxyEvent,
    APIGatewayProxyEventV2,
)
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from clearance.contracts import media
from clearance.handlers.callers import Caller, caller_of
from clearance.services.observability import AnswerMetric, count_answer, logger

RETRY_AFTER_SECONDS = 30
UNAVAILABLE = "Storage is unavailable; retry later."
MISCONFIGURED = "The service is misconfigured."
RETRYABLE: tuple[type[Exception], ...] = (ClientError, BotoCoreError)
"""AWS unavailable, or throttling us: a retry may succeed."""

Resolver = TypeVar("Resolver", bound=ApiGatewayResolver)


class Answered(Protocol):
    """An answer a service gives (`ingest.answers.Answer`): status, JSON body, extra headers."""

    @property
    def status(self) -> int: ...

    @property
    def body(self) -> Mapping[str, Any]: ...

    @property
    def headers(self) -> Mapping[str, str]: ...


class RestResolver(APIGatewayRestResolver):
    """API Gateway REST (v1) proxy events, the event being resolved held by this resolver."""

    _event: APIGatewayProxyEvent

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        self._event = cast(APIGatewayProxyEvent, self._to_proxy_event(dict(event)))
        return super().resolve(event, context)

    @property
    def current_event(self) -> APIGatewayProxyEvent:
        return self._event

    @current_event.setter
    def current_event(self, event: BaseProxyEvent) -> None:
        self._event = cast(APIGatewayProxyEvent, event)


class HttpResolver(APIGatewayHttpResolver):
    """API Gateway HTTP API (payload 2.0) events, the event being resolved held by this
    resolver."""

    _event: APIGatewayProxyEventV2

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        self._event = cast(APIGatewayProxyEventV2, self._to_proxy_event(dict(event)))
        return super().resolve(event, context)

    @property
    def current_event(self) -> APIGatewayProxyEventV2:
        return self._event

    @current_event.setter
    def current_event(self, event: BaseProxyEvent) -> None:
        self._event = cast(APIGatewayProxyEventV2, event)


def response(answer: Answered, *, ensure_ascii: bool = True) -> Response[str]:
    """A service's answer as the JSON response API Gateway passes on."""
    return Response(
        status_code=answer.status,
        content_type=media.JSON,
        body=json.dumps(answer.body, sort_keys=True, ensure_ascii=ensure_ascii),
        headers=dict(answer.headers),
    )


def error(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    **details: Any,
) -> Response[str]:
    """The one error body of every HTTP function."""
    body = {"error": {"code": code, "message": message, **details}}
    return response(_Answer(status, body, headers or {}))


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Edge:
    """One HTTP function as its callers and operators see it.

    `work` names what a bug interrupts ("The delivery could not be processed."); `retryable`
    and `misconfigured` add the function's own faults (by type; a misconfiguration with the
    line it is logged as) to AWS's. Every answer is counted once under `metric`, by provider
    too where `by_provider`: a service that answers providers (the webhook's, the kill's) counts
    its own answers, since it knows the provider; the edge counts every other.
    """

    name: str
    metric: AnswerMetric
    work: str
    by_provider: bool = False
    retryable: tuple[type[Exception], ...] = ()
    misconfigured: Mapping[type[Exception], str] = field(default_factory=dict)

    def serve(self, app: Resolver) -> Resolver:
        """The resolver, with every exception its routes raise answered by `fault`."""
        app.exception_handler(Exception)(self.fault)
        return app

    def fault(self, failure: Exception) -> Response[str]:
        """Our own failure, never the caller's: logged in full, answered without its text."""
        misconfigured = [
            line for kind, line in self.misconfigured.items() if isinstance(failure, kind)
        ]
        if isinstance(failure, RETRYABLE + self.retryable):
            logger.exception(f"{self.name} failed; a retry may succeed")
            retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            self.count(503)
            return error(503, "server.unavailable", UNAVAILABLE, retry)
        if misconfigured:
            logger.exception(misconfigured[0])
            self.count(500)
            return error(500, "server.misconfigured", MISCONFIGURED)
        logger.exception(f"{self.name} failed")
        self.count(500)
        return error(500, "server.error", f"The {self.work} could not be processed.")

    def admit_callers(
        self, app: ApiGatewayResolver, desk_client_id: Callable[[], str | None]
    ) -> None:
        """Every route of `app` answers only a caller API Gateway vouches for (`callers`): a
        person's token issued to the console's app client (`desk_client_id`) or an IAM
        identity; the caller is `app.context["caller"]` for the route, anyone else refused."""

        def admitted(app: ApiGatewayResolver, next_middleware: NextMiddleware) -> Response[str]:
            event = app.current_event.raw_event
            found = caller_of(event.get("requestContext") or {}, desk_client_id())
            if not isinstance(found, Caller):
                return self.refuse(found.status, found.code, found.message)
            app.context["caller"] = found
            return cast("Response[str]", next_middleware(app))

        app.use(middlewares=[admitted])

    def refuse(self, status: int, code: str, message: str, **details: Any) -> Response[str]:
        """A request the edge itself refuses (no such route, no caller, a malformed body)."""
        logger.info("refused", extra={"status": status, "code": code})
        self.count(status)
        return error(status, code, message, **details)

    def answer(self, answer: Answered, *, ensure_ascii: bool = True) -> Response[str]:
        """The answer of a service that counts none of its own, counted."""
        self.count(answer.status)
        return response(answer, ensure_ascii=ensure_ascii)

    def reply(
        self, status: int, body: Mapping[str, Any], *, ensure_ascii: bool = True
    ) -> Response[str]:
        """The function's own answer, counted."""
        return self.answer(_Answer(status, body), ensure_ascii=ensure_ascii)

    def count(self, status: int, provider: str | None = None) -> None:
        if self.by_provider:
            count_answer(self.metric, status, provider=provider or "unknown")
        else:
            count_answer(self.metric, status)
