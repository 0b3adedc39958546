"""A provider's signed order to take an article down (`POST .../articles/{id}/kill`): verified
like any delivery, answered without the network."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clearance.contracts import keys
from clearance.contracts.pointers import brief
from clearance.contracts.vocabulary import ARTICLE_NOT_FOUND
from clearance.ingest.intake import Refusal, Request, SecretSource, Terms, verified
from clearance.ingest.strictjson import JsonBodyError, parse_json


@dataclass(frozen=True, slots=True)
class KillRequest:
    """A provider's signed order to take an article down."""

    provider: str
    article_id: str
    delivery: str
    reason: str | None
    uri: str | None = None
    """The article's uri, which a kill sent before the article is decided must name."""


def accept_kill(
    request: Request,
    article_id: str,
    *,
    policies: Terms,
    secrets: SecretSource,
    now: datetime,
    max_body_bytes: int,
) -> KillRequest | Refusal:
    """A signed kill: an empty body, or JSON `{"reason": "...", "uri": "..."}` (both optional;
    the uri lets a kill arrive before its article is decided)."""
    checked = verified(
        request, policies=policies, secrets=secrets, now=now, max_body_bytes=max_body_bytes
    )
    if isinstance(checked, Refusal):
        return checked
    body, delivery = checked
    if keys.safe_segment(article_id, 200) != article_id:
        return Refusal(404, "article.not-found", ARTICLE_NOT_FOUND, provider=request.provider)
    reason = uri = None
    if body.strip():
        try:
            document = parse_json(body)
        except JsonBodyError as error:
            return Refusal(
                400, f"body.{error.reason}", f"The body is not acceptable JSON: {error}."
            )
        fields = document if isinstance(document, dict) else None
        given = fields.get("reason") if fields else None
        uri = fields.get("uri") if fields else None
        if (
            fields is None
            or set(fields) - {"reason", "uri"}
            or (given is not None and not isinstance(given, str))
            or (uri is not None and not (isinstance(uri, str) and 0 < len(uri) <= 2048))
        ):
            return Refusal(
                422,
                "kill.invalid",
                'A kill body is empty or {"reason": "<text>", "uri": "<the article\'s uri>"}.',
            )
        reason = brief(given) if given else None
    return KillRequest(request.provider, article_id, delivery.id, reason, uri)
