"""Media RSS (`media:content`, `media:group`, `media:thumbnail`) read as an item's associations,
each credited and noticed from its nearest scope, as the module's own inheritance rules say."""

from __future__ import annotations

import re
from collections.abc import Sequence
from xml.etree.ElementTree import Element

from clearance.ingest.article import Association, RightsNote, distinct, rights_note
from clearance.ingest.xmldoc import attribute, children, local, namespace, raw_text

MEDIA = "http://search.yahoo.com/mrss/"
_MEDIA_OBJECTS = ("content", "thumbnail")
_MEDIA_KINDS = {
    **{"image": "picture", "video": "video", "audio": "audio"},
    **dict.fromkeys(("jpg", "jpeg", "png", "gif", "webp", "avif", "tif", "tiff"), "picture"),
    **dict.fromkeys(("mp4", "m4v", "mov", "webm", "m3u8"), "video"),
    **dict.fromkeys(("mp3", "m4a", "aac", "ogg", "wav"), "audio"),
}


def media_objects(
    item: Element, above: list[Element]
) -> tuple[list[Association], list[RightsNote]]:
    """Media RSS objects as associations, each credited and noticed from its nearest scope."""
    found: list[list[Element]] = []
    for child in _media_children(item):
        if local(child.tag) in _MEDIA_OBJECTS:
            found.append([child, item, *above])
        elif local(child.tag) == "group":
            objects = (c for c in _media_children(child) if local(c.tag) in _MEDIA_OBJECTS)
            found += [[inner, child, item, *above] for inner in objects]
    associations = [_association(f"media-{n}", scopes) for n, scopes in enumerate(found, 1)]
    if found:
        return associations, []
    return [], [rights_note("media:copyright", text) for text in _media_texts([item], "copyright")]


def _media_children(element: Element) -> list[Element]:
    return [child for child in element if namespace(child.tag) == MEDIA]


def _association(name: str, scopes: list[Element]) -> Association:
    notices = _media_texts(scopes, "copyright")
    return {
        "name": name,
        "type": _media_kind(scopes[0]),
        "uri": attribute(scopes[0], "url") or None,
        "headline": None,
        "byline": None,
        "copyright_holder": ", ".join(distinct(_media_texts(scopes, "credit"))) or None,
        "copyright_notice": notices[0] if notices else None,
        "usage_terms": None,
        "encoded_rights": None,
        "linked_rights": None,
    }


def _media_texts(scopes: Sequence[Element], name: str) -> list[str]:
    """The texts of the nearest scope that has any of Media RSS `name`: inner ones override."""
    for scope in scopes:
        texts = [text for text in map(raw_text, children(scope, name, (MEDIA,))) if text]
        if texts:
            return texts
    return []


def _media_kind(element: Element) -> str:
    """Media RSS `medium`, else the type's kind, else the url's extension; thumbnails are images."""
    extension = re.split(r"[?#]", attribute(element, "url"))[0].rsplit(".", 1)[-1]
    kind = "image" if local(element.tag) == "thumbnail" else attribute(element, "medium")
    for hint in (kind, attribute(element, "type").split("/")[0], extension):
        if hint.lower() in _MEDIA_KINDS:
            return _MEDIA_KINDS[hint.lower()]
    return "media"
