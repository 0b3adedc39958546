"""Cleared copies: ninjs 3.x JSON, an HTML page and plain text, with the notices the terms require.

Deterministic by construction: the same article, policy, notices and time give the same bytes
(no dict-order, clock or locale dependence), so content hashes identify a copy.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clearance.decide.attribution import AttachedNotice
from clearance.decide.licensee import Licensee
from clearance.decide.markup import html_to_text, sanitise, text_to_html, without_images
from clearance.decide.media import MediaVerdict
from clearance.ingest.article import Article, Association
from clearance.terms.policy import Policy


@dataclass(frozen=True, slots=True)
class Body:
    """The body ready to publish: safe HTML, its text, and whether making it safe lost text."""

    html: str
    text: str
    altered: bool


@dataclass(frozen=True, slots=True)
class Rendition:
    name: str
    extension: str
    media_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def prepare_body(article: Article) -> Body:
    source_html = article.get("body_html")
    if source_html:
        clean = sanitise(source_html)
        text = html_to_text(clean)
        altered = clean != source_html and _folded(html_to_text(source_html)) != _folded(text)
        return Body(clean, text, altered)
    text = (article.get("body_text") or "").strip()
    return Body(text_to_html(text), text, False)


def _folded(text: str) -> str:
    return " ".join(text.split())


def render(
    article: Article,
    body: Body,
    notices: Sequence[AttachedNotice],
    media: MediaVerdict,
    *,
    policy: Policy,
    now: datetime,
    licensee: Licensee,
    input_sha256: str,
) -> tuple[dict[str, Any], tuple[Rendition, ...]]:
    """The cleared ninjs document and its three renditions (JSON last, as it names the others)."""
    all_notices = notices
    byline = next((n.text for n in notices if n.replaces == "byline"), article.get("byline"))
    notices = [n for n in notices if n.replaces is None]
    fragment = _html_fragment(article, byline, body, notices, policy, hidden=media.hidden)
    page = _html_page(article, fragment)
    text = _text(article, byline, body, notices)
    html_rendition = Rendition("html", "html", "text/html; charset=utf-8", page.encode())
    text_rendition = Rendition("text", "txt", "text/plain; charset=utf-8", text.encode())
    document = _ninjs(article, byline, notices, fragment, text)
    if media.kept:
        document["associations"] = [_association(item) for item in media.kept]
    document["clearance"] = {
        "provider": policy.id,
        "policy": policy.ref,
        "cleared_at": now.isoformat(),
        "licensee": licensee.to_dict(),
        "input_sha256": input_sha256,
        "source_url": article.get("source_url"),
        "notices": [notice.to_dict() for notice in all_notices],
        **({"dropped": [item.to_dict() for item in media.dropped]} if media.dropped else {}),
        "renditions": {
            rendition.name: {"media_type": rendition.media_type, "sha256": rendition.sha256}
            for rendition in (html_rendition, text_rendition)
        },
    }
    data = (json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    json_rendition = Rendition("json", "json", "application/json", data)
    return document, (json_rendition, html_rendition, text_rendition)


def _ninjs(
    article: Article,
    byline: str | None,
    notices: Sequence[AttachedNotice],
    fragment: str,
    text: str,
) -> dict[str, Any]:
    """ninjs 3.x; the copyright and usage-terms members carry the notices actually attached."""
    attached = {notice.kind: notice.text for notice in notices}
    document: dict[str, Any] = {
        "uri": article["uri"],
        "type": article["type"],
        "version": article["version"],
        "pubStatus": "usable",
    }
    optional = {
        "versionCreated": article.get("version_created"),
        "firstCreated": article.get("first_created"),
        "language": article.get("language"),
        "copyrightHolder": article.get("copyright_holder"),
        "copyrightNotice": attached.get("copyright") or article.get("copyright_notice"),
        "usageTerms": attached.get("usage-terms") or article.get("usage_terms"),
        "by": byline,
    }
    document.update({key: value for key, value in optional.items() if value})
    document["headlines"] = [{"role": "main", "value": article["headline"]}]
    sources = [{"name": name} for name in article.get("info_sources") or ()]
    named = {name.casefold() for name in article.get("info_sources") or ()}
    for notice in notices:
        for slot, value in sorted(notice.slots.items()):
            if value.casefold() not in named:
                named.add(value.casefold())
                sources.append({"name": value, "role": slot})
    if sources:
        document["infoSources"] = sources
    document["bodies"] = [
        {"role": "main", "contentType": "text/html", "value": fragment},
        {"role": "main", "contentType": "text/plain", "value": text},
    ]
    return document


def _placed(notices: Sequence[AttachedNotice], placement: str) -> list[AttachedNotice]:
    return [notice for notice in notices if notice.placement == placement]


def _dateline(notices: Sequence[AttachedNotice]) -> str:
    """Credits the delivery lacked; a delivered dateline credit already opens the body."""
    return " ".join(n.text for n in _placed(notices, "dateline") if not n.delivered)


def _notice_html(notice: AttachedNotice, tag: str) -> str:
    text = html.escape(notice.text)
    if notice.link:
        href = html.escape(notice.link, quote=True)
        text = f'<a href="{href}" rel="noopener">{text}</a>'
    heading = f"<strong>{html.escape(notice.heading)}</strong> " if notice.heading else ""
    return (
        f'<{tag} class="notice notice-{notice.kind}" data-notice="{html.escape(notice.id)}">'
        f"{heading}{text}</{tag}>"
    )


def _html_fragment(
    article: Article,
    byline_text: str | None,
    body: Body,
    notices: Sequence[AttachedNotice],
    policy: Policy,
    *,
    hidden: frozenset[str],
) -> str:
    parts = [
        f'<article data-provider="{html.escape(policy.id)}" '
        f'data-policy-version="{html.escape(policy.version)}">',
        f"<h1>{html.escape(article['headline'])}</h1>",
    ]
    byline = [html.escape(byline_text)] if byline_text else []
    byline += [_notice_html(n, "span") for n in _placed(notices, "byline")]
    if byline:
        parts.append('<p class="byline">' + "<br>".join(byline) + "</p>")
    parts += [_notice_html(n, "aside") for n in _placed(notices, "start")]
    credit = _dateline(notices)
    if credit:
        parts.append(f'<p class="dateline-credit">{html.escape(credit)}</p>')
    parts.append(f'<div class="body">{without_images(body.html, hidden)}</div>')
    parts += [_notice_html(n, "aside") for n in _placed(notices, "end")]
    parts.append("</article>")
    return "\n".join(parts)


def _html_page(article: Article, fragment: str) -> str:
    head = ['<meta charset="utf-8">', f"<title>{html.escape(article['headline'])}</title>"]
    if article.get("source_url"):
        head.append(f'<link rel="canonical" href="{html.escape(article["source_url"] or "")}">')
    lang = html.escape(article.get("language") or "und")
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n'
        + "\n".join(head)
        + f"\n</head>\n<body>\n{fragment}\n</body>\n</html>\n"
    )


def _text(
    article: Article, byline_text: str | None, body: Body, notices: Sequence[AttachedNotice]
) -> str:
    blocks = [article["headline"]]
    byline = [byline_text] if byline_text else []
    byline += [n.text for n in _placed(notices, "byline")]
    if byline:
        blocks.append("\n".join(line for line in byline if line))
    blocks += [_notice_text(n) for n in _placed(notices, "start")]
    credit = _dateline(notices)
    blocks.append(f"{credit} {body.text}" if credit else body.text)
    blocks += [_notice_text(n) for n in _placed(notices, "end")]
    return "\n\n".join(blocks) + "\n"


def _notice_text(notice: AttachedNotice) -> str:
    text = (
        f"{notice.text} <{notice.link}>"
        if notice.link and notice.link not in notice.text
        else notice.text
    )
    return f"{notice.heading}\n{text}" if notice.heading else text


def _association(item: Association) -> dict[str, Any]:
    """An associated item the licence covers, with the rights fields it came with."""
    fields = {
        "uri": item["uri"],
        "headline": item["headline"],
        "by": item["byline"],
        "copyrightHolder": item["copyright_holder"],
        "copyrightNotice": item["copyright_notice"],
        "usageTerms": item["usage_terms"],
    }
    return {
        "name": item["name"],
        "type": item["type"],
        **{key: value for key, value in fields.items() if value},
    }
