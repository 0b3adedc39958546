"""RSS 2.0 / RSS 1.0 and Atom read into normalised articles: one per item or entry."""

from __future__ import annotations

from xml.etree.ElementTree import Element

from clearance.ingest.article import ArticleError, ReadItem


def read_rss(root: Element) -> list[ReadItem]:
    return [ReadItem(ArticleError("format-unsupported", "not yet read"))]


def read_atom(root: Element) -> list[ReadItem]:
    return [ReadItem(ArticleError("format-unsupported", "not yet read"))]
