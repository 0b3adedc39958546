"""Where the project's JSON Schemas are, and their documents: files only, no validator.

Kept apart from `schemas` so that reading one fact from a schema (the provider-id pattern, say)
costs a file read, not an import of jsonschema.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any


def schema_dir() -> Path:
    """A deployment artifact carries schemas in the package; a checkout keeps them at the top."""
    package = Path(__file__).resolve().parents[1]
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
