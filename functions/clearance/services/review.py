"""Reviewers' work: the versions held for a person, oldest first, and their verdicts.

An approval decides the held version again, now, with the reviewer's approval on record, and
publishes it with the registered notices; a rejection keeps it down. Holds that no person may
lift (an embargo not yet passed, a killed article, a rejected decision) are refused with the
reason. The reviewer is who the request context says called, never what a body claims.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from clearance.contracts import keys
from clearance.contracts.vocabulary import ARTICLE_NOT_FOUND, CopyKind, ReviewVerdict
from clearance.decide.engine import Approval
from clearance.ingest.intake import Answer, Refusal
from clearance.lifecycle.events import Refused, Verdict
from clearance.lifecycle.state import ArticleState, Hold, Status
from clearance.lifecycle.transition import reviewable
from clearance.services.lifecycle import Lifecycle

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
VERDICTS = tuple(ReviewVerdict)
MAX_REASON = 2000

PREVIEW = Approval("the desk's preview", "what an approval would publish")
"""The approval a held version is decided again under to show the copy it would publish; only
the copy is shown, so no finding naming it reaches a record."""


@dataclass
class Reviews:
    lifecycle: Lifecycle
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def held(self, params: Mapping[str, str | None]) -> Answer:
        limit_text = params.get("limit") or str(DEFAULT_LIMIT)
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_LIMIT:
            return _error(400, "query.invalid", f"limit must be 1 to {MAX_LIMIT}", "limit")
        unknown = sorted(set(params) - {"limit", "next"})
        if unknown:
            return _error(400, "query.invalid", f"unknown parameter '{unknown[0]}'", unknown[0])
        try:
            states, token = self.lifecycle.articles.states.held(int(limit_text), params.get("next"))
        except ValueError:
            return _error(400, "query.invalid", "next is not a token this service issued", "next")
        items = sorted(
            (item for state in states for item in held_versions(state)),
            key=lambda item: (item["held_since"], item["article"]),
        )
        return Answer(200, {"held": items, "next": token})

    def held_version(self, article_id: str, version: str | None) -> Answer:
        """One held version as a reviewer weighs it: its findings, the copy an approval would
        publish (decided again now, nothing written), and the copy published before it."""
        if not version:
            return _error(
                400, "query.invalid", "version is the held version, such as '2'", "version"
            )
        if keys.safe_segment(article_id, 200) != article_id:
            return _error(404, "article.not-found", ARTICLE_NOT_FOUND)
        state = self.lifecycle.articles.states.get(article_id)
        if state is None:
            return _error(404, "article.not-found", ARTICLE_NOT_FOUND)
        held = next((item for item in held_versions(state) if item["version"] == version), None)
        if held is None:
            return _error(404, "version.not-held", f"version {version} is not held for a person")
        decision = self.lifecycle.redecide(state, version, self.clock(), PREVIEW)
        copy = decision.cleared if decision is not None else None
        problem = None
        if copy is None:
            main = decision.main_finding if decision is not None else None
            problem = main.message if main else "the delivery could not be decided again"
        return Answer(
            200, {**held, "copy": copy, "copy_problem": problem, "previous": self._published(state)}
        )

    def _published(self, state: ArticleState) -> dict[str, Any] | None:
        """The version on the publishing system now, with its cleared JSON copy."""
        entry = state.published
        ref = next((c for c in entry.copies if c.kind == CopyKind.JSON), None) if entry else None
        if entry is None or ref is None:
            return None
        stored = self.lifecycle.articles.buckets["cleared"].get(ref.key, ref.version_id)
        if stored is None:
            return None
        return {"version": entry.version, "copy": json.loads(stored.data)}

    def verdict(self, article_id: str, body: Any, reviewer: str, request_id: str) -> Answer:
        if keys.safe_segment(article_id, 200) != article_id:
            return _error(404, "article.not-found", ARTICLE_NOT_FOUND)
        problem = _body_problem(body)
        if problem:
            return _error(400, "review.invalid", problem[1], problem[0])
        version, reason = str(body["version"]), body["reason"]
        approve = body["verdict"] == ReviewVerdict.APPROVE
        now = self.clock()

        def verdict_for(state: ArticleState | None) -> Verdict:
            reviewable(state, version)
            assert state is not None  # noqa: S101 - reviewable refuses a missing article
            decision = None
            if approve:
                approval = Approval(reviewer, reason)
                decision = self.lifecycle.redecide(state, version, now, approval)
            return Verdict(version, approve, reviewer, reason, request_id, decision)

        try:
            state = self.lifecycle.articles.apply(article_id, verdict_for, now).change.state
        except Refused as refused:
            return _error(refused.status, refused.code, str(refused))
        entry = state.version(version) if state else None
        return Answer(
            200,
            {
                "article": article_id,
                "version": version,
                "verdict": body["verdict"],
                "reviewer": reviewer,
                "status": entry.status.value if entry else None,
            },
        )


def held_versions(state: ArticleState) -> list[dict[str, Any]]:
    return [
        {
            "article": state.article_id,
            "provider": state.provider,
            "uri": state.uri,
            "version": entry.version,
            "headline": entry.headline,
            "held_since": entry.decided_at,
            "decision_id": entry.decision_id,
            "findings": list(entry.findings),
        }
        for entry in state.versions
        if entry.status is Status.HELD and entry.hold is Hold.REVIEW and state.kill is None
    ]


def _body_problem(body: Any) -> tuple[str, str] | None:
    if not isinstance(body, dict):
        return "body", 'the body is a JSON object: {"version", "verdict", "reason"}'
    unknown = sorted(set(body) - {"version", "verdict", "reason"})
    if unknown:
        return unknown[0], f"unknown field '{unknown[0]}'"
    if not isinstance(body.get("version"), str | int) or isinstance(body.get("version"), bool):
        return "version", "version is the held version, such as '2'"
    if body.get("verdict") not in VERDICTS:
        return "verdict", "verdict is approve or reject"
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip() or len(reason) > MAX_REASON:
        return "reason", f"reason is the text of why, 1 to {MAX_REASON} characters"
    return None


def _error(status: int, code: str, message: str, parameter: str | None = None) -> Answer:
    return Refusal(status, code, message, {"parameter": parameter} if parameter else {}).answer
