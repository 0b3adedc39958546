"""Our JSON Schemas, found on disk and tied together by `$id`, never fetched from a network.

jsonschema resolves remote `$ref`s unless given a registry, so every validator here is built
with a `referencing.Registry` holding only the project's own schemas.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from clearance.patterns import PolicyValidator

SCHEMA_BASE = "https://clearance.example/schemas/"


def schema_dir() -> Path:
    """A deployment artifact carries schemas in the package; a checkout keeps them at the top."""
    package = Path(__file__).resolve().parent
    for candidate in (package / "schemas", package.parent.parent / "schemas"):
        if (candidate / "article.schema.json").is_file():
            return candidate
    raise FileNotFoundError(f"no schemas directory beside {package}")


def read_json(path: Path) -> Any:
    with path.open("rb") as handle:
        return json.load(handle)


@cache
def load_schema(name: str) -> dict[str, Any]:
    """One of the project's schemas by file name, e.g. `article.schema.json`."""
    schema: dict[str, Any] = read_json(schema_dir() / name)
    return schema


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
