"""Associated media judged one by one, by the rights fields each carries itself.

A picture in a story may belong to another agency. The licence covers the provider's own media
and any holder it names; anything else is left out of the copy with a finding naming it, or holds
the article, as the policy says. A picture whose own rights forbid this republication is never
carried, whatever its holder.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from clearance.contracts.pointers import brief
from clearance.contracts.re2validator import compile_re2
from clearance.decide.findings import Finding, Severity
from clearance.decide.licence import embedded_verdict
from clearance.decide.markup import image_sources
from clearance.decide.rights import Circumstances
from clearance.ingest.article import Article, Association
from clearance.terms.policy import Policy


@dataclass(frozen=True, slots=True)
class Dropped:
    name: str
    uri: str | None
    reason: str

    def to_dict(self) -> dict[str, str | None]:
        return {"name": self.name, "uri": self.uri, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class MediaVerdict:
    """`hidden`: addresses of pictures inside the body that the copy must not show."""

    kept: tuple[Association, ...] = ()
    dropped: tuple[Dropped, ...] = ()
    findings: tuple[Finding, ...] = ()
    hidden: frozenset[str] = frozenset()


def judge_media(article: Article, policy: Policy, circumstances: Circumstances) -> MediaVerdict:
    kept: list[Association] = []
    dropped: list[Dropped] = []
    findings: list[Finding] = []
    own = {*policy.recognise.copyright_holders, policy.name.casefold(), *policy.media.covered}
    holds = policy.media.otherwise == "hold"
    for index, item in enumerate(article.get("associations") or ()):
        pointer = f"/associations/{index}"
        label = _label(item)
        rights = embedded_verdict(
            item["encoded_rights"],
            item["linked_rights"],
            circumstances,
            rule_prefix=f"association.{_rule_name(item['name'])}.rights",
            pointer=pointer,
            what=label,
        )
        if rights.findings:
            # Rights an item states itself are never overridden by the licence's cover.
            forbidden = any(f.severity is Severity.CRITICAL for f in rights.findings)
            if forbidden and not holds:
                dropped.append(Dropped(item["name"], item["uri"], "its own rights forbid it"))
                findings += [
                    replace(f, severity=Severity.INFO, message=f"{f.message}; left out")
                    for f in rights.findings
                ]
            else:
                # The article itself may be fine: a person removes or clears the item.
                findings += [replace(f, severity=Severity.MAJOR) for f in rights.findings]
            continue
        holder = item["copyright_holder"]
        if (holder is None and policy.media.unattributed == "own") or (
            holder is not None and holder.strip().casefold() in own
        ):
            kept.append(item)
            continue
        left_out, finding = _not_covered(item, label, f"{pointer}/copyright_holder", policy)
        if left_out is not None:
            dropped.append(left_out)
        findings.append(finding)
    hidden, body_findings = _body_images(article, policy)
    return MediaVerdict(tuple(kept), tuple(dropped), (*findings, *body_findings), hidden)


def _not_covered(
    item: Association, label: str, pointer: str, policy: Policy
) -> tuple[Dropped | None, Finding]:
    """Another's item the licence does not cover: held for a person, or left out of the copy."""
    holder = item["copyright_holder"]
    reason = (
        f"© {holder} is not covered by {policy.name}'s licence"
        if holder is not None
        else f"it names no rights holder, so {policy.name}'s licence cannot be said to cover it"
    )
    if policy.media.otherwise == "hold":
        message = f"{label}: {reason}; a person must clear it or remove it"
        return None, Finding("association.not-covered", pointer, Severity.MAJOR, message)
    message = f"{label}: {reason}; left out of the copy"
    dropped = Dropped(item["name"], item["uri"], reason)
    return dropped, Finding("association.dropped", pointer, Severity.INFO, message)


def _body_images(article: Article, policy: Policy) -> tuple[frozenset[str], list[Finding]]:
    """Pictures inside the body: another's material unless the licence covers their address (the
    provider's own picture service, a republication counter its terms require)."""
    body = article.get("body_html")
    if not body:
        return frozenset(), []
    covered = [compile_re2(pattern) for pattern in policy.media.images]
    hidden: set[str] = set()
    findings: list[Finding] = []
    holds = policy.media.otherwise == "hold"
    for source in image_sources(body):
        if any(pattern.search(source.encode()) for pattern in covered):
            continue
        what = f"the picture {brief(source)!r} in the body" if source else "a picture in the body"
        if holds:
            message = f"{what} is not covered by {policy.name}'s licence; a person must clear it"
            findings.append(Finding("body.image", "/body_html", Severity.MAJOR, message))
        elif source not in hidden:
            hidden.add(source)
            message = f"{what} is not covered by {policy.name}'s licence; left out of the copy"
            findings.append(Finding("body.image-dropped", "/body_html", Severity.INFO, message))
    return frozenset(hidden), findings


def _label(item: Association) -> str:
    what = f"the {item['type']} '{item['name']}'"
    return f"{what} ({item['uri']})" if item["uri"] else what


def _rule_name(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c in ".-" else "-" for c in name.lower()).strip("-.")
    return cleaned[:40] or "item"
