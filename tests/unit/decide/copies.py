"""What a cleared copy must never carry, as the feed tests check it."""

from __future__ import annotations

import re

from clearance.decide.engine import Decision

ENVELOPE = re.compile(
    r"<\?xml|<(?:newsMessage|newsItem|nitf|NewsML|rss|feed|rdf:RDF|itemSet|docdata)\b"
    r"|&lt;(?:\?xml|newsMessage|newsItem|nitf|NewsML|rss|feed)\b",
    re.IGNORECASE,
)
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def envelope_or_control(decision: Decision) -> list[str]:
    """A format's envelope markup, or a control character, in any rendition of the copy."""
    problems = []
    for rendition in decision.renditions:
        text = rendition.data.decode()
        envelope = ENVELOPE.search(text) if rendition.name != "json" else None
        if envelope:
            problems.append(f"{rendition.name}: {envelope.group()}")
        if CONTROL.search(text):
            problems.append(f"{rendition.name}: a control character")
    return problems
