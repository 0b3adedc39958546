"""The audit report as a person sees it: opened in headless Chromium, read back and photographed."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from clearance.cli.main import main
from tests.conftest import CHROMIUM, CHROMIUM_QUIET, PROJECT
from tests.integration.harness import DAY_ONE, NAMES, Harness, article

SCREENSHOT = PROJECT / "build" / "audit-report.png"
FLAGS = ("--headless", *CHROMIUM_QUIET, "--hide-scrollbars")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Debian's chromium is not installed (make test installs it)"
)


class VisibleText(HTMLParser):
    """The text a reader sees in a rendered DOM: headings and table cells, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.cells: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append(tag)
        if tag in ("h1", "h2", "td", "th"):
            (self.headings if tag.startswith("h") else self.cells).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        inside = [tag for tag in self._open if tag in ("h1", "h2", "td", "th")]
        if inside:
            target = self.headings if inside[-1].startswith("h") else self.cells
            target[-1] = " ".join(f"{target[-1]} {data}".split())


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_report_opens_in_chromium_with_headings_totals_and_rows(
    audit: Harness, tmp_path: Path
) -> None:
    # Given decisions over two days, one of them held, and a report of them
    for n in range(2):
        at = DAY_ONE + timedelta(days=n)
        audit.decide(article(n), at, f"inbound/menafn/{n}.txt")
    audit.decide(article(9, disclaimer=False), DAY_ONE, "inbound/menafn/held.txt")
    page = tmp_path / "report.html"
    assert main(["audit", "report", "--bucket", NAMES.bucket("audit"), "--html", str(page)]) == 0
    # When Chromium loads it with no network
    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile").stdout
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    chromium(
        f"--screenshot={SCREENSHOT}",
        "--window-size=1200,1600",
        page.as_uri(),
        profile=tmp_path / "p2",
    )
    # Then a person sees the headings, the totals and the held article with its finding
    seen = VisibleText()
    seen.feed(dom)
    assert seen.headings == [
        "Compliance audit report",
        "Filters",
        "Decisions by provider and outcome",
        "Decisions per day",
        "Held and rejected articles",
        "Kills",
        "Audit log verification",
    ]
    assert "menafn" in seen.cells
    held = [cell for cell in seen.cells if "Port report number 9" in cell]
    assert len(held) == 1
    assert any(
        cell.startswith("notice.menafn-disclaimer at /disclaimer (major)") for cell in seen.cells
    )
    assert "<svg" in dom
    # And the screenshot is a real picture of it
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.stat().st_size > 10_000
