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
    started = time.perf_counter()
    assert messages(PolicyValidator({"pattern": EVIL}), HOSTILE) == [
        f"{HOSTILE!r} does not match {EVIL!r}"
    ]
    seconds = time.perf_counter() - started
    assert seconds < 1
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
