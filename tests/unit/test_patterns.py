"""Policy regexes are linted for RE2 compatibility and backtracking, and evaluated by RE2."""

from __future__ import annotations

from typing import Any

import jsonschema  # type: ignore[import-untyped, unused-ignore]
import pytest

from clearance.patterns import (
    PolicyValidator,
    UnsafePattern,
    UnsupportedPatternError,
    find_unsafe_patterns,
)

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


# --- PolicyValidator -----------------------------------------------------------------------------

HOSTILE = "a" * 100_000 + "!"
EVIL = "^(a+)+$"


def messages(validator: Any, instance: object) -> list[str]:
    return [error.message for error in validator.iter_errors(instance)]


def test_hostile_string_against_a_nested_quantifier_finishes() -> None:
    assert messages(PolicyValidator({"pattern": EVIL}), HOSTILE) == [
        f"{HOSTILE!r} does not match {EVIL!r}"
    ]


@pytest.mark.parametrize(
    "schema",
    [
        {"patternProperties": {EVIL: {"type": "string"}}},
        {"patternProperties": {EVIL: {}}, "additionalProperties": False},
        {"patternProperties": {EVIL: {}}, "unevaluatedProperties": False},
        {"allOf": [{"patternProperties": {EVIL: {}}}], "unevaluatedProperties": False},
        {"propertyNames": {"pattern": EVIL}},
    ],
    ids=["patternProperties", "additional", "unevaluated", "unevaluated-allOf", "propertyNames"],
)
def test_hostile_property_name_against_a_nested_quantifier_finishes(
    schema: dict[str, Any],
) -> None:
    errors = list(PolicyValidator(schema).iter_errors({HOSTILE: 1}))

    assert len(errors) <= 1


def error_summary(validator: Any, instance: object) -> list[tuple[str, str, list[Any], list[Any]]]:
    return sorted(
        (error.message, error.validator, list(error.absolute_path), list(error.schema_path))
        for error in validator.iter_errors(instance)
    )


PARITY_CASES: list[tuple[dict[str, Any], object]] = [
    ({"pattern": r"^\(MENAFN\)"}, "(MENAFN) Dubai"),
    ({"pattern": r"^\(MENAFN\)"}, "Dubai (MENAFN)"),
    ({"pattern": "editorial use only"}, "For EDITORIAL USE ONLY"),
    ({"pattern": "(?i)editorial use only"}, "For EDITORIAL USE ONLY"),
    ({"pattern": "^[A-Z]{2}$"}, "GB"),
    ({"pattern": "^[A-Z]{2}$"}, "gbr"),
    ({"pattern": "^[A-Z]{2}$"}, 42),
    ({"pattern": "caf"}, "un café"),
    ({"pattern": "^b"}, "a\ud800"),
    ({"patternProperties": {"^x-": {"type": "string"}}}, {"x-a": 1, "x-b": "ok", "y": 2}),
    (
        {"properties": {"id": {}}, "patternProperties": {"^x-": {}}, "additionalProperties": False},
        {"id": 1, "x-a": 1, "extra": 2},
    ),
    (
        {"properties": {"id": {}}, "patternProperties": {"^x-": {}}, "additionalProperties": False},
        {"id": 1, "x-a": 1, "extra": 2, "more": 3},
    ),
    ({"properties": {"id": {}}, "additionalProperties": False}, {"id": 1, "extra": 2}),
    (
        {"patternProperties": {"^x-": {}}, "additionalProperties": {"type": "string"}},
        {"x-a": 1, "b": 2, "c": "ok"},
    ),
    (
        {"allOf": [{"patternProperties": {"^x-": {}}}], "unevaluatedProperties": False},
        {"x-a": 1, "other": 2},
    ),
    (
        {"patternProperties": {"^x-": {}}, "unevaluatedProperties": {"type": "string"}},
        {"x-a": 1, "b": 2, "c": "ok"},
    ),
    (
        {
            "$defs": {"code": {"type": "string", "pattern": "^[A-Z]{3}$"}},
            "properties": {"currency": {"$ref": "#/$defs/code"}},
            "unevaluatedProperties": False,
        },
        {"currency": "usd", "stray": True},
    ),
    ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"ok": 1, "Not-OK": 2}),
]


@pytest.mark.parametrize(("schema", "instance"), PARITY_CASES)
def test_errors_match_draft_2020_12_on_safe_patterns(
    schema: dict[str, Any], instance: object
) -> None:
    expected = error_summary(jsonschema.Draft202012Validator(schema), instance)

    assert error_summary(PolicyValidator(schema), instance) == expected


def test_format_checker_is_draft_2020_12s() -> None:
    assert PolicyValidator.FORMAT_CHECKER is jsonschema.Draft202012Validator.FORMAT_CHECKER
    validator = PolicyValidator({"format": "date"}, format_checker=PolicyValidator.FORMAT_CHECKER)
    assert messages(validator, "2026-13-45") == ["'2026-13-45' is not a 'date'"]


def test_meta_schema_check_matches_draft_2020_12() -> None:
    with pytest.raises(jsonschema.SchemaError):
        PolicyValidator.check_schema({"pattern": 3})
    PolicyValidator.check_schema({"pattern": "^ok$"})


def test_regex_re2_cannot_run_is_refused_rather_than_run_with_re() -> None:
    validator = PolicyValidator({"pattern": r"(a)\1"})

    with pytest.raises(UnsupportedPatternError, match="backreferences") as raised:
        validator.is_valid("aa")
    assert raised.value.pattern == r"(a)\1"


@pytest.mark.parametrize(
    ("pattern", "instance"),
    [(r"^\d$", "\u0663"), (r"^\w$", "é"), ("^a$", "a\n")],
    ids=["digit", "word", "dollar"],
)
def test_re2_follows_ecma_262_where_re_does_not(pattern: str, instance: str) -> None:
    assert jsonschema.Draft202012Validator({"pattern": pattern}).is_valid(instance)
    assert not PolicyValidator({"pattern": pattern}).is_valid(instance)
