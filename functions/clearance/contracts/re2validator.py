"""Draft 2020-12 validation with every regex evaluated by RE2, in time linear in the text.

jsonschema evaluates `pattern` and `patternProperties` with Python's backtracking `re`, which has
no timeout, so one nested quantifier such as `^(a+)+$` in a policy lets a crafted body of ~2 MB
pin a worker for hours. `PolicyValidator` is `Draft202012Validator` with those keywords (and the
two that run `patternProperties` upstream) evaluated by RE2, so even an unlinted policy cannot hang.

RE2 follows ECMA-262 (the dialect JSON Schema specifies) more closely than `re` does: `\\d` and
`\\w` are ASCII-only and `$` does not match before a trailing newline.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import jsonschema.validators
import re2

__all__ = ["PolicyValidator", "UnsupportedPatternError", "compile_re2"]


class UnsupportedPatternError(ValueError):
    """RE2 rejects the regex; falling back to `re` would reopen the door to hangs."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"{pattern!r}: {reason}")
        self.pattern = pattern
        self.reason = reason


@functools.lru_cache(maxsize=1024)
def compile_re2(pattern: str) -> Any:
    """Compile once per pattern, so building a validator per article costs nothing extra."""
    options = re2.Options()
    options.log_errors = False
    try:
        # Bytes in and out: the str API cannot encode the lone surrogates JSON allows in bodies.
        return re2.compile(pattern.encode("utf-8", "surrogatepass"), options)
    except re2.error as error:
        detail = error.args[0] if error.args else error
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise UnsupportedPatternError(
            pattern,
            f"RE2 cannot compile it ({detail}); policies must stay within RE2 syntax (no "
            "backreferences, lookaround, atomic groups or possessive quantifiers) because RE2 is "
            "what guarantees matching in linear time",
        ) from None


def _search(pattern: str, text: str) -> bool:
    """Unanchored search, as JSON Schema defines `pattern`, in time linear in the text."""
    return compile_re2(pattern).search(text.encode("utf-8", "surrogatepass")) is not None


# The keyword functions mirror jsonschema's own (jsonschema/_keywords.py and _utils.py) line for
# line, so errors are identical; only the regex engine differs. `additionalProperties` and
# `unevaluatedProperties` are here too because upstream they also run `patternProperties` with `re`.


def _pattern(validator: Any, patrn: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not _search(patrn, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")


def _pattern_properties(
    validator: Any, pattern_properties: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return

    for pattern, subschema in pattern_properties.items():
        for k, v in instance.items():
            if _search(pattern, k):
                yield from validator.descend(v, subschema, path=k, schema_path=pattern)


def _find_additional_properties(instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    for property in instance:
        if property not in properties and not any(_search(each, property) for each in patterns):
            yield property


def _extras_msg(extras: Sequence[Any]) -> tuple[str, str]:
    verb = "was" if len(extras) == 1 else "were"
    return ", ".join(repr(extra) for extra in extras), verb


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return

    extras = set(_find_additional_properties(instance, schema))

    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras))
            patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            error = f"{joined} {verb} not match any of the regexes: {patterns}"
            yield jsonschema.ValidationError(error)
        else:
            error = "Additional properties are not allowed (%s %s unexpected)"
            yield jsonschema.ValidationError(error % _extras_msg(sorted(extras, key=str)))


def _is_valid(errors: Iterator[Any]) -> bool:
    return next(errors, None) is None


def _evaluated_property_keys(validator: Any, instance: Any, schema: Any) -> list[Any]:  # noqa: PLR0912 - jsonschema's own, line for line
    if validator.is_type(schema, "boolean"):
        return []
    evaluated_keys: list[Any] = []

    for reference in ("$ref", "$dynamicRef"):
        ref = schema.get(reference)
        if ref is not None:
            resolved = validator._resolver.lookup(ref)
            evaluated_keys.extend(
                _evaluated_property_keys(
                    validator.evolve(schema=resolved.contents, _resolver=resolved.resolver),
                    instance,
                    resolved.contents,
                )
            )

    properties = schema.get("properties")
    if validator.is_type(properties, "object"):
        evaluated_keys += properties.keys() & instance.keys()

    for keyword in ["additionalProperties", "unevaluatedProperties"]:
        if (subschema := schema.get(keyword)) is None:
            continue
        evaluated_keys += (
            key for key, value in instance.items() if _is_valid(validator.descend(value, subschema))
        )

    if "patternProperties" in schema:
        for property in instance:
            for pattern in schema["patternProperties"]:
                if _search(pattern, property):
                    evaluated_keys.append(property)

    if "dependentSchemas" in schema:
        for property, subschema in schema["dependentSchemas"].items():
            if property not in instance:
                continue
            evaluated_keys += _evaluated_property_keys(validator, instance, subschema)

    for keyword in ["allOf", "oneOf", "anyOf"]:
        for subschema in schema.get(keyword, []):
            if not _is_valid(validator.descend(instance, subschema)):
                continue
            evaluated_keys += _evaluated_property_keys(validator, instance, subschema)

    if "if" in schema:
        if validator.evolve(schema=schema["if"]).is_valid(instance):
            evaluated_keys += _evaluated_property_keys(validator, instance, schema["if"])
            if "then" in schema:
                evaluated_keys += _evaluated_property_keys(validator, instance, schema["then"])
        elif "else" in schema:
            evaluated_keys += _evaluated_property_keys(validator, instance, schema["else"])

    return evaluated_keys


def _unevaluated_properties(
    validator: Any, unevaluated: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    evaluated_keys = _evaluated_property_keys(validator, instance, schema)
    unevaluated_keys = []
    for property in instance:
        if property not in evaluated_keys:
            for _ in validator.descend(
                instance[property],
                unevaluated,
                path=property,
                schema_path=property,
            ):
                unevaluated_keys.append(property)

    if unevaluated_keys:
        if unevaluated is False:
            error = "Unevaluated properties are not allowed (%s %s unexpected)"
            extras = sorted(unevaluated_keys, key=str)
            yield jsonschema.ValidationError(error % _extras_msg(extras))
        else:
            error = (
                "Unevaluated properties are not valid under "
                "the given schema (%s %s unevaluated and invalid)"
            )
            yield jsonschema.ValidationError(error % _extras_msg(unevaluated_keys))


PolicyValidator: Any = jsonschema.validators.extend(  # type: ignore[no-untyped-call]  # untyped in the stubs
    jsonschema.Draft202012Validator,
    {
        "additionalProperties": _additional_properties,
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "unevaluatedProperties": _unevaluated_properties,
    },
    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
)
"""Draft 2020-12 with RE2 regexes: a policy cannot hang on a hostile body, linted or not.

Raises `UnsupportedPatternError` when it meets a regex RE2 cannot compile.
"""
