"""A provider's terms applied to one article: every rule, constraint, right and notice, as findings.

Pure: the time and the licensee's circumstances are arguments, so embargoes, licence windows and
territories are decided the same way in a test, a replay and production.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from clearance.contracts.pointers import brief, error_pointer
from clearance.contracts.territory import territory_code
from clearance.contracts.vocabulary import Rule
from clearance.decide.attribution import AttachedNotice, resolve
from clearance.decide.findings import Finding, Severity
from clearance.decide.licence import embedded_verdict, feed_verdict, policy_verdict, published
from clearance.decide.licensee import Licensee
from clearance.decide.media import MediaVerdict, judge_media
from clearance.decide.rights import Circumstances
from clearance.decide.wording import wording_verdict
from clearance.ingest.article import Article
from clearance.terms.policy import Policy


@dataclass(frozen=True, slots=True)
class Evaluation:
    """`release_at`: when time alone holds the article (an embargo, a time-limited exclusion);
    `expires_at`: when its copies must come down (the licence's end or the article's own)."""

    findings: tuple[Finding, ...]
    notices: tuple[AttachedNotice, ...]
    media: MediaVerdict = field(default_factory=MediaVerdict)
    release_at: datetime | None = None
    expires_at: datetime | None = None


def evaluate(
    article: Article, policy: Policy, now: datetime, licensee: Licensee, body_altered: bool
) -> Evaluation:
    """`body_altered`: sanitising the article's HTML would change the text a reader sees."""
    circumstances = Circumstances(
        licensee.territory, licensee.use, licensee.channel, now, published(article), body_altered
    )
    findings = [
        *_content(article, policy),
        *_requirements(article, policy),
        *_constraints(article, policy, now, licensee, body_altered),
        *_sources(article, policy),
    ]
    embargo = article.get("embargoed_until")
    timed = [parse_time(embargo)] if any(f.rule_id == EMBARGO for f in findings) and embargo else []
    verdicts = (
        policy_verdict(policy, circumstances),
        feed_verdict(article, policy, circumstances),
        wording_verdict(article, policy, circumstances),
        embedded_verdict(
            article.get("encoded_rights"),
            article.get("linked_rights"),
            circumstances,
            rule_prefix="rights",
            pointer="",
            what="the article",
        ),
    )
    media = judge_media(article, policy, circumstances)
    findings += media.findings
    untimed = [f for f in findings if f.severity is Severity.MAJOR and f.rule_id != EMBARGO]
    for verdict in verdicts:
        findings += verdict.findings
        if verdict.release_at is not None:
            timed.append(verdict.release_at)
        untimed += [
            f for f in verdict.findings if f.severity is Severity.MAJOR and f not in verdict.timed
        ]
    notices: list[AttachedNotice] = []
    for notice in policy.notices:
        attached, notice_findings = resolve(notice, article)
        findings += notice_findings
        untimed += [f for f in notice_findings if f.severity is Severity.MAJOR]
        if attached is not None:
            notices.append(attached)
    release_at = max(timed) if timed and not untimed else None
    return Evaluation(tuple(findings), tuple(notices), media, release_at, ends(article, policy))


def ends(article: Article, policy: Policy) -> datetime | None:
    """When a copy of the article must come down: its licence's end, or its own expiry."""
    window = policy.constraints.get("usage_window", {})
    moments = [parse_time(window["not_after"])] if "not_after" in window else []
    expires = article.get("expires")
    if expires:
        moments.append(parse_time(expires))
    return min(moments, default=None)


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


EMBARGO = "constraint.embargo"


def _content(article: Article, policy: Policy) -> list[Finding]:
    """What a copy would carry: a story needs its text, and a disclaimer block the provider
    delivered is never left out of the copy unless its terms say what it is."""
    findings = []
    text = (article.get("body_text") or "") + (article.get("body_html") or "")
    if article.get("type", "text") == "text" and not text.strip():
        findings.append(
            Finding(
                "article.no-body",
                "/body_text",
                Severity.CRITICAL,
                "the item carries no text to republish: the provider sent none, or only a link "
                "to it, which clearance does not fetch",
            )
        )
    disclaimer = article.get("disclaimer")
    registered = any(notice.delivered_in == "disclaimer" for notice in policy.notices)
    if disclaimer and not registered:
        findings.append(
            Finding(
                "article.disclaimer",
                "/disclaimer",
                Severity.MAJOR,
                f"the delivery ends with a disclaimer ('{brief(disclaimer)}') that "
                f"{policy.name}'s terms do not register, so the copy would leave it out; a "
                "person must decide",
            )
        )
    return findings


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
                EMBARGO,
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


def _sources(article: Article, policy: Policy) -> list[Finding]:
    """Third-party material the article names that needs a person to check the licence."""
    return [
        Finding(
            "sources.review",
            f"/info_sources/{index}",
            Severity.MAJOR,
            f"the article names {name} as a source; {policy.name}'s terms say material from it "
            "needs a person to check the licence",
        )
        for index, name in enumerate(article.get("info_sources") or ())
        if name.strip().casefold() in policy.review_sources
    ]


def _territory(territories: dict[str, list[str]], licensee: Licensee) -> list[Finding]:
    allow = (
        [territory_code(code) for code in territories["allow"]] if "allow" in territories else None
    )
    deny = [territory_code(code) for code in territories.get("deny", [])]
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
    if expires and now > parse_time(expires):
        findings.append(
            Finding(
                Rule.EXPIRED,
                "/expires",
                Severity.CRITICAL,
                f"the provider's permission to use this article expired at {expires}",
            )
        )
    return findings
