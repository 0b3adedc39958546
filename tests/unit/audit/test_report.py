"""The compliance report: one self-contained, escaped, deterministic HTML page."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from clearance.audit.chain import Problem, ProblemKind
from clearance.audit.report import COLOURS, render_report
from clearance.audit.verification import Verification
from clearance.contracts.schemas import validator_for

GENERATED = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
DAY1 = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
HOSTILE = '<script>alert("pwned")</script><img src="https://evil.example/x.png">'
TITLE = "Audit review: November <week 48>"
FILTERS = {"provider": "menafn", "from": "2026-11-23", "to": "2026-11-25"}


def record(
    n: int,
    decided_at: datetime,
    outcome: str,
    *,
    provider: str | None = "menafn",
    headline: str | None = None,
    findings: list[dict[str, str]] | None = None,
    article_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An audit decision record as the lifecycle writes it; `extra` adds fields."""
    digest = hashlib.sha256(str(n).encode()).hexdigest()
    uri = f"urn:example:{provider}:{n}"
    value: dict[str, Any] = {
        "record_version": 1,
        "decision_id": f"{digest}-{'a' * 12}",
        "decided_at": decided_at.isoformat(),
        "request_id": f"req-{n}",
        "source": {
            "bucket": "inbound",
            "key": f"inbound/{provider}/{n}.txt",
            "version_id": None,
            "sha256": digest,
            "bytes": 100 + n,
        },
        "provider": provider,
        "article": {
            "uri": uri,
            "version": "1",
            "id": article_id or f"a{n}",
            "headline": headline if headline is not None else f"Headline {n}",
        },
        "policy": None,
        "outcome": outcome,
        "findings": findings or [],
        "copies": [],
        "withdrawn_prefix": None,
        **extra,
    }
    assert list(validator_for("audit-record.schema.json").iter_errors(value)) == []
    return value


DISCLAIMER = {
    "rule_id": "notice.menafn-disclaimer",
    "pointer": "/notices/disclaimer",
    "severity": "major",
    "message": "the disclaimer differs from the registered text",
}
TERRITORY = {
    "rule_id": "constraint.territory",
    "pointer": "/territory",
    "severity": "critical",
    "message": "republication is not licensed in US",
}
RECORDS = [
    record(1, DAY1, "cleared"),
    record(2, DAY1 + timedelta(minutes=5), "cleared", provider="dpa"),
    record(3, DAY1 + timedelta(minutes=9), "held", headline=HOSTILE, findings=[DISCLAIMER]),
    record(4, DAY1 + timedelta(days=2), "rejected", provider="ap", findings=[TERRITORY]),
    record(5, DAY1 + timedelta(days=2, hours=1), "withdrawn", provider="ap"),
    record(6, DAY1 + timedelta(days=2, hours=2), "cleared"),
]
WINDOW = (datetime(2026, 11, 23, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC))
VERIFIED = Verification(WINDOW[0], WINDOW[1], 6, 72, 1, 0, WINDOW[1], ())


class Page(HTMLParser):
    """What a reader (or a browser) sees: elements, attributes, text by element, tables."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.text: dict[str, list[str]] = {}
        self.sections: dict[str, list[list[str]]] = {}
        self._section: str | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag not in {"meta", "br", "rect", "line"}:
            self.stack.append(tag)
        if tag == "section":
            self._section = attributes.get("id")
        elif tag == "tr" and self._section:
            self._row = []
            self.sections.setdefault(self._section, []).append(self._row)
        elif tag in {"td", "th"}:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in {"td", "th"} and self._cell is not None and self._row is not None:
            self._row.append(" ".join(" ".join(self._cell).split()))
            self._cell = None
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.text.setdefault(self.stack[-1], []).append(data)
        if self._cell is not None:
            self._cell.append(data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def render(records: list[dict[str, Any]] = RECORDS, **kwargs: Any) -> str:
    kwargs.setdefault("verification", VERIFIED)
    kwargs.setdefault("title", TITLE)
    kwargs.setdefault("generated_at", GENERATED)
    kwargs.setdefault("filters", FILTERS)
    return render_report(records, kwargs.pop("verification"), **kwargs)


PAGE = Page(render())


def test_page_has_a_title_and_a_heading_per_section() -> None:
    # Given six decisions over three days / When the report is rendered
    # Then the title is the first heading, escaped, and each section has its own heading
    assert PAGE.text["h1"] == [TITLE]
    assert PAGE.text["title"][0] == TITLE
    assert PAGE.text["h2"] == [
        "Filters",
        "Decisions by provider and outcome",
        "Decisions per day",
        "Held and rejected articles",
        "Kills",
        "Audit log verification",
    ]


def test_filters_used_are_listed() -> None:
    # Given three filters / Then each is listed, sorted; and no filters says so
    assert PAGE.sections["filters"] == [
        ["from", "2026-11-23"],
        ["provider", "menafn"],
        ["to", "2026-11-25"],
    ]
    without = Page(render(filters={}))
    assert "No filters: every decision in the log." in without.text["p"]


def test_totals_per_provider_and_outcome() -> None:
    # Then one row per provider, a column per outcome and a total, and a row for all providers
    assert PAGE.sections["totals"] == [
        ["provider", "cleared", "held", "rejected", "withdrawn", "superseded", "total"],
        ["ap", "0", "0", "1", "1", "0", "2"],
        ["dpa", "1", "0", "0", "0", "0", "1"],
        ["menafn", "2", "1", "0", "0", "0", "3"],
        ["all providers", "3", "1", "1", "1", "0", "6"],
    ]


def test_held_and_rejected_articles_are_listed_with_their_findings() -> None:
    # Given one held and one rejected decision among six
    # Then each has a row: when, who, headline and uri, record key, and every finding
    rows = PAGE.sections["attention"]
    assert rows[0] == [
        "decided (UTC)",
        "provider",
        "outcome",
        "article",
        "audit record",
        "findings",
    ]
    held, rejected = rows[1:]
    assert held[:3] == ["2026-11-23 09:24:00", "menafn", "held"]
    assert held[3] == f"{HOSTILE} urn:example:menafn:3"
    assert held[4].startswith("audit/decisions/dt=2026-11-23/menafn/")
    assert held[5] == (
        "notice.menafn-disclaimer at /notices/disclaimer (major): "
        "the disclaimer differs from the registered text"
    )
    assert rejected[:4] == ["2026-11-25 09:15:00", "ap", "rejected", "Headline 4 urn:example:ap:4"]
    assert rejected[5] == (
        "constraint.territory at /territory (critical): republication is not licensed in US"
    )


@pytest.mark.reliability
def test_hostile_text_from_providers_is_shown_never_run() -> None:
    # Given a headline, provider, filter and finding carrying markup
    evil = record(
        7,
        DAY1,
        "rejected",
        provider='x"><svg onload=alert(1)>',
        headline=HOSTILE,
        findings=[{**TERRITORY, "message": HOSTILE, "rule_id": "<b>rule</b>"}],
    )
    text = render([evil], filters={"<i>q</i>": HOSTILE}, title=HOSTILE)
    page = Page(text)
    # Then no script, image or injected element reaches the page, and the text reads as sent
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "img", "b", "i"}
    assert page.all("svg", onload="alert(1)") == []
    assert not any(name.startswith("on") for _, attrs in page.tags for name in attrs)
    assert page.text["h1"] == [HOSTILE]
    assert HOSTILE in " ".join(page.text["span"])
    assert "&lt;script&gt;" in text
    assert ['x"><svg onload=alert(1)>', "0", "0", "1", "0", "0", "1"] in page.sections["totals"]


@pytest.mark.reliability
def test_page_references_nothing_remote_and_runs_nothing() -> None:
    # Then no element loads anything, the CSS has no url(), and the CSP forbids both anyway
    for _, attrs in PAGE.tags:
        for name, value in attrs.items():
            if name in {"src", "href", "xlink:href", "action", "srcset", "data"}:
                pytest.fail(f"{name}={value!r} refers to a resource")
            assert "http:" not in (value or "")
            assert "https:" not in (value or "")
    assert PAGE.all("script") == []
    assert "url(" not in "".join(PAGE.text["style"])
    (csp,) = PAGE.all("meta", **{"http-equiv": "Content-Security-Policy"})
    assert csp["content"] == "default-src 'none'; style-src 'unsafe-inline'"


def test_chart_is_inline_svg_with_one_bar_group_per_day() -> None:
    # Then the chart spans 23 to 25 November, the quiet 24th included with no bars
    (svg,) = PAGE.all("svg")
    assert svg["role"] == "img"
    days = [attrs["data-day"] for attrs in PAGE.all("g", **{"class": "day"})]
    assert days == ["2026-11-23", "2026-11-24", "2026-11-25"]
    bars = [(attrs["class"], attrs["fill"]) for attrs in PAGE.all("rect") if attrs.get("class")]
    assert bars == [
        ("cleared", COLOURS["cleared"]),
        ("held", COLOURS["held"]),
        ("cleared", COLOURS["cleared"]),
        ("rejected", COLOURS["rejected"]),
        ("withdrawn", COLOURS["withdrawn"]),
    ]
    # And it has axis labels, a legend naming each outcome, and a tooltip per day
    texts = PAGE.text["text"]
    assert {"decisions", "day (UTC), 2026-11-23 to 2026-11-25", "11-23", "0"} <= set(texts)
    assert {"cleared", "held", "rejected", "withdrawn"} <= set(texts)
    assert "2026-11-23: 2 cleared, 1 held" in PAGE.text["title"]
    assert "2026-11-24: none" in PAGE.text["title"]


def test_bar_heights_are_proportional_to_counts() -> None:
    # Given two cleared and one held on the 23rd / Then the cleared bar is twice as tall
    heights: dict[str, float] = {}
    for attrs in PAGE.all("rect"):
        if attrs.get("class") == "cleared":
            heights.setdefault("cleared", float(attrs["height"] or 0))
        if attrs.get("class") == "held":
            heights["held"] = float(attrs["height"] or 0)
    assert heights["cleared"] == pytest.approx(2 * heights["held"])


def test_verified_log_is_reported_in_green_with_counts() -> None:
    # Given a verification without problems / Then one green line gives the counts
    (line,) = PAGE.all("p", **{"class": "verified"})
    verified = [t for t in PAGE.text["p"] if t.startswith("✓")]
    assert verified == [
        "✓ 6 records verified in 72 digests; 1 record in the open hour not yet sealed. "
        "2026-11-23 00:00:00 UTC to 2026-11-26 00:00:00 UTC: no changes, deletions or insertions."
    ]
    assert PAGE.all("p", **{"class": "failed"}) == []
    assert "#1b5e20" in "".join(PAGE.text["style"])
    assert line == {"class": "verified"}


def test_problems_are_reported_in_red_one_row_each() -> None:
    # Given a verification that found a changed record and a deleted digest
    problems = (
        Problem(ProblemKind.RECORD_CHANGED, "audit/decisions/dt=2026-11-23/a.json", "changed"),
        Problem(ProblemKind.DIGEST_DELETED, "audit/digests/2026/11/23/10.json", HOSTILE),
    )
    failed = Verification(WINDOW[0], WINDOW[1], 4, 70, 0, 1, WINDOW[1], problems)
    page = Page(render(verification=failed))
    # Then the result is red, counts the problems, and lists each, escaped
    assert page.all("p", **{"class": "verified"}) == []
    (summary,) = [t for t in page.text["p"] if t.startswith("✗")]
    assert summary.startswith("✗ 2 problems found in the audit log")
    assert (
        "4 records verified in 70 digests; 0 records in the open hour not yet sealed "
        "(1 could not be verified)"
    ) in summary
    assert page.sections["verification"] == [
        ["problem", "key", "what is wrong"],
        ["record changed", "audit/decisions/dt=2026-11-23/a.json", "changed"],
        ["digest deleted", "audit/digests/2026/11/23/10.json", HOSTILE],
    ]


def test_report_without_verification_says_so() -> None:
    # Given no verification / Then the page says the log was not verified
    page = Page(render(verification=None))
    assert "The audit log was not verified for this report." in page.text["p"]


def test_same_input_gives_the_same_page_whatever_the_order() -> None:
    # Given the same decisions in another order / Then the page is byte for byte the same
    page = render()
    assert render(list(reversed(RECORDS))) == page
    assert render(RECORDS[3:] + RECORDS[:3]) == page


def test_no_decisions_still_renders_a_complete_page() -> None:
    # Given no decisions / Then every section is there, with zero totals and no bars
    page = Page(render([], verification=None))
    assert page.sections["totals"][-1] == ["all providers", "0", "0", "0", "0", "0", "0"]
    assert page.all("g", **{"class": "day"}) == []
    assert "No decisions to chart." in page.text["text"]
    assert "None." in page.text["p"]


def test_unexpected_outcome_and_unknown_provider_are_counted_not_hidden() -> None:
    # Given an outcome outside the four and no provider / Then both get a column and a row
    odd = record(8, DAY1, "cleared", provider=None)
    odd["outcome"] = "escalated"
    page = Page(render([odd]))
    assert page.sections["totals"][0][-2:] == ["escalated", "total"]
    assert page.sections["totals"][1] == ["unknown", "0", "0", "0", "0", "0", "1", "1"]


def kill_records(n: int, received: datetime, *, overdue: bool) -> list[dict[str, Any]]:
    """A kill with a one-hour deadline and the sweep's record at the deadline."""
    deadline = received + timedelta(hours=1)
    prefix = f"cleared/dpa/a{n}/"
    swept = deadline + timedelta(minutes=2) if overdue else received + timedelta(minutes=1)
    gone = [
        {
            "bucket": "cleared",
            "key": f"{prefix}v1-{n}.{extension}",
            "version_id": None,
            "sha256": hashlib.sha256(extension.encode()).hexdigest(),
            "removed_at": swept.isoformat(),
        }
        for extension in ("json", "html")
    ]
    rule = {
        "rule_id": "kill.overdue" if overdue else "kill.complete",
        "pointer": "",
        "severity": "critical" if overdue else "info",
        "message": "at the kill deadline",
    }
    later: dict[str, Any] = {"removed": gone} if overdue else {}
    kill = record(
        n,
        received,
        "withdrawn",
        provider="dpa",
        record_version=2,
        event={"kind": "kill", "by": "feed", "reason": "kill"},
        withdrawn_prefix=prefix,
        deadline=deadline.isoformat(),
        removed=[] if overdue else gone,
    )
    timer = record(
        n + 100,
        deadline + timedelta(minutes=2),
        "withdrawn",
        provider="dpa",
        article_id=f"a{n}",
        findings=[rule],
        record_version=2,
        event={"kind": "timer", "timer": "kill-deadline", "by": "schedule", "reason": "kill"},
        deadline=deadline.isoformat(),
        **later,
    )
    return [kill, timer]


def test_kills_are_tabled_with_their_deadline_and_verdict() -> None:
    # Given a kill whose copies went within a minute and one whose copies outlived the deadline
    kills = kill_records(20, DAY1, overdue=False) + kill_records(21, DAY1, overdue=True)
    # When the report is rendered with them
    page = Page(render(RECORDS + kills))
    # Then the Kills table has one row per killed article, oldest first, with its verdict
    assert page.sections["kills"] == [
        [
            "provider",
            "article",
            "received (UTC)",
            "deadline (UTC)",
            "completed (UTC)",
            "copies removed",
            "verdict",
        ],
        [
            "dpa",
            "a20 urn:example:dpa:20",
            "2026-11-23 09:15:00",
            "2026-11-23 10:15:00",
            "2026-11-23 09:16:00",
            "2",
            "complete",
        ],
        [
            "dpa",
            "a21 urn:example:dpa:21",
            "2026-11-23 09:15:00",
            "2026-11-23 10:15:00",
            "2026-11-23 10:17:00",
            "2",
            "overdue",
        ],
    ]
    # And each verdict is marked for its colour, the overdue one in red
    verdicts = [
        attrs["class"] for attrs in page.all("td") if attrs.get("class") in {"complete", "overdue"}
    ]
    assert verdicts == ["complete", "overdue"]
    assert "td.overdue,td.incomplete{color:#b71c1c" in "".join(page.text["style"])


def test_a_killed_article_uri_carrying_markup_is_shown_never_run() -> None:
    # Given a kill whose uri carries markup
    [kill, _] = kill_records(22, DAY1, overdue=False)
    kill["article"]["uri"] = HOSTILE
    # When the report is rendered
    page = Page(render([kill]))
    # Then the uri reads as sent in the Kills table and no element is injected
    assert page.sections["kills"][1][1] == f"a22 {HOSTILE}"
    assert page.all("script") == []
    assert page.all("img") == []


def test_no_kills_is_said_in_one_sentence() -> None:
    # Given decisions without any kill (a withdrawal without a kill event among them)
    # Then the Kills section says there were none, and has no table
    assert "No kills among these decisions." in PAGE.text["p"]
    assert "kills" not in PAGE.sections


def test_a_hold_later_cleared_no_longer_needs_attention() -> None:
    # Given an article held, then cleared by a reviewer's approval an hour later
    held = record(30, DAY1, "held", findings=[DISCLAIMER])
    approved = record(31, DAY1 + timedelta(hours=1), "cleared", article_id="a30")
    # And another held article cleared only before it was held again
    earlier = record(32, DAY1, "cleared", article_id="a33")
    held_again = record(33, DAY1 + timedelta(hours=2), "held", findings=[DISCLAIMER])
    # When the report is rendered
    rows = Page(render([held, approved, earlier, held_again])).sections["attention"][1:]
    # Then only the article still held is listed
    assert [row[3] for row in rows] == ["Headline 33 urn:example:menafn:33"]


def test_a_rejection_stays_listed_whatever_follows() -> None:
    # Given a rejected delivery and a later cleared delivery of the same article
    rejected = record(40, DAY1, "rejected", findings=[TERRITORY])
    cleared = record(41, DAY1 + timedelta(hours=1), "cleared", article_id="a40")
    # Then the rejection is still listed
    rows = Page(render([rejected, cleared])).sections["attention"][1:]
    assert [row[2] for row in rows] == ["rejected"]
