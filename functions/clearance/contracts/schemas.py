"""Our JSON Schemas, found on disk and tied together by `$id`, never fetched from a network.

jsonschema resolves remote `$ref`s unless given a registry, so every validator here is built
with a `referencing.Registry` holding only the project's own schemas.

A schema checked on every decision is also compiled into a predicate (`contracts.compiled`):
a `Checker` asks it first and the jsonschema validator only for the errors of an invalid
instance, so a valid article costs one pass and an invalid one gets jsonschema's own errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from clearance.contracts.compiled import Predicate, compile_predicate
from clearance.contracts.re2validator import PolicyValidator
from clearance.contracts.schemafiles import load_schema, schema_dir

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

__all__ = [
    "Checker",
    "checker_for",
    "compile_checker",
    "compile_schema",
    "load_schema",
    "registry",
    "schema_dir",
    "validator_for",
]


@cache
def registry() -> Registry[Any]:
    """Every top-level schema of the project, keyed by its `$id`."""
    resources = [
        Resource.from_contents(load_schema(path.name), default_specification=DRAFT202012)
        for path in sorted(schema_dir().glob("*.schema.json"))
    ]
    return Registry().with_resources((resource.id() or "", resource) for resource in resources)


def compile_schema(schema: dict[str, Any]) -> Validator:
    """A validator that checks formats, evaluates patterns with RE2 and resolves refs locally."""
    return _validator(schema, registry())


def _validator(schema: dict[str, Any], local: Registry[Any]) -> Validator:
    validator: Validator = PolicyValidator(
        schema, registry=local, format_checker=PolicyValidator.FORMAT_CHECKER
    )
    return validator


def _predicate(schema: dict[str, Any], local: Registry[Any]) -> Predicate | None:
    return compile_predicate(schema, registry=local, format_checker=PolicyValidator.FORMAT_CHECKER)


@dataclass(frozen=True, slots=True)
class Checker:
    """A schema's jsonschema validator, the reference, and its compiled predicate where the
    schema compiles (`valid` is None where it does not, and the validator answers alone).

    Two checkers are equal when their validators are: the predicate is what the schema compiles
    to, not part of what it says."""

    validator: Validator
    valid: Predicate | None = field(compare=False)

    def iter_errors(self, instance: Any) -> Iterator[ValidationError]:
        """jsonschema's errors; none, without asking it, when the predicate finds it valid."""
        if self.valid is not None and self.valid(instance):
            return iter(())
        return self.validator.iter_errors(instance)


def compile_checker(schema: dict[str, Any]) -> Checker:
    """`compile_schema`'s validator with the schema's predicate, built on the same registry
    and format checker."""
    return Checker(compile_schema(schema), _predicate(schema, registry()))


@cache
def validator_for(name: str) -> Validator:
    """A compiled validator for one of the project's schemas, built once per process."""
    return compile_schema(load_schema(name))


@cache
def checker_for(name: str) -> Checker:
    """`validator_for`'s validator with the schema's compiled predicate, built once per process."""
    return Checker(validator_for(name), _predicate(load_schema(name), registry()))
