"""Article HTML made safe to republish, and the text a reader sees in it.

nh3 (ammonia) does the sanitising; it is repeated until the output stops changing, because one
pass over hostile markup can produce markup that a second pass would still change.
"""

from __future__ import annotations

import html
from html.parser import HTMLParser

import nh3

_URL_SCHEMES = {"http", "https", "mailto"}
_MAX_PASSES = 5
_BLOCKS = frozenset(
    {
        *("address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt"),
        *("figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header"),
        *("hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul"),
    }
)
_INVISIBLE = frozenset({"script", "style", "template", "head", "title"})


def sanitise(markup: str) -> str:
    """Sanitised HTML that a further sanitising pass leaves unchanged."""
    current = markup
    for _ in range(_MAX_PASSES):
        cleaned = nh3.clean(current, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer")
        if cleaned == current:
            return cleaned
        current = cleaned
    return current


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _INVISIBLE:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _INVISIBLE:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Paragraphs separated by one blank line, runs of white space inside them folded."""
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    paragraphs = ("".join(extractor.parts)).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def text_to_html(text: str) -> str:
    """Plain paragraphs as HTML; blank lines separate paragraphs, single newlines become <br>."""
    paragraphs = [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line, quote=False) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )


class _ImageFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.sources.append(next((value or "" for name, value in attrs if name == "src"), ""))


def image_sources(markup: str) -> list[str]:
    """The address of every picture in the markup, in order ("" for one without).

    Markup in which `<img` appears in no case holds no picture, and is not parsed."""
    if "<img" not in markup.lower():
        return []
    finder = _ImageFinder()
    finder.feed(markup)
    finder.close()
    return finder.sources


def without_images(markup: str, sources: frozenset[str]) -> str:
    """Sanitised markup in which the pictures at `sources` no longer show (their address goes,
    the rest of the element and its text stay), so nothing a reader reads is lost."""
    if not sources:
        return markup

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute in ("src", "srcset") and value in sources:
            return None
        return value

    return nh3.clean(
        markup, url_schemes=_URL_SCHEMES, link_rel="noopener noreferrer", attribute_filter=keep
    )
