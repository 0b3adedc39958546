"""ReviewFunction: `GET /v1/review` and `POST /v1/review/articles/{id}` (IAM-authorised).

The reviewer is the caller's identity from the request context: the IAM user or role ARN.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.handlers.http import Edge, RestResolver
from clearance.ingest.strictjson import JsonBodyError, parse_json
from clearance.services import wiring
from clearance.services.articles import ArticleBusy
from clearance.services.config import ReviewConfig
from clearance.services.observability import AnswerMetric, logger, tracer
from clearance.services.review import Reviews

EDGE = Edge("review", AnswerMetric.REVIEW, "review", retryable=(ArticleBusy,))
app = EDGE.serve(RestResolver())


def _reviews() -> Reviews:
    reviews: Reviews | None = app.context.get("reviews")
    return reviews or wiring.build_reviews(ReviewConfig.from_env(os.environ))


@app.get("/v1/review")
def held() -> Response[str]:
    return EDGE.answer(_reviews().held(app.current_event.query_string_parameters or {}))


@app.post("/v1/review/articles/<article_id>")
def verdict(article_id: str) -> Response[str]:
    event = app.current_event
    identity = event.request_context.identity
    reviewer = identity.user_arn or identity.caller
    if not reviewer:
        return EDGE.refuse(403, "reviewer.unknown", "the caller has no IAM identity")
    try:
        body = parse_json(event.decoded_body or "")
    except JsonBodyError as error:
        return EDGE.refuse(400, f"body.{error.reason}", f"the body is not acceptable JSON: {error}")
    request_id = event.request_context.request_id
    return EDGE.answer(_reviews().verdict(article_id, body, reviewer, request_id))


@app.not_found
def not_found(_: NotFoundError) -> Response[str]:
    return EDGE.refuse(
        404, "route.not-found", "no such route; GET /v1/review or POST /v1/review/articles/{id}"
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any], context: LambdaContext, reviews: Reviews | None = None
) -> dict[str, Any]:
    app.context["reviews"] = reviews
    return app.resolve(event, context)
