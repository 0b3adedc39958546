"""Our JSON Schemas, found on disk and tied together by `$id`, never fetched from a network.

jsonschema resolves remote `$ref`s unless given a registry, so every validator here is built
with a `referencing.Registry` holding only the project's own schemas.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from clearance.contracts.re2validator import PolicyValidator
from clearance.contracts.schemafiles import load_schema, schema_dir

__all__ = ["compile_schema", "load_schema", "registry", "schema_dir", "validator_for"]


@cache
def registry() -> Registry[Any]:
    """Every top-level schema of the project, keyed by its `$id`."""
    resources = [
        Resource.from_contents(load_schema(path.name), default_specification=DRAFT202012)
        for path in sorted(schema_dir().glob("*.schema.json"))
    ]
    return Registry().with_resources((resource.id() or "", resource) for resource in resources)


def compile_schema(schema: dict[str, Any], extra: Iterable[dict[str, Any]] = ()) -> Validator:
    """A validator that checks formats, evaluates patterns with RE2 and resolves refs locally."""
    local = registry()
    for resource in extra:
        local = local.with_contents(
            [(resource["$id"], resource)], default_specification=DRAFT202012
        )
    validator: Validator = PolicyValidator(
        schema, registry=local, format_checker=PolicyValidator.FORMAT_CHECKER
    )
    return validator


@cache
def validator_for(name: str) -> Validator:
    """A compiled validator for one of the project's schemas, built once per process."""
    return compile_schema(load_schema(name))
