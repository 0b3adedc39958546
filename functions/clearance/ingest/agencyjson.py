"""The agencies' own JSON read into normalised articles: dpa digitalwires, the AP Media API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from clearance.ingest.article import ArticleError, ReadItem


def is_digitalwires(document: Mapping[str, Any]) -> bool:
    return False


def is_ap_media(document: Mapping[str, Any]) -> bool:
    return False


def read_digitalwires(document: Mapping[str, Any]) -> list[ReadItem]:
    return [ReadItem(ArticleError("format-unsupported", "not yet read"))]


def read_ap_media(document: Mapping[str, Any]) -> list[ReadItem]:
    return [ReadItem(ArticleError("format-unsupported", "not yet read"))]
