"""The media types an article may arrive in, and how a file's extension names one."""

from __future__ import annotations

JSON_TYPES = ("application/json", "application/ninjs+json")
TEXT_TYPES = ("text/plain",)
ARTICLE_TYPES = JSON_TYPES + TEXT_TYPES
JSON = JSON_TYPES[0]
TEXT = TEXT_TYPES[0]
BY_EXTENSION = {"json": JSON, "txt": TEXT, "text": TEXT}
"""A file drop's extension names its format; a webhook delivery's Content-Type does."""


def essence(content_type: str | None) -> str:
    """`text/plain` from `Text/Plain; charset=utf-8`: the type without its parameters."""
    return (content_type or "").split(";")[0].strip().lower()


def of_extension(extension: str) -> str | None:
    return BY_EXTENSION.get(extension.lower().lstrip("."))


def extension_for(media_type: str) -> str:
    """The extension a delivery of this type is stored under."""
    return "txt" if essence(media_type) in TEXT_TYPES else "json"
