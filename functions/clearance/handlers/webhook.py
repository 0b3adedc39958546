"""WebhookFunction: `POST /v1/providers/{provider}/articles`, verified, validated, stored once.

Takes API Gateway REST (v1) and HTTP API (v2) proxy events. Every answer, a fault of ours
included, is a JSON body; what a client sends can only ever earn a 4xx.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    APIGatewayRestResolver,
    Response,
)
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from clearance import intake
from clearance.aws import clients
from clearance.aws.secrets import WebhookSecrets
from clearance.aws.store import Bucket, StoredObject
from clearance.handlers.observability import logger, metrics, tracer
from clearance.intake import Accepted, Answer, Receipt, Refusal, Request, SecretSource
from clearance.policy import PolicySet
from clearance.settings import settings
from clearance.signature import SecretError

ROUTE = "/v1/providers/<provider>/articles"
_ROUTE_SHAPE = re.compile(r"/v1/providers/[^/]+/articles")
_JSON = "application/json"


class ObjectStore(Protocol):
    def put_once(self, key: str, data: bytes, content_type: str) -> bool: ...

    def get(self, key: str, version_id: str | None = None) -> StoredObject | None: ...


@dataclass
class Webhook:
    """The webhook's collaborators; tests pass fakes or moto-backed ones to `handler`."""

    store: ObjectStore
    secrets: SecretSource
    policies: PolicySet
    clock: Callable[[], datetime]
    max_body_bytes: int

    def deliver(self, event: BaseProxyEvent, provider: str) -> Answer:
        request = Request(
            provider=provider,
            headers=intake.fold_headers(event.get("headers"), event.get("multiValueHeaders")),
            body=event.body,
            base64_encoded=bool(event.is_base64_encoded),
        )
        outcome = intake.accept(
            request,
            policies=self.policies,
            secrets=self.secrets,
            now=self.clock(),
            max_body_bytes=self.max_body_bytes,
        )
        if isinstance(outcome, Refusal):
            return _refused(outcome)
        logger.append_keys(provider=outcome.provider, article_id=outcome.article_id)
        answer = self.store_once(outcome)
        if isinstance(answer, Refusal):
            return _refused(answer)
        logger.info("accepted", extra={"key": answer.body.get("key"), "status": answer.status})
        _count(outcome.provider, answer.status)
        return answer

    @tracer.capture_method
    def store_once(self, accepted: Accepted) -> Answer | Refusal:
        """Receipt first, then the article; a replay rewrites the article, which is a no-op."""
        if self.store.put_once(accepted.receipt_key, accepted.receipt.to_bytes(), _JSON):
            self.store.put_once(accepted.key, accepted.body, accepted.content_type)
            return accepted.answer
        stored = self.store.get(accepted.receipt_key)
        if stored is None:
            raise LookupError(f"receipt {accepted.receipt_key} vanished after a conflicting put")
        earlier = Receipt.from_bytes(stored.data)
        answer = intake.replay(accepted, earlier)
        if isinstance(answer, Answer):
            logger.info("replayed", extra={"key": earlier.key})
            self.store.put_once(earlier.key, accepted.body, accepted.content_type)
        return answer


@cache
def default_webhook() -> Webhook:
    config = settings()
    return Webhook(
        store=Bucket(clients.s3(), config.inbound_bucket),
        secrets=WebhookSecrets(clients.secretsmanager(), config.secret_prefix),
        policies=PolicySet.load(),
        clock=lambda: datetime.now(UTC),
        max_body_bytes=config.max_body_bytes,
    )


def _refused(refusal: Refusal) -> Answer:
    if refusal.provider:
        logger.append_keys(provider=refusal.provider)
    extra = {"status": refusal.status, "code": refusal.code}
    if refusal.note:
        logger.warning(f"refused: {refusal.note}", extra=extra)
    else:
        logger.info("refused", extra=extra)
    _count(refusal.provider, refusal.status)
    return refusal.answer


def _count(provider: str | None, status: int) -> None:
    metrics.add_dimension(name="provider", value=provider or "unknown")
    metrics.add_dimension(name="status_class", value=f"{status // 100}xx")
    metrics.add_metric(name="WebhookDeliveries", unit=MetricUnit.Count, value=1)


def _response(answer: Answer) -> Response[str]:
    return Response(
        status_code=answer.status,
        content_type=_JSON,
        body=json.dumps(answer.body, sort_keys=True),
        headers=dict(answer.headers),
    )


def _fault(error: Exception) -> Answer:
    """Our own failure: logged in full, answered without a trace of its text."""
    if isinstance(error, ClientError | BotoCoreError):
        logger.exception("AWS call failed")
        refusal = Refusal(503, "server.unavailable", "Storage is unavailable; retry later.")
        _count(None, 503)
        return Answer(503, refusal.answer.body, {"Retry-After": "30"})
    if isinstance(error, SecretError):
        logger.exception("webhook secret is unusable")
        refusal = Refusal(500, "server.misconfigured", "The webhook is misconfigured.")
    else:
        logger.exception("webhook failed")
        refusal = Refusal(500, "server.error", "The delivery could not be processed.")
    _count(None, 500)
    return refusal.answer


def _resolver(app: ApiGatewayResolver) -> ApiGatewayResolver:
    @app.post(ROUTE)
    def post_article(provider: str) -> Response[str]:
        webhook: Webhook = app.context.get("webhook") or default_webhook()
        return _response(webhook.deliver(app.current_event, provider))

    @app.not_found
    def not_found(_: NotFoundError) -> Response[str]:
        event = app.current_event
        if event.http_method.upper() != "POST" and _ROUTE_SHAPE.fullmatch(event.path):
            refusal = Refusal(405, "method.not-allowed", "Only POST is allowed here.")
        else:
            refusal = Refusal(404, "route.not-found", f"No such route; POST to {ROUTE}.")
        return _response(_refused(refusal))

    def fault(error: Exception) -> Response[str]:
        return _response(_fault(error))

    app.exception_handler(Exception)(fault)
    return app


REST = _resolver(APIGatewayRestResolver())
HTTP = _resolver(APIGatewayHttpResolver())


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, webhook: Webhook | None = None
) -> dict[str, Any]:
    app = HTTP if event.get("version") == "2.0" else REST
    app.context["webhook"] = webhook
    return app.resolve(event, context)
