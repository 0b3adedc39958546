"""A provider's terms applied to one article: every rule, constraint and notice, as findings.

Pure: the time and the licensee's circumstances are arguments, so embargoes, licence windows and
territories are decided the same way in a test, a replay and production.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from clearance.contracts.pointers import brief, error_pointer
from clearance.decide.findings import Finding, Severity
from clearance.decide.licensee import Licensee
from clearance.ingest.article import Article
from clearance.terms.notices import difference, fill, same_text
from clearance.terms.policy import Notice, Placement, Policy


@dataclass(frozen=True, slots=True)
class AttachedNotice:
    """A notice as it will appear in the cleared copy; `delivered` is False when we attached it."""

    id: str
    kind: str
    placement: Placement
    text: str
    heading: str | None
    link: str | None
    delivered: bool

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "placement": self.placement,
            "text": self.text,
            "delivered": self.delivered,
        }
        if self.heading:
            data["heading"] = self.heading
        if self.link:
            data["link"] = self.link
        return data


@dataclass(frozen=True, slots=True)
class Evaluation:
    findings: tuple[Finding, ...]
    notices: tuple[AttachedNotice, ...]


def evaluate(
    article: Article, policy: Policy, now: datetime, licensee: Licensee, body_altered: bool
) -> Evaluation:
    """`body_altered`: sanitising the article's HTML would change the text a reader sees."""
    not_in_force = _in_force(policy, now)
    if not_in_force:
        return Evaluation(tuple(not_in_force), ())
    findings = [
        *_requirements(article, policy),
        *_constraints(article, policy, now, licensee, body_altered),
    ]
    notices: list[AttachedNotice] = []
    for notice in policy.notices:
        attached, notice_findings = _resolve(notice, article)
        findings += notice_findings
        if attached is not None:
            notices.append(attached)
    return Evaluation(tuple(findings), tuple(notices))


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _in_force(policy: Policy, now: datetime) -> list[Finding]:
    if now >= policy.effective:
        return []
    return [
        Finding(
            "policy.in-force",
            "",
            Severity.CRITICAL,
            f"{policy.name} terms version {policy.version} take effect only at "
            f"{policy.effective.isoformat()}; no terms are in force yet",
        )
    ]


def _requirements(article: Article, policy: Policy) -> list[Finding]:
    findings = []
    for error in policy.requirements.iter_errors(cast("dict[str, Any]", article)):
        path = list(error.relative_schema_path)
        index = path[1] if len(path) > 1 and path[0] == "allOf" else None
        rule = policy.rules[index] if isinstance(index, int) else None
        if rule is None:
            continue
        severity = Severity.MAJOR if rule.holds else Severity.CRITICAL
        message = brief(f"{rule.description} ({error.message})")
        findings.append(Finding(rule.rule_id, error_pointer(error), severity, message))
    return findings


def _constraints(
    article: Article, policy: Policy, now: datetime, licensee: Licensee, body_altered: bool
) -> list[Finding]:
    constraints = policy.constraints
    findings: list[Finding] = []
    if article.get("pub_status") == "withheld":
        findings.append(
            Finding(
                "article.withheld",
                "/pub_status",
                Severity.MAJOR,
                "the provider marked this article 'withheld': not to be published for now",
            )
        )
    embargo = article.get("embargoed_until")
    if constraints["embargo"] and embargo and parse_time(embargo) > now:
        findings.append(
            Finding(
                "constraint.embargo",
                "/embargoed_until",
                Severity.MAJOR,
                f"under embargo until {embargo}; held until then",
            )
        )
    findings += _territory(constraints.get("territories", {}), licensee)
    findings += _window(constraints.get("usage_window", {}), article, now)
    uses = constraints.get("uses")
    if uses and licensee.use not in uses:
        findings.append(
            Finding(
                "constraint.use",
                "",
                Severity.CRITICAL,
                f"the licence allows {', '.join(uses)} use only; this licensee's use is "
                f"{licensee.use}",
            )
        )
    if body_altered and constraints["modification"] == "prohibited":
        findings.append(
            Finding(
                "constraint.modification",
                "/body_html",
                Severity.MAJOR,
                "the licence forbids modification, and making this HTML safe to publish would "
                "remove text a reader sees; a person must decide",
            )
        )
    return findings


def _territory(territories: dict[str, list[str]], licensee: Licensee) -> list[Finding]:
    allow, deny = territories.get("allow"), territories.get("deny", [])
    if licensee.territory in deny or (allow is not None and licensee.territory not in allow):
        return [
            Finding(
                "constraint.territory",
                "",
                Severity.CRITICAL,
                f"republication in {licensee.territory} is not licensed",
            )
        ]
    return []


def _window(window: dict[str, Any], article: Article, now: datetime) -> list[Finding]:
    findings = []
    if "not_before" in window and now < parse_time(window["not_before"]):
        findings.append(
            Finding(
                "constraint.usage-window",
                "",
                Severity.CRITICAL,
                f"the licence starts only at {window['not_before']}",
            )
        )
    if "not_after" in window and now > parse_time(window["not_after"]):
        findings.append(
            Finding(
                "constraint.usage-window",
                "",
                Severity.CRITICAL,
                f"the licence ended at {window['not_after']}",
            )
        )
    created = article.get("first_created") or article.get("version_created")
    max_age = window.get("max_age_days")
    if max_age and created and now - parse_time(created) > timedelta(days=max_age):
        findings.append(
            Finding(
                "constraint.usage-window",
                "/version_created",
                Severity.CRITICAL,
                f"published {created}: older than the {max_age} days the licence allows",
            )
        )
    expires = article.get("expires")
    if window.get("honour_expires") and expires and now > parse_time(expires):
        findings.append(
            Finding(
                "constraint.expires",
                "/expires",
                Severity.CRITICAL,
                f"the provider's permission to use this article expired at {expires}",
            )
        )
    return findings


def _resolve(notice: Notice, article: Article) -> tuple[AttachedNotice | None, list[Finding]]:
    """The notice text the cleared copy carries, and what the delivery did with it."""
    rule_id = f"notice.{notice.id}"
    registered = fill(notice.text, article) if notice.text else None
    delivered = _field(article, notice.delivered_in)
    pointer = f"/{notice.delivered_in}" if notice.delivered_in else ""
    link = fill(notice.link, article) if notice.link else None

    def attach(text: str, was_delivered: bool) -> AttachedNotice:
        return AttachedNotice(
            notice.id,
            notice.kind,
            notice.placement,
            text,
            notice.heading,
            link or None,
            was_delivered,
        )

    if notice.source_field and delivered:
        return attach(delivered, True), []
    if registered is None:
        return None, [
            Finding(
                rule_id,
                pointer,
                Severity.MAJOR,
                f"the required {notice.kind} notice was not delivered and has no registered text",
            )
        ]
    if delivered is None and notice.delivered_in is None:
        return attach(registered, False), []
    if delivered is None:
        return attach(registered, False), [
            Finding(
                rule_id,
                pointer,
                Severity.INFO,
                f"the delivery lacked the required {notice.kind} notice; the registered text "
                "was attached",
            )
        ]
    if same_text(registered, delivered):
        return attach(registered, True), []
    if notice.verbatim:
        return attach(registered, True), [
            Finding(
                rule_id,
                pointer,
                Severity.MAJOR,
                f"the delivered {notice.kind} differs from the registered text, which must be "
                "kept intact; a person must review it",
                brief(difference(registered, delivered), 1000),
            )
        ]
    return attach(registered, True), [
        Finding(
            rule_id,
            pointer,
            Severity.INFO,
            f"the delivered {notice.kind} differs from the registered text; the registered text "
            "is used",
            brief(difference(registered, delivered), 1000),
        )
    ]


def _field(article: Article, name: str | None) -> str | None:
    if name is None:
        return None
    value = article.get(name)
    return value if isinstance(value, str) and value.strip() else None
