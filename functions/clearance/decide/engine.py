"""One delivery in, one decision out: parse, recognise, evaluate, render, check the copy.

Nothing a provider sends can make this raise: every failure of the input is a finding and a
`rejected` (or `held`) decision. Only a bug or a broken environment raises.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clearance.contracts.pointers import brief
from clearance.contracts.schemas import validator_for
from clearance.decide.attribution import AttachedNotice
from clearance.decide.evaluate import evaluate
from clearance.decide.findings import (
    Finding,
    Outcome,
    Severity,
    main_finding,
    outcome_of,
    schema_findings,
)
from clearance.decide.licensee import Licensee
from clearance.decide.render import Rendition, prepare_body, render
from clearance.ingest.article import Article, ArticleError, InvalidArticleError
from clearance.ingest.parse import read_article
from clearance.terms.policy import Policy, PolicySet, in_force

MAX_INPUT_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    input_sha256: str
    findings: tuple[Finding, ...]
    provider: str | None = None
    article: Article | None = None
    policy: Policy | None = None
    notices: tuple[AttachedNotice, ...] = ()
    cleared: dict[str, Any] | None = None
    renditions: tuple[Rendition, ...] = field(default=())
    licensee: Licensee | None = None
    release_at: datetime | None = None

    @property
    def main_finding(self) -> Finding | None:
        return main_finding(self.findings)

    def to_dict(self) -> dict[str, Any]:
        article = self.article or {}
        return {
            "outcome": self.outcome.value,
            "provider": self.provider,
            "uri": article.get("uri"),
            "version": article.get("version"),
            "input_sha256": self.input_sha256,
            "policy": self.policy.ref if self.policy else None,
            "licensee": self.licensee.to_dict() if self.licensee else None,
            "findings": [finding.to_dict() for finding in self.findings],
            "notices": [notice.to_dict() for notice in self.notices],
            "renditions": {r.name: r.sha256 for r in self.renditions},
        }


@dataclass(frozen=True)
class Approval:
    """A reviewer's approval of a held version: its major findings are accepted, on record."""

    reviewer: str
    reason: str


@dataclass(frozen=True)
class Prior:
    """What was known about the article before this decision: read first, then decided on.

    `approval` is set when a reviewer approves the held version being decided again.
    """

    withdrawn: bool = False
    approval: Approval | None = None


@dataclass(frozen=True)
class Identified:
    """A readable, valid article whose provider and terms are known, not yet decided."""

    input_sha256: str
    article: Article
    provider: str
    history: tuple[Policy, ...]
    recognition: tuple[Finding, ...]


def identify(
    data: bytes,
    *,
    policies: PolicySet,
    provider: str | None = None,
    media_type: str | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> Identified | Decision:
    """Read a delivery and find whose terms govern it, or the rejection that ends it here.

    `provider` is the sender's word for who sent it, when it has one.
    """
    digest = hashlib.sha256(data).hexdigest()

    def refuse(rule_id: str, message: str, pointer: str = "", **kw: Any) -> Decision:
        finding = Finding(rule_id, pointer, Severity.CRITICAL, message)
        return Decision(Outcome.REJECTED, digest, (finding,), **kw)

    if len(data) > max_bytes:
        return refuse("input.size", f"the delivery is {len(data)} bytes; the limit is {max_bytes}")
    try:
        article = read_article(data, media_type, policies.disclaimer_headings)
    except InvalidArticleError as error:
        invalid = schema_findings(
            error.errors, "article.schema", Severity.CRITICAL, "not a valid article"
        )
        return Decision(Outcome.REJECTED, digest, tuple(invalid), article=error.article)
    except ArticleError as error:
        return refuse(f"input.{error.reason}", str(error), error.pointer)

    chosen, recognition = _choose_provider(article, policies, provider)
    if chosen is None:
        return Decision(Outcome.REJECTED, digest, tuple(recognition), article=article)
    article["provider"] = chosen
    if chosen in policies.broken:
        return refuse(
            "policy.invalid",
            f"the policy for '{chosen}' is invalid, so nothing from it can be cleared: "
            + "; ".join(policies.broken[chosen]),
            provider=chosen,
            article=article,
        )
    return Identified(digest, article, chosen, policies.histories[chosen], tuple(recognition))


def decide(identified: Identified, *, now: datetime, licensee: Licensee, prior: Prior) -> Decision:
    """The one decision on an identified delivery, given everything known about its article.

    The version of the provider's terms in force at `now` governs it.
    """
    article, digest = identified.article, identified.input_sha256
    history = identified.history
    policy = in_force(history, now)
    named = policy or (history[0] if now < history[0].effective else history[-1])
    context: dict[str, Any] = {
        "provider": identified.provider,
        "article": article,
        "policy": named,
        "licensee": licensee,
    }
    if article["pub_status"] == "canceled":
        return Decision(Outcome.WITHDRAWN, digest, _kill_notice(named), **context)
    if policy is None:
        return Decision(Outcome.REJECTED, digest, _not_in_force(history, now), **context)

    body = prepare_body(article)
    evaluation = evaluate(article, policy, now, licensee, body.altered)
    findings = [*identified.recognition, *evaluation.findings]
    if prior.withdrawn:
        findings.append(_KILLED)
    outcome = outcome_of(findings)
    if prior.approval is not None and outcome is Outcome.HELD:
        approval = prior.approval
        findings.append(
            Finding(
                "review.approved",
                "",
                Severity.INFO,
                brief(f"approved by {approval.reviewer}: {approval.reason}"),
            )
        )
        outcome = Outcome.CLEARED
    context["notices"] = evaluation.notices
    if outcome is not Outcome.CLEARED:
        release_at = evaluation.release_at if outcome is Outcome.HELD else None
        return Decision(outcome, digest, tuple(findings), release_at=release_at, **context)

    cleared, renditions = render(
        article,
        body,
        evaluation.notices,
        evaluation.media,
        policy=policy,
        now=now,
        licensee=licensee,
        input_sha256=digest,
    )
    problems = _check_cleared(cleared, renditions, policy)
    findings += problems
    return Decision(
        outcome_of(problems) if problems else outcome,
        digest,
        tuple(findings),
        cleared=None if problems else cleared,
        renditions=() if problems else renditions,
        **context,
    )


def clear(
    data: bytes,
    *,
    policies: PolicySet,
    now: datetime,
    licensee: Licensee | None = None,
    provider: str | None = None,
    media_type: str | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
    prior: Prior | None = None,
) -> Decision:
    """Identify and decide in one step (the CLI, tests, benchmarks)."""
    identified = identify(
        data, policies=policies, provider=provider, media_type=media_type, max_bytes=max_bytes
    )
    if isinstance(identified, Decision):
        return identified
    return decide(identified, now=now, licensee=licensee or Licensee(), prior=prior or Prior())


_KILLED = Finding(
    "article.killed",
    "/uri",
    Severity.CRITICAL,
    "the provider withdrew this article; later deliveries of it are not republished",
)


def _choose_provider(
    article: Article, policies: PolicySet, claimed: str | None
) -> tuple[str | None, list[Finding]]:
    """The provider whose terms apply, or why none can be chosen (fail closed)."""
    known = set(policies.policies) | set(policies.broken)
    candidates = policies.recognise(article)
    if claimed is not None:
        if claimed not in known:
            return None, [
                Finding(
                    "provider.unknown", "", Severity.CRITICAL, f"no policy for provider '{claimed}'"
                )
            ]
        others = [pid for pid, _ in candidates if pid != claimed]
        if others and claimed not in dict(candidates):
            return claimed, [
                Finding(
                    "provider.mismatch",
                    "",
                    Severity.MAJOR,
                    f"delivered as '{claimed}' but the article carries the marks of '{others[0]}'",
                )
            ]
        return claimed, []
    if not candidates:
        return None, [
            Finding(
                "provider.unknown",
                "",
                Severity.CRITICAL,
                "no provider policy recognises this article; its terms are unknown",
            )
        ]
    best = [pid for pid, score in candidates if score == candidates[0][1]]
    if len(best) > 1:
        return None, [
            Finding(
                "provider.ambiguous",
                "",
                Severity.CRITICAL,
                f"the article matches several providers equally ({', '.join(best)})",
            )
        ]
    return best[0], []


def _not_in_force(history: tuple[Policy, ...], now: datetime) -> tuple[Finding, ...]:
    first = history[0]
    if now < first.effective:
        when = f"take effect only at {first.effective.isoformat()}"
    else:
        when = "have all ended"
    return (
        Finding(
            "policy.in-force",
            "",
            Severity.CRITICAL,
            f"{first.name}'s terms {when}; no terms are in force at {now.isoformat()}",
        ),
    )


def _kill_notice(policy: Policy) -> tuple[Finding, ...]:
    kill = policy.constraints["kill"]
    hours = kill.get("within_hours")
    within = f" within {hours} hour{'s' if hours != 1 else ''}" if hours else ""
    return (
        Finding(
            "article.withdrawn",
            "/pub_status",
            Severity.INFO,
            f"{policy.name} cancelled this article: remove every cleared copy{within}",
        ),
    )


def _check_cleared(
    cleared: dict[str, Any], renditions: tuple[Rendition, ...], policy: Policy
) -> list[Finding]:
    """Fail closed: a copy breaking a schema or dropping a notice is never written."""
    problems = schema_findings(
        validator_for("cleared.schema.json").iter_errors(cleared),
        "cleared.schema",
        Severity.CRITICAL,
        "the cleared copy is malformed",
    )
    problems += schema_findings(
        policy.cleared.iter_errors(cleared),
        f"cleared.{policy.id}",
        Severity.CRITICAL,
        f"the cleared copy breaks {policy.name}'s terms",
    )
    texts = {r.name: r.data.decode() for r in renditions if r.name != "json"}
    for notice in cleared["clearance"]["notices"]:
        for name, text in texts.items():
            needle = notice["text"] if name == "text" else html.escape(notice["text"])
            if needle not in text:
                problems.append(
                    Finding(
                        "cleared.notice",
                        f"/clearance/notices/{notice['id']}",
                        Severity.CRITICAL,
                        f"the {name} copy does not carry the {notice['kind']} notice intact",
                    )
                )
    return problems
