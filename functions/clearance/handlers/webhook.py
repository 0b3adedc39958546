"""WebhookFunction: `POST /v1/providers/{provider}/articles`, verified, validated, stored once.

Takes API Gateway REST (v1) and HTTP API (v2) proxy events. Every answer, a fault of ours
included, is a JSON body; what a client sends can only ever earn a 4xx.

Each invocation builds its own resolver and resolves alone (`handlers.resolving`): Powertools
keeps the event being resolved where every resolver in the process sees it, and concurrent
requests (threads of the local gateway) were answered with one another's articles.
"""

from __future__ import annotations

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
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.handlers import http, resolving
from clearance.ingest.intake import Refusal
from clearance.services.config import WebhookConfig
from clearance.services.observability import logger, tracer
from clearance.services.webhook import Webhook, default_webhook, refused

ROUTE = "/v1/providers/<provider>/articles"
_ROUTE_SHAPE = re.compile(r"/v1/providers/[^/]+/articles")


def _resolver(app: ApiGatewayResolver, webhook: Webhook | None) -> ApiGatewayResolver:
    @app.post(ROUTE)
    def post_article(provider: str) -> Response[str]:
        work = webhook or default_webhook(WebhookConfig.from_env(os.environ))
        return http.response(work.deliver(http.request(app.current_event, provider)))

    @app.not_found
    def not_found(_: NotFoundError) -> Response[str]:
        event = app.current_event
        if event.http_method.upper() != "POST" and _ROUTE_SHAPE.fullmatch(event.path):
            refusal = Refusal(405, "method.not-allowed", "Only POST is allowed here.")
        else:
            refusal = Refusal(404, "route.not-found", f"No such route; POST to {ROUTE}.")
        return http.response(refused(refusal))

    http.answer_faults(app)
    return app


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any], context: LambdaContext, webhook: Webhook | None = None
) -> dict[str, Any]:
    app = APIGatewayHttpResolver() if event.get("version") == "2.0" else APIGatewayRestResolver()
    return resolving.resolve(_resolver(app, webhook), event, context)
