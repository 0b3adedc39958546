"""KillFunction: `POST /v1/providers/{provider}/articles/{id}/kill`, signed like a delivery."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.handlers import http, resolving
from clearance.services.config import KillConfig
from clearance.services.kills import Kills, default_kills
from clearance.services.observability import logger, tracer

ROUTE = "/v1/providers/<provider>/articles/<article_id>/kill"


def _resolver(kills: Kills | None) -> APIGatewayRestResolver:
    """A resolver for one invocation, resolved alone (see `handlers.resolving`)."""
    app = APIGatewayRestResolver()

    @app.post(ROUTE)
    def kill(provider: str, article_id: str) -> Response[str]:
        work = kills or default_kills(KillConfig.from_env(os.environ))
        return http.response(work.order(http.request(app.current_event, provider), article_id))

    @app.not_found
    def not_found(_: NotFoundError) -> Response[str]:
        return http.error(404, "route.not-found", f"No such route; POST to {ROUTE}.")

    http.answer_faults(app)
    return app


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any], context: LambdaContext, kills: Kills | None = None
) -> dict[str, Any]:
    return resolving.resolve(_resolver(kills), event, context)
