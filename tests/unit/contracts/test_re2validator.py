"""Schemas are evaluated by RE2: a hostile body cannot hang them; errors match Draft 2020-12."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jsonschema  # type: ignore[import-untyped, unused-ignore]
import pytest

from clearance.contracts.re2validator import PolicyValidator, UnsupportedPatternError

pytestmark = pytest.mark.reliability

HOSTILE = "a" * 100_000 + "!"
EVIL = "^(a+)+$"


def messages(validator: Any, instance: object) -> list[str]:
    return [error.message for error in validator.iter_errors(instance)]


def test_hostile_string_against_a_nested_quantifier_finishes(
    figure: Callable[[str], None],
) -> None:
    # Given a hostile string of 100,000 characters and a pattern with a nested quantifier
    started = time.perf_counter()
    # When the string is checked against the pattern, then it is reported as not matching
    assert messages(PolicyValidator({"pattern": EVIL}), HOSTILE) == [
        f"{HOSTILE!r} does not match {EVIL!r}"
    ]
    # And the answer came in under a second
    seconds = time.perf_counter() - started
    assert seconds < 1
    # And the time taken is reported among the reliability figures
    figure(
        f"ReDoS: {EVIL} against {len(HOSTILE):,} hostile characters answered in"
        f" {seconds * 1000:.0f} ms by RE2 (Python's re doubles its time per character)"
    )


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
    # Given a schema that checks property names against a nested quantifier
    # When an object whose one property name is hostile is validated
    errors = list(PolicyValidator(schema).iter_errors({HOSTILE: 1}))

    # Then validation finishes, with at most one error
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
    # Given a schema with only safe patterns, and what Draft 2020-12 says of an instance
    expected = error_summary(jsonschema.Draft202012Validator(schema), instance)

    # When the RE2 validator checks the same instance
    # Then it reports the same errors, with the same messages and paths
    assert error_summary(PolicyValidator(schema), instance) == expected


def test_format_checker_is_draft_2020_12s() -> None:
    # Given the RE2 validator, whose format checker is Draft 2020-12's own
    assert PolicyValidator.FORMAT_CHECKER is jsonschema.Draft202012Validator.FORMAT_CHECKER
    # When an impossible date is checked against the date format
    validator = PolicyValidator({"format": "date"}, format_checker=PolicyValidator.FORMAT_CHECKER)
    # Then it is reported as not a date
    assert messages(validator, "2026-13-45") == ["'2026-13-45' is not a 'date'"]


def test_meta_schema_check_matches_draft_2020_12() -> None:
    # Given a schema whose pattern is a number, not a string
    # When it is checked against the meta-schema, then it is refused
    with pytest.raises(jsonschema.SchemaError):
        PolicyValidator.check_schema({"pattern": 3})
    # And a schema whose pattern is a string passes the check
    PolicyValidator.check_schema({"pattern": "^ok$"})


def test_regex_re2_cannot_run_is_refused_rather_than_run_with_re() -> None:
    # Given a schema whose pattern uses a backreference, which RE2 cannot run
    validator = PolicyValidator({"pattern": r"(a)\1"})

    # When a string is checked against it, then it is refused as using backreferences
    with pytest.raises(UnsupportedPatternError, match="backreferences") as raised:
        validator.is_valid("aa")
    # And the error names the pattern
    assert raised.value.pattern == r"(a)\1"


@pytest.mark.parametrize(
    ("pattern", "instance"),
    [(r"^\d$", "\u0663"), (r"^\w$", "é"), ("^a$", "a\n")],
    ids=["digit", "word", "dollar"],
)
def test_re2_follows_ecma_262_where_re_does_not(pattern: str, instance: str) -> None:
    # Given a pattern that Python's re reads differently from ECMA-262
    # When Draft 2020-12's validator, which uses re, checks the instance, then it passes
    assert jsonschema.Draft202012Validator({"pattern": pattern}).is_valid(instance)
    # And the RE2 validator, reading the pattern as ECMA-262 does, refuses it
    assert not PolicyValidator({"pattern": pattern}).is_valid(instance)
