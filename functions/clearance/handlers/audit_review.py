"""AuditReviewFunction: `GET /v1/audit` and `GET /v1/audit/articles/{id}` for compliance review.

IAM-authorised in the template; answers are JSON, and a bad parameter is a 400 naming it. An
article's decisions are each marked with how they compare with their sealed copies.

Its collaborator is built here rather than in `services.wiring`: this function loads nothing of
the engine and compiles no schema (the `light-audit-functions` and `review-validates-nothing`
import contracts), and the root loads both.
"""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.audit.query import QueryError, parse_query
from clearance.audit.seals import article_body
from clearance.aws import clients
from clearance.aws.auditlog import AuditLog
from clearance.aws.store import Bucket
from clearance.contracts import keys
from clearance.contracts.vocabulary import ARTICLE_NOT_FOUND
from clearance.handlers.http import Edge, RestResolver
from clearance.services.config import AuditReviewConfig
from clearance.services.observability import AnswerMetric, logger, tracer

EDGE = Edge("audit review", AnswerMetric.AUDIT, "audit query")
app = EDGE.serve(RestResolver())


@cache
def build_audit_log(config: AuditReviewConfig) -> AuditLog:
    return AuditLog(Bucket(clients.s3(), config.audit_bucket))


def _log() -> AuditLog:
    log: AuditLog | None = app.context.get("log")
    return log or build_audit_log(AuditReviewConfig.from_env(os.environ))


@app.get("/v1/audit")
def list_decisions() -> Response[str]:
    params = app.current_event.query_string_parameters or {}
    try:
        query = parse_query(params)
    except QueryError as error:
        return EDGE.refuse(400, "query.invalid", str(error), parameter=error.parameter)
    page = _log().page(query)
    body = {"decisions": page.records, "next": page.next_token, "filters": query.filters()}
    # Decisions no digest covers, by decision id: "open" (not yet sealed) or "unsealed".
    unsealed = {k: v.value for k, v in page.seals.items()}
    return EDGE.reply(200, {**body, "unsealed": unsealed}, ensure_ascii=False)


@app.get("/v1/audit/articles/<article_id>")
def article_decisions(article_id: str) -> Response[str]:
    if keys.safe_segment(article_id, 200) != article_id:
        return EDGE.refuse(400, "article.invalid", "not an article id", parameter="id")
    viewed = _log().article_view(article_id)
    if not viewed:
        return EDGE.refuse(404, "article.not-found", ARTICLE_NOT_FOUND)
    # Each decision carries its `seal`: the stored record against its sealed copy.
    return EDGE.reply(200, article_body(article_id, viewed), ensure_ascii=False)


@app.not_found
def not_found(_: NotFoundError) -> Response[str]:
    return EDGE.refuse(
        404, "route.not-found", "no such route; GET /v1/audit or /v1/audit/articles/{id}"
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any], context: LambdaContext, log: AuditLog | None = None
) -> dict[str, Any]:
    app.context["log"] = log
    return app.resolve(event, context)
