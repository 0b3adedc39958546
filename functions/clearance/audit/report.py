"""The compliance report: one self-contained HTML page of decisions, reasons and log integrity.

The page is archived with an export and handed to people outside the team, so it carries its own
CSS and an inline SVG chart, references nothing remote and runs no script (a Content Security
Policy says so to the browser too). Headlines and findings come from providers: every value is
escaped. The same input gives the same bytes, so a report can itself be hashed and compared.
"""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from clearance.audit.kills import KillStatus, kill_statuses
from clearance.audit.verification import Verification
from clearance.contracts import keys
from clearance.decide.findings import Outcome

OUTCOMES = tuple(outcome.value for outcome in Outcome)
COLOURS = {"cleared": "#2e7d32", "held": "#ef6c00", "rejected": "#c62828", "withdrawn": "#757575"}
OTHER_COLOUR = "#5c6bc0"
ATTENTION = (Outcome.HELD.value, Outcome.REJECTED.value)
MAX_TEXT = 300

_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;
margin:2rem auto;max-width:72rem;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tfoot td{font-weight:600}code{font-size:.85em;word-break:break-all}
ul.findings{margin:0;padding-left:1.1rem}.meta{color:#555}
.verified{color:#1b5e20;font-weight:600}.failed{color:#b71c1c;font-weight:600}
.problems td{color:#b71c1c}.unverified{color:#555;font-style:italic}
svg text{font:11px system-ui,sans-serif;fill:#333}svg .axis{stroke:#999}
svg .grid{stroke:#eee}td.complete{color:#1b5e20}
td.overdue,td.incomplete{color:#b71c1c;font-weight:600}
"""


def render_report(
    records: Sequence[Mapping[str, Any]],
    verification: Verification | None,
    *,
    title: str,
    generated_at: datetime,
    filters: Mapping[str, str],
) -> str:
    """The whole page; `records` are audit decision records (audit-record.schema.json)."""
    sections = [
        _head(title),
        "<body>",
        f"<header><h1>{_e(title)}</h1>",
        f'<p class="meta">Generated {_e(_time(generated_at))}. '
        f"{len(records)} decision{'' if len(records) == 1 else 's'}"
        f"{_range(records)}.</p></header>",
        _filters(filters),
        _totals(records),
        _chart(records),
        _attention(records),
        _kills(kill_statuses(records, generated_at)),
        _verification(verification),
        "</body>",
        "</html>",
    ]
    return "\n".join(sections) + "\n"


def _head(title: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{_CSS}</style>\n</head>"
    )


def _filters(filters: Mapping[str, str]) -> str:
    if not filters:
        body = "<p>No filters: every decision in the log.</p>"
    else:
        rows = "".join(
            f'<tr><th scope="row">{_e(name)}</th><td>{_e(value)}</td></tr>'
            for name, value in sorted(filters.items())
        )
        body = f"<table><tbody>{rows}</tbody></table>"
    return f'<section id="filters"><h2>Filters</h2>{body}</section>'


def _totals(records: Sequence[Mapping[str, Any]]) -> str:
    outcomes = _outcomes(records)
    counts = Counter((_provider(r), _outcome(r)) for r in records)
    providers = sorted({provider for provider, _ in counts})
    head = "".join(f'<th scope="col" class="n">{_e(o)}</th>' for o in outcomes)
    rows = []
    for provider in providers:
        cells = "".join(f'<td class="n">{counts[provider, o]}</td>' for o in outcomes)
        total = sum(counts[provider, o] for o in outcomes)
        rows.append(
            f'<tr><th scope="row">{_e(provider)}</th>{cells}<td class="n">{total}</td></tr>'
        )
    foot = "".join(f'<td class="n">{sum(counts[p, o] for p in providers)}</td>' for o in outcomes)
    return (
        '<section id="totals"><h2>Decisions by provider and outcome</h2>'
        f'<table><thead><tr><th scope="col">provider</th>{head}'
        '<th scope="col" class="n">total</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody>"
        f'<tfoot><tr><td>all providers</td>{foot}<td class="n">{len(records)}</td></tr></tfoot>'
        "</table></section>"
    )


def _chart(records: Sequence[Mapping[str, Any]]) -> str:
    """Stacked bars per UTC day, one colour per outcome, every day of the range shown."""
    outcomes = _outcomes(records)
    per_day: dict[date, Counter[str]] = {}
    undated = 0
    for record in records:
        moment = _decided_at(record)
        if moment is None:
            undated += 1
            continue
        per_day.setdefault(moment.date(), Counter())[_outcome(record)] += 1
    note = (
        f'<p class="meta">{undated} decision{"" if undated == 1 else "s"} without a readable '
        "time are not charted.</p>"
        if undated
        else ""
    )
    if not per_day:
        svg = (
            '<svg role="img" aria-label="No decisions to chart" width="320" height="40" '
            'viewBox="0 0 320 40"><text x="8" y="24">No decisions to chart.</text></svg>'
        )
        return f'<section id="timeline"><h2>Decisions per day</h2>{svg}{note}</section>'
    first, last = min(per_day), max(per_day)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    peak = max(sum(counter.values()) for counter in per_day.values())
    step = _nice_step(peak)
    top = step * math.ceil(peak / step)
    slot = max(6.0, min(48.0, 720 / len(days)))
    left, plot_top, plot_height, bottom = 56, 40, 180, 64
    width = max(left + slot * len(days) + 16, left + 100 * len(outcomes))
    height = plot_top + plot_height + bottom
    base = plot_top + plot_height
    right = left + slot * len(days)

    def y(value: float) -> float:
        return base - plot_height * value / top

    parts = [
        f'<svg role="img" aria-labelledby="chart-title" width="{_n(width)}" '
        f'height="{height}" viewBox="0 0 {_n(width)} {height}">',
        '<title id="chart-title">Decisions per day (UTC), stacked by outcome</title>',
    ]
    for tick in range(0, top + 1, step):
        parts.append(
            f'<line class="grid" x1="{left}" y1="{_n(y(tick))}" x2="{_n(right)}" '
            f'y2="{_n(y(tick))}"/><text x="{left - 6}" y="{_n(y(tick) + 4)}" '
            f'text-anchor="end">{tick}</text>'
        )
    parts.append(f'<line class="axis" x1="{left}" y1="{base}" x2="{_n(right)}" y2="{base}"/>')
    parts.append(f'<line class="axis" x1="{left}" y1="{plot_top}" x2="{left}" y2="{base}"/>')
    label_every = math.ceil(40 / slot)
    bar = max(2.0, slot * 0.7)
    for i, day in enumerate(days):
        counter = per_day.get(day, Counter())
        x = left + slot * i + (slot - bar) / 2
        summary = ", ".join(f"{counter[o]} {o}" for o in outcomes if counter[o]) or "none"
        parts.append(
            f'<g class="day" data-day="{day.isoformat()}"><title>{_e(day.isoformat())}: '
            f"{_e(summary)}</title>"
        )
        stacked = 0
        for outcome in outcomes:
            count = counter[outcome]
            if not count:
                continue
            parts.append(
                f'<rect class="{_e(outcome)}" x="{_n(x)}" y="{_n(y(stacked + count))}" '
                f'width="{_n(bar)}" height="{_n(y(stacked) - y(stacked + count))}" '
                f'fill="{_colour(outcome)}"/>'
            )
            stacked += count
        parts.append("</g>")
        if i % label_every == 0:
            cx = left + slot * i + slot / 2
            parts.append(
                f'<text x="{_n(cx)}" y="{base + 14}" text-anchor="end" '
                f'transform="rotate(-45 {_n(cx)} {base + 14})">{day:%m-%d}</text>'
            )
    parts.append(
        f'<text x="14" y="{_n(plot_top + plot_height / 2)}" text-anchor="middle" '
        f'transform="rotate(-90 14 {_n(plot_top + plot_height / 2)})">decisions</text>'
    )
    parts.append(
        f'<text x="{_n(left + slot * len(days) / 2)}" y="{height - 6}" '
        f'text-anchor="middle">day (UTC), {first.isoformat()} to {last.isoformat()}</text>'
    )
    parts.append('<g class="legend">')
    for i, outcome in enumerate(outcomes):
        lx = left + i * 100
        parts.append(
            f'<rect x="{lx}" y="12" width="12" height="12" fill="{_colour(outcome)}"/>'
            f'<text x="{lx + 16}" y="22">{_e(outcome)}</text>'
        )
    parts.append("</g></svg>")
    return f'<section id="timeline"><h2>Decisions per day</h2>{"".join(parts)}{note}</section>'


def _attention(records: Sequence[Mapping[str, Any]]) -> str:
    cleared = _last_cleared(records)
    chosen = sorted(
        (r for r in records if _needs_attention(r, cleared)),
        key=lambda r: (str(r.get("decided_at") or ""), str(r.get("decision_id") or "")),
    )
    heading = "<h2>Held and rejected articles</h2>"
    if not chosen:
        return f'<section id="attention">{heading}<p>None.</p></section>'
    rows = []
    for record in chosen:
        article = record.get("article") or {}
        headline = article.get("headline")
        uri = article.get("uri")
        findings = "".join(
            f"<li><code>{_e(f.get('rule_id'))}</code> at <code>{_e(f.get('pointer') or '/')}"
            f"</code> ({_e(f.get('severity'))}): {_e(_short(f.get('message')))}</li>"
            for f in record.get("findings") or []
        )
        rows.append(
            "<tr>"
            f"<td>{_e(_time_text(record))}</td>"
            f"<td>{_e(_provider(record))}</td>"
            f"<td>{_e(_outcome(record))}</td>"
            f'<td><span class="headline">{_e(_short(headline) if headline else "(no headline)")}'
            f"</span>{f'<br><code>{_e(_short(uri))}</code>' if uri else ''}</td>"
            f"<td><code>{_e(_record_key(record))}</code></td>"
            f'<td><ul class="findings">{findings}</ul></td>'
            "</tr>"
        )
    return (
        f'<section id="attention">{heading}<table><thead><tr>'
        '<th scope="col">decided (UTC)</th><th scope="col">provider</th>'
        '<th scope="col">outcome</th><th scope="col">article</th>'
        '<th scope="col">audit record</th><th scope="col">findings</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></section>"
    )


def _last_cleared(records: Sequence[Mapping[str, Any]]) -> dict[str, datetime]:
    """When each article was last cleared (a delivery, an approval, an embargo's end)."""
    last: dict[str, datetime] = {}
    for record in records:
        moment, article_id = _decided_at(record), _article_id(record)
        if _outcome(record) == Outcome.CLEARED.value and moment and article_id:
            last[article_id] = max(moment, last.get(article_id, moment))
    return last


def _needs_attention(record: Mapping[str, Any], cleared: Mapping[str, datetime]) -> bool:
    """Held or rejected, unless a later clearance of the same article lifted the hold."""
    moment, later = _decided_at(record), cleared.get(_article_id(record) or "")
    lifted = _outcome(record) == Outcome.HELD.value and moment and later and later > moment
    return _outcome(record) in ATTENTION and not lifted


def _kills(statuses: Sequence[KillStatus]) -> str:
    if not statuses:
        return '<section id="kills"><h2>Kills</h2><p>No kills among these decisions.</p></section>'
    rows = "".join(
        f"<tr><td>{_e(s.provider)}</td><td><code>{_e(s.article_id)}</code>"
        f"{f'<br><code>{_e(_short(s.uri))}</code>' if s.uri else ''}</td>"
        f"<td>{_e(_clock(s.received, '-'))}</td><td>{_e(_clock(s.deadline, 'none'))}</td>"
        f'<td>{_e(_clock(s.completed, "not yet"))}</td><td class="n">{len(s.removed)}</td>'
        f'<td class="{s.verdict.value}">{s.verdict.value}</td></tr>'
        for s in statuses
    )
    return (
        '<section id="kills"><h2>Kills</h2><table><thead><tr><th scope="col">provider</th>'
        '<th scope="col">article</th><th scope="col">received (UTC)</th>'
        '<th scope="col">deadline (UTC)</th><th scope="col">completed (UTC)</th>'
        '<th scope="col" class="n">copies removed</th><th scope="col">verdict</th></tr></thead>'
        f'<tbody>{rows}</tbody></table><p class="meta">Judged from the audit records alone; '
        "<code>clearance audit kills</code> also looks for copies still present.</p></section>"
    )


def _verification(verification: Verification | None) -> str:
    heading = '<section id="verification"><h2>Audit log verification</h2>'
    if verification is None:
        return (
            f'{heading}<p class="unverified">The audit log was not verified for this report.'
            "</p></section>"
        )
    v = verification
    period = f"{_time(v.start)} to {_time(v.end)}"
    counts = (
        f"{v.verified_records} record{'' if v.verified_records == 1 else 's'} verified in "
        f"{v.verified_digests} digest{'' if v.verified_digests == 1 else 's'}; "
        f"{v.not_yet_digested} record{'' if v.not_yet_digested == 1 else 's'} in the open hour "
        "not yet sealed"
    )
    extra = []
    if v.unverified_records:
        extra.append(f"{v.unverified_records} could not be verified")
    tail = f" ({'; '.join(extra)})" if extra else ""
    if v.ok:
        return (
            f'{heading}<p class="verified">✓ {_e(counts)}{_e(tail)}. {_e(period)}: no '
            "changes, deletions or insertions.</p></section>"
        )
    rows = "".join(
        f"<tr><td>{_e(p.kind.value.replace('_', ' '))}</td><td><code>{_e(p.key)}</code></td>"
        f"<td>{_e(p.message)}</td></tr>"
        for p in v.problems
    )
    count = len(v.problems)
    return (
        f'{heading}<p class="failed">✗ {count} problem{"" if count == 1 else "s"} found in the '
        f"audit log, {_e(period)}; {_e(counts)}{_e(tail)}.</p>"
        '<table class="problems"><thead><tr><th scope="col">problem</th>'
        '<th scope="col">key</th><th scope="col">what is wrong</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></section>"
    )


def _outcomes(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """The four outcomes in their usual order, then any unexpected ones, so none is hidden."""
    seen = {_outcome(r) for r in records}
    return [*OUTCOMES, *sorted(seen - set(OUTCOMES))]


def _outcome(record: Mapping[str, Any]) -> str:
    return str(record.get("outcome") or "unknown")


def _provider(record: Mapping[str, Any]) -> str:
    return str(record.get("provider") or "unknown")


def _colour(outcome: str) -> str:
    return COLOURS.get(outcome, OTHER_COLOUR)


def _decided_at(record: Mapping[str, Any]) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(record.get("decided_at")))
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def _article_id(record: Mapping[str, Any]) -> str | None:
    article = record.get("article")
    value = article.get("id") if isinstance(article, Mapping) else None
    return str(value) if value else None


def _clock(moment: datetime | None, absent: str) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S}" if moment else absent


def _time_text(record: Mapping[str, Any]) -> str:
    moment = _decided_at(record)
    return f"{moment:%Y-%m-%d %H:%M:%S}" if moment else str(record.get("decided_at") or "")


def _range(records: Sequence[Mapping[str, Any]]) -> str:
    moments = [m for m in (_decided_at(r) for r in records) if m is not None]
    if not moments:
        return ""
    return f", decided {_e(_time(min(moments)))} to {_e(_time(max(moments)))}"


def _record_key(record: Mapping[str, Any]) -> str:
    try:
        return keys.record_key(record)
    except (KeyError, TypeError, IndexError):
        return str(record.get("decision_id") or "")


def _time(moment: datetime) -> str:
    if moment.tzinfo is None:
        return f"{moment:%Y-%m-%d %H:%M:%S}"
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _nice_step(peak: int) -> int:
    """A 1, 2 or 5 times a power of ten, giving four or five grid lines."""
    rough = max(1.0, peak / 4)
    power = 10 ** math.floor(math.log10(rough))
    for factor in (1, 2, 5, 10):
        if factor * power >= rough:
            return int(factor * power)
    return int(10 * power)


def _short(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _n(value: float) -> str:
    """Coordinates with at most one decimal, written the same way every time."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)
