"""The notices a cleared copy carries: registered texts, delivered ones kept, credits with slots.

A registered credit may be a template: MENAFN republishes a partner's article under
`(MENAFN- {partner})`. A delivery whose credit matches a registered form keeps it, and what fills
its slots is carried into the copy, so both parties are credited in the required words. A byline
credit ("{byline}, ProPublica") is written into the byline rather than beside it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from clearance.contracts.pointers import brief
from clearance.contracts.re2validator import compile_re2
from clearance.decide.findings import Finding, Severity
from clearance.ingest.article import Article
from clearance.terms.notices import PLACEHOLDER, difference, fill, normalise, same_text
from clearance.terms.policy import Notice, Placement

# What a slot may hold: a name on one line, never a bracket that would end the credit early.
_SLOT = "[^()\\n]{1,120}"


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
    slots: Mapping[str, str] = field(default_factory=dict)
    replaces: str | None = None

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
        if self.slots:
            data["slots"] = dict(self.slots)
        if self.replaces:
            data["replaces"] = self.replaces
        return data


def match_form(template: str, text: str) -> dict[str, str] | None:
    """The slots of `template` that make it read `text` (white space and quotes forgiven)."""
    parts = PLACEHOLDER.split(template)
    pattern = "".join(
        re.escape(normalise(part)) if index % 2 == 0 else f"(?P<{part}>{_SLOT})"
        for index, part in enumerate(parts)
    )
    found = compile_re2(f"^{pattern}$").match(normalise(text).encode("utf-8", "surrogatepass"))
    if found is None:
        return None
    slots = {name.decode(): value.decode().strip() for name, value in found.groupdict().items()}
    return slots if all(slots.values()) else None


def resolve(notice: Notice, article: Article) -> tuple[AttachedNotice | None, list[Finding]]:
    """The notice text the cleared copy carries, and what the delivery did with it."""
    if notice.replaces is not None:
        return _byline(notice, article)
    rule_id = f"notice.{notice.id}"
    registered = fill(notice.text, article) if notice.text else None
    delivered = _field(article, notice.delivered_in)
    pointer = f"/{notice.delivered_in}" if notice.delivered_in else ""

    def attach(
        text: str, was_delivered: bool, slots: Mapping[str, str] | None = None
    ) -> AttachedNotice:
        return _attached(notice, article, text, was_delivered, slots or {})

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
    return _differing(notice, article, registered, delivered)


def _differing(
    notice: Notice, article: Article, registered: str, delivered: str
) -> tuple[AttachedNotice, list[Finding]]:
    """A delivered notice unlike the registered text: a form of it the terms allow, or the
    registered text attached, with a finding that says whether a person must review it."""
    rule_id = f"notice.{notice.id}"
    pointer = f"/{notice.delivered_in}" if notice.delivered_in else ""
    for variant in notice.variants:
        slots = match_form(variant, delivered)
        if slots is not None:
            return _attached(notice, article, fill(variant, slots), True, slots), []
    attached = _attached(notice, article, registered, True, {})
    if notice.verbatim:
        return attached, [
            Finding(
                rule_id,
                pointer,
                Severity.MAJOR,
                f"the delivered {notice.kind} differs from the registered text, which must be "
                "kept intact; a person must review it",
                brief(difference(registered, delivered), 1000),
            )
        ]
    return attached, [
        Finding(
            rule_id,
            pointer,
            Severity.INFO,
            f"the delivered {notice.kind} differs from the registered text; the registered text "
            "is used",
            brief(difference(registered, delivered), 1000),
        )
    ]


def _byline(notice: Notice, article: Article) -> tuple[AttachedNotice | None, list[Finding]]:
    """A credit written into the byline: kept when the byline already reads so, else written."""
    byline = _field(article, "byline")
    template = notice.text or ""
    if byline is None:
        return None, [
            Finding(
                f"notice.{notice.id}",
                "/byline",
                Severity.MAJOR,
                f"the {notice.kind} must be written into the byline, and the delivery has none; "
                "a person must supply it",
            )
        ]
    if match_form(template, byline) is not None:
        return _attached(notice, article, byline, True, {}), []
    return _attached(notice, article, fill(template, article), False, {}), []


def _attached(
    notice: Notice, article: Article, text: str, delivered: bool, slots: Mapping[str, str]
) -> AttachedNotice:
    link = fill(notice.link, article) if notice.link else None
    return AttachedNotice(
        notice.id,
        notice.kind,
        notice.placement,
        text,
        notice.heading,
        link or None,
        delivered,
        dict(slots),
        notice.replaces,
    )


def _field(article: Article, name: str | None) -> str | None:
    if name is None:
        return None
    value = article.get(name)
    return value if isinstance(value, str) and value.strip() else None
