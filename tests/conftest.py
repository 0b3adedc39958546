"""Shared fixtures: the project's policies, a fixed clock, and the shared samples where present."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.terms.policy import PolicySet

PROJECT = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT.parent / "shared" / "samples"
DEMO_ARTICLES = PROJECT / "events" / "articles"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
"""Debian's Chromium (`make browser`), or None: the browser tests skip without it."""
CHROMIUM_QUIET = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Flags that keep Chromium off the network and quiet on a machine with no display or sandbox."""
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"shared samples not found at {SAMPLES}"
)


def sample_paths(pattern: str) -> list[Path]:
    return sorted(SAMPLES.glob(pattern)) if SAMPLES.is_dir() else []


@pytest.fixture(scope="session")
def policies() -> PolicySet:
    loaded = PolicySet.load()
    assert not loaded.broken, loaded.broken
    return loaded


@pytest.fixture(scope="session")
def menafn_sample() -> bytes:
    path = SAMPLES / "menafn" / "000_3ffd96728f458706.txt"
    if not path.is_file():
        pytest.skip(f"MENAFN sample not found at {path}")
    return path.read_bytes()


@pytest.fixture
def figure(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Records what a test measured, for the run's "reliability figures" summary."""

    def record(text: str) -> None:
        request.node.user_properties.append(("figure", text))

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures of the reliability tests that passed: those recorded with `figure`, and the
    lines they printed (the JSON lines of logs and metrics left out)."""
    lines = []
    for report in terminalreporter.stats.get("passed", []):
        if report.when != "call" or "reliability" not in report.keywords:
            continue
        recorded = [str(value) for name, value in report.user_properties if name == "figure"]
        printed = [
            line.strip()
            for line in report.capstdout.splitlines()
            if line.strip() and not line.lstrip().startswith("{")
        ]
        lines += [f"{report.nodeid.split('::')[-1]}: {text}" for text in recorded + printed]
    if lines:
        terminalreporter.write_sep("=", "reliability figures")
        for line in lines:
            terminalreporter.write_line(line)


def lambda_context(function: str, memory_mb: int = 512) -> LambdaContext:
    """The context Lambda passes a function; Powertools reads its name and request id."""

    class Context(LambdaContext):
        function_name = function
        memory_limit_in_mb = memory_mb
        invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function}"
        aws_request_id = f"{function}-test-request"

    return Context()


def dpa_article(
    uri: str,
    version: str = "1",
    *,
    text: str | None = None,
    embargo: str | None = None,
    **fields: str,
) -> bytes:
    """A dpa ninjs article of the project's own: the demo article under another uri, version,
    body and embargo, with any top-level field replaced."""
    document = json.loads((DEMO_ARTICLES / "dpa-embargoed.json").read_text())
    document.pop("embargoedUntil")
    document.update(
        uri=uri, version=version, versionCreated=f"2026-11-23T{int(version) % 24:02d}:00:00+00:00"
    )
    document["bodies"][0]["value"] = f"<p>{text or f'Fassung {version}.'}</p>"
    if embargo:
        document["embargoedUntil"] = embargo
    document.update(fields)
    return json.dumps(document, ensure_ascii=False).encode()
