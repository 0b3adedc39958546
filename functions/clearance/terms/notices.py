"""Notices a licence requires: filling registered texts, telling kept notices from altered ones.

Only white space and typographic quotes are forgiven when comparing: a wire or CMS rewraps lines
and curls quotes; any other change to a registered text is an alteration a person must look at.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

_DOUBLE_QUOTES = re.compile("[\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb]")
_SINGLE_QUOTES = re.compile("[\u2018\u2019\u201a\u201b\u2032]")
_SPACE = re.compile(r"\s+")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def normalise(text: str) -> str:
    text = _SINGLE_QUOTES.sub("'", _DOUBLE_QUOTES.sub('"', text))
    return _SPACE.sub(" ", text).strip()


def same_text(registered: str, delivered: str) -> bool:
    return registered == delivered or normalise(registered) == normalise(delivered)


def difference(registered: str, delivered: str, context: int = 4) -> str:
    """What changed, word by word, for a reviewer: `[-removed-] {+added+}` with some context."""
    old, new = normalise(registered).split(" "), normalise(delivered).split(" ")
    parts: list[str] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        before = " ".join(old[max(0, i1 - context) : i1])
        change = []
        if i2 > i1:
            change.append("[-" + " ".join(old[i1:i2]) + "-]")
        if j2 > j1:
            change.append("{+" + " ".join(new[j1:j2]) + "+}")
        after = " ".join(old[i2 : i2 + context])
        parts.append(f"…{before} {' '.join(change)} {after}…".replace("  ", " "))
    return " | ".join(parts) if parts else "no difference"


def fill(template: str, article: Mapping[str, Any]) -> str:
    """Put article fields into a registered text; a missing field leaves an empty string."""
    return PLACEHOLDER.sub(lambda match: str(article.get(match.group(1)) or ""), template)
