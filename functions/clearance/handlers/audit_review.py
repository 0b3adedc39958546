"""AuditReviewFunction: `GET /v1/audit` and `GET /v1/audit/articles/{id}` for compliance review.

IAM-authorised in the template; answers are JSON, and a bad parameter is a 400 naming it. An
article's decisions are each marked with how they compare with their sealed copies.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.audit.query import QueryError, parse_query
from clearance.audit.seals import article_body
from clearance.aws import clients
from clearance.aws.auditlog import AuditLog
from clearance.aws.store import Bucket
from clearance.contracts import keys
from clearance.handlers import resolving
from clearance.services.config import AuditConfig
from clearance.services.observability import emit, logger, tracer


@cache
def default_log(config: AuditConfig) -> AuditLog:
    return AuditLog(Bucket(clients.s3(), config.audit_bucket))


def _json(status: int, body: dict[str, Any]) -> Response[str]:
    return Response(
        status_code=status,
        content_type="application/json",
        body=json.dumps(body, ensure_ascii=False, sort_keys=True),
    )


def _error(status: int, code: str, message: str, **details: str) -> Response[str]:
    return _json(status, {"error": {"code": code, "message": message, **details}})


def _resolver(log: AuditLog | None) -> APIGatewayRestResolver:
    """A resolver for one invocation, resolved alone (see `handlers.resolving`)."""
    app = APIGatewayRestResolver()

    def _log() -> AuditLog:
        return log or default_log(AuditConfig.from_env(os.environ))

    @app.get("/v1/audit")
    def list_decisions() -> Response[str]:
        params = app.current_event.query_string_parameters or {}
        try:
            query = parse_query(params)
        except QueryError as error:
            return _error(400, "query.invalid", str(error), parameter=error.parameter)
        page = _log().page(query)
        body = {"decisions": page.records, "next": page.next_token, "filters": query.filters()}
        # Decisions no digest covers, by decision id: "open" (not yet sealed) or "unsealed".
        return _json(200, {**body, "unsealed": {k: v.value for k, v in page.seals.items()}})

    @app.get("/v1/audit/articles/<article_id>")
    def article_decisions(article_id: str) -> Response[str]:
        if keys.safe_segment(article_id, 200) != article_id:
            return _error(400, "article.invalid", "not an article id", parameter="id")
        viewed = _log().article_view(article_id)
        if not viewed:
            return _error(
                404, "article.not-found", f"no decisions recorded for article {article_id}"
            )
        # Each decision carries its `seal`: the stored record against its sealed copy.
        return _json(200, article_body(article_id, viewed))

    @app.not_found
    def not_found(_: NotFoundError) -> Response[str]:
        return _error(
            404, "route.not-found", "no such route; GET /v1/audit or /v1/audit/articles/{id}"
        )

    def fault(_: Exception) -> Response[str]:
        logger.exception("audit review failed")
        return _error(503, "server.unavailable", "the audit log could not be read; retry later")

    app.exception_handler(Exception)(fault)
    return app


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any], context: LambdaContext, log: AuditLog | None = None
) -> dict[str, Any]:
    emit("AuditRequests")
    return resolving.resolve(_resolver(log), event, context)
