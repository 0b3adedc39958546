"""Lint for a policy's regular expressions: each must compile under RE2 and `re` and must not
have the shape that makes backtracking engines blow up, so the policy stays safe wherever else
it is evaluated. The engine evaluates patterns with RE2 whatever the lint says.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from clearance.contracts.pointers import json_pointer
from clearance.contracts.re2validator import UnsupportedPatternError, compile_re2
from clearance.terms.backtracking import backtracking_problems

__all__ = ["UnsafePattern", "find_unsafe_patterns"]


@dataclass(frozen=True)
class UnsafePattern:
    """A policy regex that could stall validation, located so the engineer can fix it."""

    pointer: str
    pattern: str
    reason: str


# Values of these keywords are instance data, so a `pattern` key inside them is not a regex.
_DATA_KEYWORDS: Final = frozenset({"const", "default", "enum", "examples"})
# Values of these keywords map names (or regexes) to subschemas; the names are not keywords.
_SUBSCHEMA_MAP_KEYWORDS: Final = frozenset(
    {"$defs", "definitions", "dependencies", "dependentSchemas", "patternProperties", "properties"}
)


def find_unsafe_patterns(schema: object, base_pointer: str = "") -> list[UnsafePattern]:
    """Every regex in the schema that RE2 or `re` rejects or that could backtrack exponentially.

    Anything under a keyword this walk does not know is treated as a possible subschema, because
    `$ref` can point anywhere in the document.
    """
    return list(_walk_schema(schema, base_pointer))


def _walk_schema(schema: object, pointer: str) -> Iterator[UnsafePattern]:
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from _walk_schema(item, f"{pointer}/{index}")
        return
    if not isinstance(schema, dict):
        return
    for keyword, value in schema.items():
        here = pointer + json_pointer([str(keyword)])
        if keyword == "pattern":
            if isinstance(value, str):
                yield from _report(here, value)
        elif keyword in _DATA_KEYWORDS:
            continue
        elif keyword in _SUBSCHEMA_MAP_KEYWORDS and isinstance(value, dict):
            for name, subschema in value.items():
                at = here + json_pointer([str(name)])
                if keyword == "patternProperties" and isinstance(name, str):
                    yield from _report(at, name)
                yield from _walk_schema(subschema, at)
        else:
            yield from _walk_schema(value, here)


def _report(pointer: str, pattern: str) -> Iterator[UnsafePattern]:
    problems = _pattern_problems(pattern)
    if problems:
        yield UnsafePattern(pointer=pointer, pattern=pattern, reason="; ".join(problems))


@functools.lru_cache(maxsize=1024)
def _pattern_problems(pattern: str) -> tuple[str, ...]:
    problems: list[str] = []
    parses = True
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as error:
        problems.append(f"Python's re cannot compile it ({error})")
        parses = False
    try:
        compile_re2(pattern)
    except UnsupportedPatternError as error:
        problems.append(error.reason)
    if parses:
        problems.extend(backtracking_problems(pattern))
    return tuple(problems)
