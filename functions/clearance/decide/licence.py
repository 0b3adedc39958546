"""The licence's ODRL rules applied to one article, from the three places they come from.

The provider's policy states its permissions and prohibitions; the feed restricts one article
("TURKEY OUT" in AP's editor's note, for that article alone); the item may carry its own rights
(ninjs `rightsInfo`, ODRL). All are judged the same way, so the stricter always wins, and a term
that cannot be understood holds the article rather than being skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from clearance.contracts.re2validator import compile_re2
from clearance.contracts.territory import TerritoryError, territory_code, territory_named
from clearance.decide.findings import Finding, Severity
from clearance.decide.rights import Circumstances, judge
from clearance.ingest.article import Article
from clearance.terms.encodedrights import read_encoded_rights
from clearance.terms.odrl import Constraint, Rule, Unintelligible
from clearance.terms.policy import FeedRestriction, Policy


@dataclass(frozen=True, slots=True)
class Verdict:
    """Findings of one source of rules; `timed` those that time alone lifts, at `release_at`."""

    findings: tuple[Finding, ...]
    release_at: datetime | None = None
    timed: tuple[Finding, ...] = ()


def published(article: Article) -> datetime | None:
    """When the article was first published: what 'publication + 30 days' counts from."""
    created = article.get("first_created") or article.get("version_created")
    return datetime.fromisoformat(created) if created else None


def policy_verdict(policy: Policy, circumstances: Circumstances) -> Verdict:
    judgement = judge(
        policy.licence,
        circumstances,
        rule_prefix="constraint",
        pointer="",
        who=f"{policy.name}'s licence",
    )
    return Verdict(judgement.findings, judgement.release_at, judgement.timed)


def feed_verdict(article: Article, policy: Policy, circumstances: Circumstances) -> Verdict:
    """Restrictions written into this article's feed fields, as prohibitions on it alone."""
    findings: list[Finding] = []
    timed: list[Finding] = []
    release: list[datetime] = []
    for restriction in policy.feed_restrictions:
        value = article.get(restriction.field)
        if not isinstance(value, str):
            continue
        # White space folded, as in `wording`: a line break or a no-break space is a space.
        text = " ".join(value.split())
        pointer = f"/{restriction.field}"
        rules: list[Rule] = []
        for name in named_territories(restriction, text):
            code = territory_of(name, restriction)
            if code is None:
                findings.append(
                    Finding(
                        f"feed.{restriction.id}",
                        pointer,
                        Severity.MAJOR,
                        f"the feed restricts '{name}' ({restriction.description}), which names "
                        "no territory we know; a person must check the licensee's territory",
                    )
                )
                continue
            rules.append(
                Rule(
                    "prohibition",
                    "distribute",
                    (Constraint("spatial", "eq", (code,)),),
                    f"{restriction.id}.{code.lower()}",
                    f"{restriction.description}: '{name}'",
                )
            )
        judgement = judge(
            rules,
            circumstances,
            rule_prefix="feed",
            pointer=pointer,
            who="the feed's restriction on this article",
        )
        findings += judgement.findings
        timed += judgement.timed
        release += [judgement.release_at] if judgement.release_at else []
    return Verdict(tuple(findings), max(release, default=None), tuple(timed))


def embedded_verdict(
    encoded: str | None,
    linked: str | None,
    circumstances: Circumstances,
    *,
    rule_prefix: str,
    pointer: str,
    what: str,
) -> Verdict:
    """Rights the item carries itself; what cannot be read holds it (fail closed)."""
    if linked and not encoded:
        return Verdict(
            (
                Finding(
                    f"{rule_prefix}.linked",
                    f"{pointer}/linked_rights",
                    Severity.MAJOR,
                    f"{what} points to its rights at {linked}, which clearance does not fetch; "
                    "a person must read them",
                ),
            )
        )
    if not encoded:
        return Verdict(())
    try:
        rules = read_encoded_rights(encoded)
    except Unintelligible as error:
        return Verdict(
            (
                Finding(
                    f"{rule_prefix}.unintelligible",
                    f"{pointer}/encoded_rights",
                    Severity.MAJOR,
                    f"{what} carries rights that cannot be understood ({error.term}); "
                    "a person must read them",
                ),
            )
        )
    judgement = judge(
        rules,
        circumstances,
        rule_prefix=rule_prefix,
        pointer=f"{pointer}/encoded_rights",
        who=f"{what}'s own rights",
    )
    return Verdict(judgement.findings, judgement.release_at, judgement.timed)


def named_territories(restriction: FeedRestriction, text: str) -> Iterator[str]:
    compiled = compile_re2(restriction.pattern)
    for match in compiled.finditer(text.encode("utf-8", "surrogatepass")):
        groups = match.groupdict()
        value = groups.get(b"territory", groups.get("territory"))
        if value:
            yield " ".join(value.decode("utf-8", "replace").split())


def territory_of(name: str, restriction: FeedRestriction) -> str | None:
    try:
        return territory_code(name)
    except TerritoryError:
        return territory_named(name, restriction.aliases)
