"""Cold start: each handler module's import from the artifact as deployed, against `import boto3`.

The artifact is built by build.mk as `sam build` builds it (for this machine's platform), and
every import runs in a fresh `python -S` with only the artifact on the path and bytecode writing
off, as on Lambda, whose code directory is read-only; timed from outside, minus the median
start-up of an interpreter that imports nothing; medians over RUNS runs, taken in interleaved
rounds so a noisy neighbour slows every module alike. `import boto3` is the boto3 the artifact
bundles. Prints the ratio to it and, from one `python -X importtime` run per handler, the
packages whose modules take the most time.

Measured four ways: where no traces are sent (tests, the local stack); on Lambda as deployed
(active tracing, which Lambda records itself, the template's TraceAwsCalls "false": no X-Ray
SDK); on Lambda with TraceAwsCalls "true", where Powertools' Tracer loads the X-Ray SDK for a
subsegment per AWS call; and as deployed from the same artifact without its bytecode, as
artifacts were built before build.mk compiled them, when every cold start compiled every
module. Targets: 1.5x boto3 without traces, 2x as deployed with tracing active.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from clearance.local.resources import Names

PROJECT = Path(__file__).resolve().parents[1]
BASELINE = "boto3"
HANDLERS = (
    "clearance.handlers.processor",
    "clearance.handlers.webhook",
    "clearance.handlers.audit_review",
    "clearance.handlers.audit_digest",
)
RUNS = 7
TOP = 8


def build(into: Path) -> Path:
    """The functions' artifact (one recipe builds every function's), for this machine."""
    subprocess.run(  # noqa: S603
        [  # noqa: S607 - make, as sam build runs it
            "make",
            "--no-print-directory",
            "build-ProcessorFunction",
            f"ARTIFACTS_DIR={into}",
            "LAMBDA_PIP_PLATFORM=",
            f"PYTHON={sys.executable}",
        ],
        cwd=PROJECT,
        check=True,
        capture_output=True,
    )
    return into


def without_bytecode(artifact: Path, into: Path) -> Path:
    shutil.copytree(artifact, into, ignore=shutil.ignore_patterns("__pycache__"))
    return into


def environment(artifact: Path, *, traced: bool, aws_calls: bool = False) -> dict[str, str]:
    """What the template gives the functions, with only `artifact` to import from; `traced`:
    as on Lambda with tracing active; `aws_calls`: with TraceAwsCalls "true" (X-Ray SDK)."""
    names = Names()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(artifact),
        "PYTHONDONTWRITEBYTECODE": "1",
        **names.environment(),
        "AWS_DEFAULT_REGION": names.region,
        "POWERTOOLS_SERVICE_NAME": "clearance",
        "POWERTOOLS_METRICS_NAMESPACE": "Clearance",
    }
    if traced:
        env["AWS_LAMBDA_FUNCTION_NAME"] = "clearance-bench"
        env["POWERTOOLS_TRACE_DISABLED"] = "false" if aws_calls else "true"
    return env


def timed(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-S", "-c", code], env=env, check=True)  # noqa: S603
    return time.perf_counter() - start


def import_times(modules: list[str], runs: int, env: dict[str, str]) -> dict[str, list[float]]:
    """Seconds per import of each module, interpreter start-up subtracted."""
    raw: dict[str, list[float]] = defaultdict(list)
    for _ in range(runs):
        for module in ["", *modules]:
            raw[module].append(timed(f"import {module}" if module else "pass", env))
    startup = statistics.median(raw.pop(""))
    return {module: [t - startup for t in times] for module, times in raw.items()}


def dominant_imports(module: str, env: dict[str, str]) -> list[tuple[str, float]]:
    """Top-level packages by their modules' own import time, from `python -X importtime`."""
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-S", "-X", "importtime", "-c", f"import {module}"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    totals: dict[str, float] = defaultdict(float)
    for line in result.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        totals[name.split(".")[0]] += int(own) / 1e6
    return sorted(totals.items(), key=lambda item: -item[1])[:TOP]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="clearance-coldstart-") as scratch:
        built = time.perf_counter()
        artifact = build(Path(scratch) / "artifact")
        bare = without_bytecode(artifact, Path(scratch) / "no-bytecode")
        print(
            f"python {sys.version.split()[0]}; the artifact built by build.mk in"
            f" {time.perf_counter() - built:.0f} s; {args.runs} fresh processes per module, medians"
        )
        ways = (
            ("where no traces are sent (target <= 1.5x)", environment(artifact, traced=False)),
            (
                "on Lambda as deployed: tracing active, no per-call subsegments (target <= 2x)",
                environment(artifact, traced=True),
            ),
            (
                "on Lambda with TraceAwsCalls=true: the X-Ray SDK loaded (no target)",
                environment(artifact, traced=True, aws_calls=True),
            ),
            (
                "as deployed, from the artifact without its bytecode (every module compiled)",
                environment(bare, traced=True),
            ),
        )
        for title, env in ways:
            times = import_times([BASELINE, *HANDLERS], args.runs, env)
            base = statistics.median(times[BASELINE])
            print(title)
            print(f"  {'module':34} {'import ms':>10} {'vs boto3':>9}")
            for module in (BASELINE, *HANDLERS):
                median = statistics.median(times[module])
                print(f"  {module:34} {median * 1e3:>10.0f} {median / base:>8.2f}x")
            for module in HANDLERS[:2]:
                top = dominant_imports(module, env)
                listed = ", ".join(f"{name} {seconds * 1e3:.0f}" for name, seconds in top)
                print(f"  {module}, own import ms by package: {listed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
