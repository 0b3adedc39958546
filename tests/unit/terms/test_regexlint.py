"""Policy regexes are linted for RE2 compatibility and for shapes that backtrack exponentially."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from clearance.terms.regexlint import UnsafePattern, find_unsafe_patterns

pytestmark = pytest.mark.reliability

SAFE_PATTERNS = [
    r"^\(MENAFN\)",
    r"^[A-Z]{2}$",
    "editorial use only",
    "(?i)copyright",
    r"^\d{4}-\d{2}-\d{2}$",
    r"(?:Reuters|AP|AFP)",
    r"^(?:foo|bar)+$",
    r"^([a-z0-9]+-)*[a-z0-9]+$",
    r"^[A-Z][a-z]+(?: [A-Z][a-z]+)*$",
    r"^(\d{1,3}\.){3}\d{1,3}$",
    r"^(?:[^,]+,)*[^,]+$",
    r"^(?:\r\n|\n)+$",
    r"[]|]+",
]

# (pattern, start of the reason)
UNSAFE_PATTERNS = [
    ("^(a+)+$", "nested quantifier: (a+)+ can backtrack exponentially"),
    ("(a*)*", "nested quantifier: (a*)* can backtrack exponentially"),
    (r"(\w+\s?)*", r"nested quantifier: (\w+\s?)* can backtrack exponentially"),
    (r"^(a?){25}a{25}$", "nested quantifier: (a?){25} can backtrack exponentially"),
    (r"(?:.+,)*", "nested quantifier: (?:.+,)* can backtrack exponentially"),
    ("(a|a)*", "overlapping alternatives: (a|a)* can backtrack exponentially"),
    ("(a|ab)*", "overlapping alternatives: (a|ab)* can backtrack exponentially"),
    (r"(\w|\d)+", r"overlapping alternatives: (\w|\d)+ can backtrack exponentially"),
    (r"(?i)(?:x|X)+", "overlapping alternatives: (?:x|X)+ can backtrack exponentially"),
    (r"(a)\1", r"RE2 cannot compile it (invalid escape sequence: \1)"),
    ("(?=a)b", "RE2 cannot compile it (invalid perl operator: (?=)"),
    ("(?<!x)y", "RE2 cannot compile it (invalid perl operator: (?<!)"),
    ("a++", "RE2 cannot compile it"),
    ("(", "Python's re cannot compile it (missing ), unterminated subpattern"),
]


def only_pattern(schema: Any) -> UnsafePattern:
    found = find_unsafe_patterns(schema)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("pattern", SAFE_PATTERNS)
def test_safe_pattern_keyword_is_not_reported(pattern: str) -> None:
    assert find_unsafe_patterns({"type": "string", "pattern": pattern}) == []


@pytest.mark.parametrize("pattern", SAFE_PATTERNS)
def test_safe_pattern_properties_key_is_not_reported(pattern: str) -> None:
    assert find_unsafe_patterns({"patternProperties": {pattern: {"type": "string"}}}) == []


@pytest.mark.parametrize(("pattern", "reason"), UNSAFE_PATTERNS)
def test_unsafe_pattern_keyword_is_reported_with_a_readable_reason(
    pattern: str, reason: str
) -> None:
    found = only_pattern({"pattern": pattern})

    assert (found.pointer, found.pattern) == ("/pattern", pattern)
    assert found.reason.startswith(reason)


@pytest.mark.parametrize(("pattern", "reason"), UNSAFE_PATTERNS)
def test_unsafe_pattern_properties_key_is_reported_at_the_key(pattern: str, reason: str) -> None:
    found = only_pattern({"patternProperties": {pattern: {"type": "string"}}})

    assert found.pointer == "/patternProperties/" + pattern.replace("~", "~0").replace("/", "~1")
    assert found.reason.startswith(reason)


def test_the_lint_reports_every_unsafe_policy_pattern_and_no_safe_one(
    figure: Callable[[str], None],
) -> None:
    # Given the catalogues of unsafe and safe patterns, as a policy's `pattern` keyword
    reported = [p for p, _ in UNSAFE_PATTERNS if find_unsafe_patterns({"pattern": p})]
    passed = [p for p in SAFE_PATTERNS if not find_unsafe_patterns({"pattern": p})]
    # Then every unsafe one is reported and every safe one passes
    assert (len(reported), len(passed)) == (len(UNSAFE_PATTERNS), len(SAFE_PATTERNS))
    figure(
        f"policy regex lint: {len(reported)} of {len(UNSAFE_PATTERNS)} unsafe patterns (nested"
        " quantifiers, overlapping alternatives, what RE2 cannot compile) reported;"
        f" {len(passed)} of {len(SAFE_PATTERNS)} safe ones pass"
    )


def test_reason_names_the_inner_piece_that_causes_the_backtracking() -> None:
    assert only_pattern({"pattern": "^(a+)+$"}).reason == (
        "nested quantifier: (a+)+ can backtrack exponentially, because a+ inside it competes "
        "with what follows it for the same characters"
    )
    assert only_pattern({"pattern": r"(\w|\d)+"}).reason == (
        r"overlapping alternatives: (\w|\d)+ can backtrack exponentially, because its "
        r"alternatives \w and \d can match the same text"
    )


def test_every_problem_with_one_pattern_is_in_its_reason() -> None:
    reason = only_pattern({"pattern": "(?=x)(a+)+"}).reason

    assert "RE2 cannot compile it" in reason
    assert "nested quantifier: (a+)+" in reason


NESTED_POLICY = {
    "$defs": {
        "byline": {"type": "string", "pattern": "^(a+)+$"},
        "fine": {"type": "string", "pattern": "^By "},
    },
    "type": "object",
    "allOf": [
        {"properties": {"headline": {"pattern": "(a|a)*"}}},
        {"not": {"pattern": r"(\w|\d)+"}},
    ],
    "properties": {
        "body": {
            "type": "array",
            "prefixItems": [{"pattern": "(x+x+)+y"}],
            "items": {"properties": {"text": {"pattern": r"(a)\1"}}},
        },
        "slug": {"pattern": r"^([a-z0-9]+-)*[a-z0-9]+$"},
    },
    "patternProperties": {
        "^x-(a*)*$": {"type": "string"},
        "^ok-": {"patternProperties": {"^a/b~(c+)+$": {}}},
    },
    "if": {"required": ["embargo"]},
    "then": {"properties": {"embargo": {"pattern": "(?<=a)b"}}},
}


def test_unsafe_patterns_are_found_at_any_depth_with_json_pointers() -> None:
    pointers = [found.pointer for found in find_unsafe_patterns(NESTED_POLICY)]

    assert pointers == [
        "/$defs/byline/pattern",
        "/allOf/0/properties/headline/pattern",
        "/allOf/1/not/pattern",
        "/properties/body/prefixItems/0/pattern",
        "/properties/body/items/properties/text/pattern",
        "/patternProperties/^x-(a*)*$",
        "/patternProperties/^ok-/patternProperties/^a~1b~0(c+)+$",
        "/then/properties/embargo/pattern",
    ]


def test_base_pointer_prefixes_every_pointer() -> None:
    found = find_unsafe_patterns({"properties": {"a": {"pattern": "(a*)*"}}}, "/requirements")

    assert [each.pointer for each in found] == ["/requirements/properties/a/pattern"]


def test_property_named_pattern_is_a_name_not_a_keyword() -> None:
    schema = {
        "properties": {"pattern": {"type": "string"}, "patternProperties": {"type": "object"}},
        "required": ["pattern"],
    }

    assert find_unsafe_patterns(schema) == []


def test_pattern_keyword_under_a_property_named_pattern_is_still_checked() -> None:
    found = only_pattern({"properties": {"pattern": {"pattern": "(a+)+"}}})

    assert found.pointer == "/properties/pattern/pattern"


@pytest.mark.parametrize("keyword", ["const", "enum", "examples", "default"])
def test_instance_data_that_looks_like_a_schema_is_not_checked(keyword: str) -> None:
    data = {"pattern": "(a+)+", "patternProperties": {"(a+)+": {}}}
    value = [data] if keyword in ("enum", "examples") else data

    assert find_unsafe_patterns({keyword: value}) == []


@pytest.mark.parametrize("schema", [True, False, None, "(a+)+", 3, {"pattern": 3}])
def test_values_without_regexes_report_nothing(schema: object) -> None:
    assert find_unsafe_patterns(schema) == []
