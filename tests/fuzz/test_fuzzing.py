"""Coverage-guided fuzzing of every reader, the chooser and the door, and the decision, bounded.

Each target runs under atheris in its own process for FUZZ_SECONDS (15 by default; `make fuzz`
runs longer), two at a time, seeded with its corpus and the shared samples where present. An
input that breaks a target's contract is written to `crashes/<target>/`, where
`test_regressions.py` replays it from then on, and the test fails naming it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fuzz.targets import CRASHES, TARGETS

PROJECT = Path(__file__).resolve().parents[2]
SECONDS = int(os.environ.get("FUZZ_SECONDS", "15"))
AT_ONCE = 2
_EXECUTED = re.compile(r"stat::number_of_executed_units:\s*(\d+)")
_DONE = re.compile(r"Done \d+ runs in (\d+) second")


@dataclass(frozen=True, slots=True)
class Fuzzed:
    """What one target's run did: executions, the crash inputs it kept, and how it ended."""

    target: str
    executions: int
    crashing_inputs: int
    crashes: tuple[str, ...]
    returncode: int
    seconds: float
    log: str

    @property
    def failed(self) -> bool:
        return bool(self.crashes) or self.returncode != 0

    def line(self) -> str:
        rate = self.executions / self.seconds if self.seconds else 0
        return (
            f"{self.target}: {self.executions:,} executions in {self.seconds:.0f} s "
            f"({rate:,.0f}/s), {len(self.crashes)} crashes"
        )


def fuzz(target: str, seconds: int, work: Path) -> Fuzzed:
    """Run one target under atheris in a subprocess and read back what it found."""
    stats, log = work / f"{target}.json", work / f"{target}.log"
    before = _kept(target)
    started = time.monotonic()
    with log.open("wb") as output:
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.fuzz.harness",
                target,
                f"--seconds={seconds}",
                f"--stats={stats}",
                f"--work={work / target}",
            ],
            cwd=PROJECT,
            stdout=output,
            stderr=subprocess.STDOUT,
            timeout=seconds * 4 + 120,
            check=False,
        )
    elapsed = time.monotonic() - started
    _keep_artifacts(target, work / f"{target}-artifacts")
    text = log.read_text(errors="replace")
    found = json.loads(stats.read_text()) if stats.is_file() else {}
    executed, done = _EXECUTED.search(text), _DONE.search(text)
    executions = int(executed.group(1)) if executed else int(found.get("executions", 0))
    return Fuzzed(
        target,
        executions,
        int(found.get("crashing_inputs", 0)),
        tuple(sorted(_kept(target) - before)),
        completed.returncode,
        float(done.group(1)) if done else elapsed,
        text,
    )


def _keep_artifacts(target: str, artifacts: Path) -> None:
    """What libFuzzer itself caught (a timeout, running out of memory) is a crash kept too."""
    found = sorted(artifacts.iterdir()) if artifacts.is_dir() else []
    if found:
        (CRASHES / target).mkdir(parents=True, exist_ok=True)
    for artifact in found:
        shutil.move(artifact, CRASHES / target / artifact.name)


def _kept(target: str) -> set[str]:
    folder = CRASHES / target
    return {path.name for path in folder.iterdir()} if folder.is_dir() else set()


def _report(run: Fuzzed) -> str:
    """The crash files and what each raised, or libFuzzer's own last words, for a failed run."""
    lines = run.log.splitlines()
    told = [
        "\n".join(lines[at : at + 30])
        for at, line in enumerate(lines)
        if line.startswith(("CRASH ", "==", "ALARM", "ERROR:"))
    ]
    kept = ", ".join(f"crashes/{run.target}/{name}" for name in run.crashes) or "none kept"
    said = "\n".join(told) or "\n".join(lines[-20:])
    return f"{run.line()}; exit {run.returncode}; {kept}\n{said}"


@pytest.mark.reliability
@pytest.mark.skipif(
    importlib.util.find_spec("atheris") is None,
    reason="atheris is not installed (pip install -e '.[dev]'); crashes are still replayed",
)
def test_no_input_crashes_a_reader_the_door_or_the_decision_under_coverage_guided_fuzzing(
    tmp_path: Path, figure: Callable[[str], None]
) -> None:
    # Given every target: each reader family, the chooser and the door, and the decision
    targets = list(TARGETS)

    # When each is fuzzed under atheris for a bounded time, two at a time
    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        runs = list(pool.map(lambda name: fuzz(name, SECONDS, tmp_path), targets))

    # Then each ran, printed what it did, and none crashed
    for run in runs:
        print(run.line())
    total = sum(run.executions for run in runs)
    crashes = sum(len(run.crashes) for run in runs)
    figure(
        f"{len(runs)} targets x {SECONDS} s under atheris: {total:,} executions, {crashes} crashes"
    )
    assert all(run.executions > 0 for run in runs), [run.line() for run in runs]
    failed = [_report(run) for run in runs if run.failed]
    assert not failed, "\n\n".join(failed)
