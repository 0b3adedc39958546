"""WebhookFunction: `POST /v1/providers/{provider}/articles`, verified, validated, stored once.

Takes API Gateway REST (v1) and HTTP API (v2) proxy events. Every answer, a fault of ours
included, is a JSON body; what a client sends can only ever earn a 4xx.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from aws_lambda_powertools.event_handler import (
    APIGatewayHttpResolver,
    APIGatewayRestResolver,
    Response,
)
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from clearance.contracts import media
from clearance.ingest import intake
from clearance.ingest.intake import Answer, Refusal, Request
from clearance.ingest.signature import SecretError
from clearance.services.config import WebhookConfig
from clearance.services.observability import logger, metrics, tracer
from clearance.services.webhook import Webhook, count, default_webhook, refused

ROUTE = "/v1/providers/<provider>/articles"
_ROUTE_SHAPE = re.compile(r"/v1/providers/[^/]+/articles")
_JSON = media.JSON


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
        count(None, 503)
        return Answer(503, refusal.answer.body, {"Retry-After": "30"})
    if isinstance(error, SecretError):
        logger.exception("webhook secret is unusable")
        refusal = Refusal(500, "server.misconfigured", "The webhook is misconfigured.")
    else:
        logger.exception("webhook failed")
        refusal = Refusal(500, "server.error", "The delivery could not be processed.")
    count(None, 500)
    return refusal.answer


def _request(event: BaseProxyEvent, provider: str) -> Request:
    return Request(
        provider=provider,
        headers=intake.fold_headers(event.get("headers"), event.get("multiValueHeaders")),
        body=event.body,
        base64_encoded=bool(event.is_base64_encoded),
    )


def _resolver(app: ApiGatewayResolver) -> ApiGatewayResolver:
    @app.post(ROUTE)
    def post_article(provider: str) -> Response[str]:
        webhook: Webhook | None = app.context.get("webhook")
        webhook = webhook or default_webhook(WebhookConfig.from_env(os.environ))
        return _response(webhook.deliver(_request(app.current_event, provider)))

    @app.not_found
    def not_found(_: NotFoundError) -> Response[str]:
        event = app.current_event
        if event.http_method.upper() != "POST" and _ROUTE_SHAPE.fullmatch(event.path):
            refusal = Refusal(405, "method.not-allowed", "Only POST is allowed here.")
        else:
            refusal = Refusal(404, "route.not-found", f"No such route; POST to {ROUTE}.")
        return _response(refused(refusal))

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
