"""Provider plain text as syndicators send it: a headline line, the body, a trailing notice block.

Which headings open a disclaimer block is policy data (`recognise.disclaimer_headings`), passed
in by the caller, so a new provider's layout needs no code; the plain headings every wire uses
("Disclaimer:", "Legal Disclaimer:") open one too, so a disclaimer under another heading is read
as a disclaimer (and compared with the registered text), never published as body text beside
the registered one. Lines addressed to editors ("Eds: TURKEY OUT") are notes, not article text.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from clearance.ingest.article import Article, ArticleError, new_article


def parse_plain_text(text: str, disclaimer_headings: Iterable[str]) -> Article:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    if start is None:
        raise ArticleError("empty", "the article has no text", "")
    headline = lines[start].strip()
    rest = lines[start + 1 :]
    disclaimer = None
    headings = {h.strip() for h in (*disclaimer_headings, *_PLAIN_HEADINGS) if h.strip()}
    split = _disclaimer_start(rest, tuple(sorted(headings, key=len, reverse=True)))
    if split is not None:
        index, inline = split
        disclaimer = "\n".join([inline, *rest[index + 1 :]]).strip() or None
        rest = rest[:index]
    notes = [line.strip() for line in rest if _EDITORS_NOTE.match(line)]
    body = "\n".join(line for line in rest if not _EDITORS_NOTE.match(line)).strip()
    if not body:
        raise ArticleError("no-body", "the article has a headline but no body", "/body_text")
    identity = hashlib.sha256(f"{headline}\n{body}".encode()).hexdigest()[:32]
    return new_article(
        "text",
        f"urn:clearance:text:{identity}",
        "1",
        headline,
        body_text=body,
        disclaimer=disclaimer,
        ed_note="\n".join(notes) or None,
    )


_PLAIN_HEADINGS = ("Disclaimer:", "Legal Disclaimer:", "Legal Notice:")
_EDITORS_NOTE = re.compile(r"\s*(?:eds|editors|editor's\s+note|note\s+to\s+editors)\s*:", re.I)


def _disclaimer_start(lines: list[str], headings: tuple[str, ...]) -> tuple[int, str] | None:
    """The last line that opens a disclaimer block, and any text after the heading on it."""
    folded = tuple(heading.casefold() for heading in headings)
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index].strip()
        for heading in folded:
            if line.casefold().startswith(heading):
                return index, line[len(heading) :].strip()
    return None
