"""ReviewFunction: `GET /v1/review`, `GET` and `POST /v1/review/articles/{id}`.

Machines call these with IAM; people call the same routes under `/desk` with their Cognito ID
token (`callers`). The reviewer on record is who the request context says called, never what
the body claims; only a reviewer may decide.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.handlers.callers import DESK, Caller
from clearance.handlers.http import Edge, RestResolver
from clearance.ingest.strictjson import JsonBodyError, parse_json
from clearance.services import wiring
from clearance.services.articles import ArticleBusy
from clearance.services.config import ReviewConfig
from clearance.services.observability import AnswerMetric, logger, tracer
from clearance.services.review import Reviews

EDGE = Edge("review", AnswerMetric.REVIEW, "review", retryable=(ArticleBusy,))
app = EDGE.serve(RestResolver(strip_prefixes=[DESK]))


@dataclass(frozen=True)
class ReviewDesk:
    """What the routes need: the reviews, and the console's app client people's tokens must
    be issued to (None: IAM callers only)."""

    reviews: Reviews
    desk_client_id: str | None = None


def _desk() -> ReviewDesk:
    given: ReviewDesk | None = app.context.get("desk")
    if given is not None:
        return given
    config = ReviewConfig.from_env(os.environ)
    return ReviewDesk(wiring.build_reviews(config), config.desk_client_id)


def _reviews() -> Reviews:
    return _desk().reviews


EDGE.admit_callers(app, lambda: _desk().desk_client_id)


@app.get("/v1/review")
def held() -> Response[str]:
    return EDGE.answer(_reviews().held(app.current_event.query_string_parameters or {}))


@app.get("/v1/review/articles/<article_id>")
def held_version(article_id: str) -> Response[str]:
    version = app.current_event.get_query_string_value("version")
    return EDGE.answer(_reviews().held_version(article_id, version))


@app.post("/v1/review/articles/<article_id>")
def verdict(article_id: str) -> Response[str]:
    caller: Caller = app.context["caller"]
    if not caller.may_decide:
        return EDGE.refuse(
            403, "caller.may-not-decide", "Only a member of the reviewers group may decide."
        )
    event = app.current_event
    try:
        body = parse_json(event.decoded_body or "")
    except JsonBodyError as error:
        return EDGE.refuse(400, f"body.{error.reason}", f"the body is not acceptable JSON: {error}")
    request_id = event.request_context.request_id
    return EDGE.answer(_reviews().verdict(article_id, body, caller.name, request_id))


@app.not_found
def not_found(_: NotFoundError) -> Response[str]:
    return EDGE.refuse(
        404,
        "route.not-found",
        "no such route; GET /v1/review, GET or POST /v1/review/articles/{id}",
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any],
    context: LambdaContext,
    reviews: Reviews | None = None,
    desk_client_id: str | None = None,
) -> dict[str, Any]:
    app.context["desk"] = ReviewDesk(reviews, desk_client_id) if reviews is not None else None
    return app.resolve(event, context)
