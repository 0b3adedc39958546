"""KillFunction: `POST /v1/providers/{provider}/articles/{id}/kill`, signed like a delivery."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.handlers import http, signed
from clearance.handlers.http import Edge, RestResolver
from clearance.ingest.signature import SecretError
from clearance.services import wiring
from clearance.services.articles import ArticleBusy
from clearance.services.config import KillConfig
from clearance.services.kills import Kills
from clearance.services.observability import AnswerMetric, logger, tracer

ROUTE = "/v1/providers/<provider>/articles/<article_id>/kill"

EDGE = Edge(
    "kill",
    AnswerMetric.KILL,
    "kill order",
    by_provider=True,
    retryable=(ArticleBusy,),
    misconfigured={SecretError: "webhook secret is unusable"},
)
app = EDGE.serve(RestResolver())


@app.post(ROUTE)
def kill(provider: str, article_id: str) -> Response[str]:
    kills: Kills | None = app.context.get("kills")
    work = kills or wiring.build_kills(KillConfig.from_env(os.environ))
    return http.response(work.order(signed.request(app.current_event, provider), article_id))


@app.not_found
def not_found(_: NotFoundError) -> Response[str]:
    return EDGE.refuse(404, "route.not-found", f"No such route; POST to {ROUTE}.")


@logger.inject_lambda_context(
    correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True
)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any], context: LambdaContext, kills: Kills | None = None
) -> dict[str, Any]:
    app.context["kills"] = kills
    return app.resolve(event, context)
