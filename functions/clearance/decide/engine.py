"""One delivery in, one decision out: parse, recognise, evaluate, render, check the copy.

Nothing a provider sends can make this raise: every failure of the input is a finding and a
`rejected` (or `held`) decision. Only a bug or a broken environment raises.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from clearance.contracts.pointers import brief
from clearance.contracts.schemas import checker_for
from clearance.contracts.vocabulary import Rule
from clearance.decide.decision import Approval, Decision, Identified, Prior
from clearance.decide.evaluate import evaluate
from clearance.decide.findings import Finding, Outcome, Severity, outcome_of, schema_findings
from clearance.decide.identify import MAX_INPUT_BYTES, identify, identify_item, read
from clearance.decide.licensee import Licensee
from clearance.decide.render import Rendition, prepare_body, render
from clearance.terms.policy import Policy, PolicySet, in_force

__all__ = [
    "MAX_INPUT_BYTES",
    "Approval",
    "Decision",
    "Identified",
    "Prior",
    "clear",
    "clear_each",
    "decide",
    "identify",
    "identify_item",
    "read",
]


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
        "item": identified.item,
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
        findings.append(_approved(prior.approval))
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
        expires_at=evaluation.expires_at,
        **context,
    )


def _approved(approval: Approval) -> Finding:
    """A reviewer's approval, on the record of the decision it clears."""
    return Finding(
        "review.approved",
        "",
        Severity.INFO,
        brief(f"approved by {approval.reviewer}: {approval.reason}"),
    )


def clear_each(
    data: bytes,
    *,
    policies: PolicySet,
    now: datetime,
    licensee: Licensee | None = None,
    provider: str | None = None,
    media_type: str | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> tuple[Decision, ...]:
    """Every item of a delivery identified and decided (the CLI, tests, benchmarks)."""
    items = read(data, policies=policies, media_type=media_type, max_bytes=max_bytes)
    if isinstance(items, Decision):
        return (items,)
    decisions = []
    for item in items:
        identified = identify_item(item, policies=policies, provider=provider)
        if isinstance(identified, Identified):
            identified = decide(identified, now=now, licensee=licensee or Licensee(), prior=Prior())
        decisions.append(identified)
    return tuple(decisions)


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
    """Identify and decide a delivery of one item in one step (tests, benchmarks)."""
    identified = identify(
        data, policies=policies, provider=provider, media_type=media_type, max_bytes=max_bytes
    )
    if isinstance(identified, Decision):
        return identified
    return decide(identified, now=now, licensee=licensee or Licensee(), prior=prior or Prior())


_KILLED = Finding(
    Rule.KILLED,
    "/uri",
    Severity.CRITICAL,
    "the provider withdrew this article; later deliveries of it are not republished",
)


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
            Rule.WITHDRAWN,
            "/pub_status",
            Severity.INFO,
            f"{policy.name} cancelled this article: remove every cleared copy{within}",
        ),
    )


def _check_cleared(
    cleared: dict[str, Any], renditions: tuple[Rendition, ...], policy: Policy
) -> list[Finding]:
    """Fail closed: a copy breaking a schema or dropping a notice is never written.

    Each schema's compiled predicate answers first; jsonschema is asked for the errors of a copy
    the predicate finds invalid, so the findings are its own."""
    problems = schema_findings(
        checker_for("cleared.schema.json").iter_errors(cleared),
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
