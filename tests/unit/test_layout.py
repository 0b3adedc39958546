"""The package keeps its shape: wings that say what they own, a pure core, modules of one idea.

Which wing may import which is checked by import-linter (`make imports`, contracts in
pyproject.toml); what an import graph cannot see (reading the clock) is checked here.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.conftest import PROJECT

PACKAGE = PROJECT / "functions" / "clearance"
CORE = ("contracts", "ingest", "terms", "decide", "lifecycle", "audit")
WINGS = (*CORE, "aws", "services", "handlers", "local", "cli")
CLOCK = re.compile(r"\b(?:datetime|date)\.(?:now|today|utcnow)\(|\btime\.(?:time|monotonic)\(")
MAX_CORE_LINES = 420


def core_modules() -> list[Path]:
    return sorted(path for wing in CORE for path in (PACKAGE / wing).glob("*.py"))


@pytest.mark.parametrize("wing", WINGS)
def test_every_wing_says_what_it_owns(wing: str) -> None:
    # Given a wing of the package
    # When its __init__.py is read
    module = ast.parse((PACKAGE / wing / "__init__.py").read_text())
    docstring = ast.get_docstring(module)
    # Then it has a docstring saying what the wing owns
    assert docstring, f"{wing}/__init__.py has no docstring"
    # And that docstring is twelve lines at most
    assert len(docstring.splitlines()) <= 12


@pytest.mark.parametrize("path", core_modules(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_the_core_never_reads_the_clock(path: Path) -> None:
    # Given a module of the pure core
    # When its source is searched for a call that reads the clock, then none is found
    assert not CLOCK.findall(path.read_text()), f"{path} reads the clock; pass the time in"


@pytest.mark.parametrize("path", core_modules(), ids=lambda path: f"{path.parent.name}/{path.name}")
def test_core_modules_hold_one_idea_each(path: Path) -> None:
    # Given a module of the pure core
    # When its lines are counted
    lines = len(path.read_text().splitlines())
    # Then there are no more of them than the core's limit allows
    assert lines <= MAX_CORE_LINES, f"{path} has {lines} lines; split it by idea"
