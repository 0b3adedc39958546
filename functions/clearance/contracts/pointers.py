"""Where a schema error is and what it says, short enough to store and show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


MAX_MESSAGE_CHARS = 300


def json_pointer(parts: Sequence[str | int]) -> str:
    """RFC 6901 pointer; `~` and `/` in names are escaped."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def error_pointer(error: ValidationError) -> str:
    """Where a schema error is, pointing at the missing member for `required` errors."""
    parts: list[str | int] = list(error.absolute_path)
    required = error.validator_value
    if (
        error.validator == "required"
        and isinstance(error.instance, dict)
        and isinstance(required, list)
    ):
        missing = [name for name in required if name not in error.instance]
        if missing:
            parts.append(missing[0])
    return json_pointer(parts)


def brief(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Schema messages quote the instance; a megabyte body must not become a megabyte message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
