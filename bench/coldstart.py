"""Cold start: the import time of each handler module against `import boto3` alone.

Each import runs in a fresh interpreter, timed from outside, minus the median start-up of an
interpreter that imports nothing; medians over RUNS runs, taken in interleaved rounds so a noisy
neighbour slows every module alike. Prints the ratio to boto3 (target <= 1.5x) and, from one
`python -X importtime` run per handler, the packages whose modules take the most time.

Measured three ways: where no traces are sent (tests, the local stack); on Lambda as deployed
(active tracing, which Lambda records itself, the template's TraceAwsCalls "false": no X-Ray SDK);
and on Lambda with TraceAwsCalls "true", where Powertools' Tracer loads the X-Ray SDK for a
subsegment per AWS call. Targets: 1.5x boto3 without traces, 2x as deployed with tracing active.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections import defaultdict

from clearance.local.resources import Names

BASELINE = "boto3"
HANDLERS = (
    "clearance.handlers.processor",
    "clearance.handlers.webhook",
    "clearance.handlers.audit_review",
    "clearance.handlers.audit_digest",
)
RUNS = 7
TOP = 8


def environment(*, traced: bool, aws_calls: bool = False) -> dict[str, str]:
    """What the template gives the functions; `traced`: as on Lambda with tracing active;
    `aws_calls`: with the template's TraceAwsCalls "true" (the X-Ray SDK loaded)."""
    names = Names()
    env = {
        **{k: v for k, v in os.environ.items() if k != "POWERTOOLS_TRACE_DISABLED"},
        **names.environment(),
        "AWS_DEFAULT_REGION": names.region,
        "POWERTOOLS_SERVICE_NAME": "clearance",
        "POWERTOOLS_METRICS_NAMESPACE": "Clearance",
    }
    if traced:
        env["AWS_LAMBDA_FUNCTION_NAME"] = "clearance-bench"
        env["POWERTOOLS_TRACE_DISABLED"] = "false" if aws_calls else "true"
    else:
        env.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    return env


def timed(code: str, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True)  # noqa: S603
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
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
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
    print(f"python {sys.version.split()[0]}, {args.runs} fresh processes per module, medians")
    ways = (
        ("where no traces are sent (target <= 1.5x)", environment(traced=False)),
        (
            "on Lambda as deployed: tracing active, no per-call subsegments (target <= 2x)",
            environment(traced=True),
        ),
        (
            "on Lambda with TraceAwsCalls=true: the X-Ray SDK loaded (no target)",
            environment(traced=True, aws_calls=True),
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
