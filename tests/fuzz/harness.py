"""One fuzz target under atheris (libFuzzer, coverage-guided) for a bounded time.

    python -m tests.fuzz.harness TARGET --seconds 15 --stats STATS.json [--work DIR]

The clearance package (and the standard library's URL, e-mail, HTML and XML helpers the readers
lean on) is instrumented, so the fuzzer learns which inputs reach new code. An input that breaks
the target's contract is written to `crashes/<target>/` under a name that says what it raised
and where, once per distinct crash, and fuzzing goes on to find the next. What was run and what
was found is written to STATS as JSON as it goes, so it survives libFuzzer's own exit.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import tempfile
import time
import traceback
import types
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import atheris  # type: ignore[import-untyped]

_INSTRUMENTED = ["clearance", "tests.fuzz.targets", "email", "html", "xml", "defusedxml"]
_LOADED_EARLY = (urllib.parse,)
"""Modules the interpreter has imported before instrumentation could wrap the import."""
_EVERY = 500
"""Executions between two writes of the stats file."""


class Run:
    """What one fuzzing run has done so far, kept where the test that started it reads it."""

    def __init__(self, target: str, stats: Path, crashes: Path) -> None:
        self.target = target
        self.stats = stats
        self.crashes = crashes
        self.started = time.monotonic()
        self.executions = 0
        self.crashing = 0
        self.found: dict[str, str] = {}

    def crashed(self, data: bytes, error: Exception) -> None:
        """Keep the first input of each distinct crash, named for what it raised and where."""
        self.crashing += 1
        signature = crash_signature(error)
        if signature in self.found:
            return
        name = f"{signature}-{hashlib.sha1(data).hexdigest()[:12]}"  # noqa: S324
        self.crashes.mkdir(parents=True, exist_ok=True)
        (self.crashes / name).write_bytes(data)
        self.found[signature] = name
        print(f"CRASH {self.target} {name}", file=sys.stderr)
        traceback.print_exception(error, file=sys.stderr)
        self.write()

    def write(self) -> None:
        figures: dict[str, Any] = {
            "target": self.target,
            "executions": self.executions,
            "crashing_inputs": self.crashing,
            "crashes": sorted(self.found.values()),
            "seconds": round(time.monotonic() - self.started, 1),
        }
        self.stats.write_text(json.dumps(figures))


def crash_signature(error: BaseException) -> str:
    """`ValueError-source_url-ninjsmembers`: the exception and the innermost project frame."""
    frames = traceback.extract_tb(error.__traceback__)
    ours = [frame for frame in frames if "/clearance/" in frame.filename] or frames
    where = f"{ours[-1].name}-{Path(ours[-1].filename).stem}" if ours else "unknown"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{type(error).__name__}-{where}")[:80]


def instrument_module(module: types.ModuleType) -> None:
    """Instrument the functions a module defines, after it was imported."""
    for value in vars(module).values():
        if isinstance(value, types.FunctionType) and value.__module__ == module.__name__:
            atheris.instrument_func(value)


def libfuzzer_flags(seconds: int, artifacts: Path) -> list[str]:
    """Bounded in time; an input slower than 10 s or a process over 1 GB is a crash too."""
    return [
        f"-max_total_time={seconds}",
        "-timeout=10",
        "-rss_limit_mb=1024",
        "-max_len=65536",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
    ]


def mutator(
    structured: Callable[[bytes, random.Random], bytes | None],
) -> Callable[[bytes, int, int], bytes]:
    """Half structure-aware mutations (a provider-like change), half libFuzzer's byte ones."""

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)  # noqa: S311 - libFuzzer's seed, so a run can be replayed
        if rng.random() < 0.5:
            try:
                changed = structured(data, rng)
            except Exception:  # noqa: BLE001 - an input the mutator cannot take gets byte mutations
                changed = None
            if changed is not None and len(changed) <= max_size:
                return changed
        return bytes(atheris.Mutate(data, max_size))

    return mutate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--stats", type=Path, required=True)
    parser.add_argument("--work", type=Path, help="where new inputs are kept (a temporary folder)")
    parser.add_argument("--crashes", type=Path, help="default: tests/fuzz/crashes/<target>")
    options = parser.parse_args()

    atheris.enabled_hooks.add("str")
    # Imported here, inside the instrumentation, so that the code under test is instrumented.
    with atheris.instrument_imports(include=_INSTRUMENTED):
        from tests.fuzz.targets import CRASHES, TARGETS  # noqa: PLC0415
    from tests.fuzz.mutate import structured  # noqa: PLC0415

    for module in _LOADED_EARLY:
        instrument_module(module)

    target = TARGETS[options.target]
    run = Run(target.name, options.stats, options.crashes or CRASHES / target.name)
    work = options.work or Path(tempfile.mkdtemp(prefix=f"fuzz-{target.name}-"))
    work.mkdir(parents=True, exist_ok=True)
    # libFuzzer's own findings (a timeout, running out of memory) land beside the work folder.
    artifacts = work.with_name(f"{work.name}-artifacts")
    artifacts.mkdir(exist_ok=True)

    def one_input(data: bytes) -> None:
        run.executions += 1
        try:
            target.check(data)
        except Exception as error:  # noqa: BLE001 - every exception is the crash being sought
            run.crashed(data, error)
        if run.executions % _EVERY == 0:
            run.write()

    run.write()
    flags = libfuzzer_flags(options.seconds, artifacts)
    corpora = [work, *target.corpora()]
    atheris.Setup(
        [sys.argv[0], *flags, *map(str, corpora)], one_input, custom_mutator=mutator(structured)
    )
    atheris.Fuzz()


if __name__ == "__main__":
    main()
