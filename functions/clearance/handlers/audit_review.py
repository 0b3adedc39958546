"""AuditReviewFunction: `GET /v1/audit`, `/v1/audit/articles/{id}`, `/v1/audit/kills` and
`/v1/audit/verification` for compliance review.

Machines call with IAM; people call the same routes under `/desk` with their Cognito ID token
(`callers`). Answers are JSON, and a bad parameter is a 400 naming it. An article's decisions
are each marked with how they compare with their sealed copies.

Its collaborator is built here rather than in `services.wiring`: this function loads nothing of
the engine and compiles no schema (the `light-audit-functions` and `review-validates-nothing`
import contracts), and the root loads both.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.audit.query import PARAMETERS, AuditQuery, QueryError, parse_query
from clearance.audit.seals import article_body
from clearance.aws import clients
from clearance.aws.auditlog import AuditLog
from clearance.aws.store import Bucket
from clearance.contracts import keys
from clearance.contracts.vocabulary import ARTICLE_NOT_FOUND
from clearance.handlers.callers import DESK
from clearance.handlers.http import Edge, RestResolver
from clearance.services.auditing import kills_in
from clearance.services.config import AuditReviewConfig
from clearance.services.observability import AnswerMetric, logger, tracer

if TYPE_CHECKING:
    from clearance.audit.signature import PublicKeyVerifier

EDGE = Edge("audit review", AnswerMetric.AUDIT, "audit query")
app = EDGE.serve(RestResolver(strip_prefixes=[DESK]))
PERIOD_PARAMETERS = ("from", "to")


@dataclass(frozen=True)
class AuditReading:
    """What the audit routes read: the log, the cleared copies, the digests and their key, and
    whose tokens they accept."""

    log: AuditLog
    cleared: Bucket
    verifier: Callable[[], PublicKeyVerifier]
    desk_client_id: str | None = None
    """The console's app client people's tokens must be issued to (None: IAM callers only)."""


@cache
def build_reading(config: AuditReviewConfig) -> AuditReading:
    audit = Bucket(clients.s3(), config.audit_bucket)

    @cache
    def verifier() -> PublicKeyVerifier:
        # The digest key's public part, read once; cryptography loads with the first check.
        from clearance.audit.signature import PublicKeyVerifier  # noqa: PLC0415
        from clearance.aws.kms import public_key_der  # noqa: PLC0415

        der = public_key_der(clients.kms(), config.digest_key_id)
        return PublicKeyVerifier.from_der(der, frozenset({config.digest_key_id}))

    cleared = Bucket(clients.s3(), config.cleared_bucket)
    return AuditReading(AuditLog(audit), cleared, verifier, config.desk_client_id)


def _reading() -> AuditReading:
    reading: AuditReading | None = app.context.get("reading")
    return reading or build_reading(AuditReviewConfig.from_env(os.environ))


# Both desk groups, and every IAM caller the resource policy admits, may read the log.
EDGE.admit_callers(app, lambda: _reading().desk_client_id)


def _query(allowed: Sequence[str] = PARAMETERS) -> AuditQuery | Response[str]:
    params = app.current_event.query_string_parameters or {}
    try:
        return parse_query(params, allowed)
    except QueryError as error:
        return EDGE.refuse(400, "query.invalid", str(error), parameter=error.parameter)


@app.get("/v1/audit")
def list_decisions() -> Response[str]:
    query = _query()
    if not isinstance(query, AuditQuery):
        return query
    page = _reading().log.page(query)
    body = {"decisions": page.records, "next": page.next_token, "filters": query.filters()}
    # Decisions no digest covers, by decision id: "open" (not yet sealed) or "unsealed".
    unsealed = {k: v.value for k, v in page.seals.items()}
    return EDGE.reply(200, {**body, "unsealed": unsealed}, ensure_ascii=False)


@app.get("/v1/audit/kills")
def kills() -> Response[str]:
    query = _query(PERIOD_PARAMETERS)
    if not isinstance(query, AuditQuery):
        return query
    reading = _reading()
    statuses = kills_in(reading.log, reading.cleared, query, datetime.now(UTC))
    return EDGE.reply(200, {"kills": [status.to_dict() for status in statuses]})


@app.get("/v1/audit/verification")
def verification() -> Response[str]:
    query = _query(PERIOD_PARAMETERS)
    if not isinstance(query, AuditQuery):
        return query
    # Digests are checked against their schema: loaded on the first verification, not at start.
    from clearance.aws.digeststore import DigestStore  # noqa: PLC0415
    from clearance.services.verification import verify_period  # noqa: PLC0415

    reading = _reading()
    store = DigestStore(reading.log.bucket)
    checked = verify_period(store, reading.verifier(), query, datetime.now(UTC))
    return EDGE.reply(200, checked.to_dict())


@app.get("/v1/audit/articles/<article_id>")
def article_decisions(article_id: str) -> Response[str]:
    if keys.safe_segment(article_id, 200) != article_id:
        return EDGE.refuse(400, "article.invalid", "not an article id", parameter="id")
    viewed = _reading().log.article_view(article_id)
    if not viewed:
        return EDGE.refuse(404, "article.not-found", ARTICLE_NOT_FOUND)
    # Each decision carries its `seal`: the stored record against its sealed copy.
    return EDGE.reply(200, article_body(article_id, viewed), ensure_ascii=False)


@app.not_found
def not_found(_: NotFoundError) -> Response[str]:
    return EDGE.refuse(
        404,
        "route.not-found",
        "no such route; GET /v1/audit, /v1/audit/articles/{id}, /v1/audit/kills"
        " or /v1/audit/verification",
    )


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(
    event: dict[str, Any], context: LambdaContext, reading: AuditReading | None = None
) -> dict[str, Any]:
    app.context["reading"] = reading
    return app.resolve(event, context)
