"""The media types an article may arrive in, the family each belongs to, and its extensions.

A family says which kind of parser reads the bytes (JSON, XML or plain text); which reader of
that family applies is decided from the bytes themselves (`ingest.formats`). A generic type
(`application/octet-stream`, or none) names no family, and the bytes decide.
"""

from __future__ import annotations

from typing import Literal

Family = Literal["json", "xml", "text"]

JSON_TYPES = ("application/json", "application/ninjs+json")
XML_TYPES = (
    "application/vnd.iptc.g2.newsitem+xml",
    "application/vnd.iptc.g2.newsmessage+xml",
    "application/nitf+xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/xml",
    "text/xml",
)
TEXT_TYPES = ("text/plain",)
ARTICLE_TYPES = JSON_TYPES + XML_TYPES + TEXT_TYPES
GENERIC_TYPES = ("application/octet-stream", "binary/octet-stream")
"""What S3 stores when the uploader named no type: says nothing of the format."""

JSON = JSON_TYPES[0]
XML = "application/xml"
TEXT = TEXT_TYPES[0]
BY_EXTENSION = {
    "json": JSON,
    "txt": TEXT,
    "text": TEXT,
    "xml": XML,
    "nitf": "application/nitf+xml",
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
}
"""A file drop's extension names its format's family; a webhook delivery's Content-Type does."""

_EXTENSION_OF_FAMILY: dict[Family, str] = {"json": "json", "xml": "xml", "text": "txt"}


def essence(content_type: str | None) -> str:
    """`text/plain` from `Text/Plain; charset=utf-8`: the type without its parameters."""
    return (content_type or "").split(";")[0].strip().lower()


def family_of(media_type: str | None) -> Family | None:
    """The family a media type names; None for a generic or missing one."""
    kind = essence(media_type)
    if kind in JSON_TYPES:
        return "json"
    if kind in XML_TYPES:
        return "xml"
    if kind in TEXT_TYPES:
        return "text"
    return None


def is_generic(media_type: str | None) -> bool:
    """Whether a type says nothing of the format, so that the bytes alone decide."""
    kind = essence(media_type)
    return not kind or kind in GENERIC_TYPES


def of_extension(extension: str) -> str | None:
    return BY_EXTENSION.get(extension.lower().lstrip("."))


def extension_for(media_type: str) -> str:
    """The extension a delivery of this type is stored under."""
    return _EXTENSION_OF_FAMILY[family_of(media_type) or "json"]
