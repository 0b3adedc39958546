"""WebhookFunction: `POST /v1/providers/{provider}/articles`, verified, validated, stored once.

Takes API Gateway REST (v1) and HTTP API (v2) proxy events. Every answer, a fault of ours
included, is a JSON body (`handlers.http`); what a client sends can only ever earn a 4xx.
"""

from __future__ import annotations

import os
import re
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.handlers import http, signed
from clearance.handlers.http import Edge, HttpResolver, RestResolver
from clearance.ingest.intake import Refusal
from clearance.ingest.signature import SecretError
from clearance.services import wiring
from clearance.services.config import WebhookConfig
from clearance.services.observability import AnswerMetric, logger, tracer
from clearance.services.webhook import Webhook, refused

ROUTE = "/v1/providers/<provider>/articles"
_ROUTE_SHAPE = re.compile(r"/v1/providers/[^/]+/articles")

EDGE = Edge(
    "webhook",
    AnswerMetric.WEBHOOK,
    "delivery",
    by_provider=True,
    misconfigured={SecretError: "webhook secret is unusable"},
)


def _routes(app: RestResolver | HttpResolver) -> RestResolver | HttpResolver:
    @app.post(ROUTE)
    def post_article(provider: str) -> Response[str]:
        webhook: Webhook | None = app.context.get("webhook")
        work = webhook or wiring.build_webhook(WebhookConfig.from_env(os.environ))
        return http.response(work.deliver(signed.request(app.current_event, provider)))

    @app.not_found
    def not_found(_: NotFoundError) -> Response[str]:
        event = app.current_event
        if event.http_method.upper() != "POST" and _ROUTE_SHAPE.fullmatch(event.path):
            refusal = Refusal(405, "method.not-allowed", "Only POST is allowed here.")
        else:
            refusal = Refusal(404, "route.not-found", f"No such route; POST to {ROUTE}.")
        return http.response(refused(refusal))

    return EDGE.serve(app)


REST = _routes(RestResolver())
HTTP_API = _routes(HttpResolver())


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any], context: LambdaContext, webhook: Webhook | None = None
) -> dict[str, Any]:
    app = HTTP_API if event.get("version") == "2.0" else REST
    app.context["webhook"] = webhook
    return app.resolve(event, context)
