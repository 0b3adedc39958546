"""`make demo`: every sample and demo article through the engine; cleared copies and a summary."""

from __future__ import annotations

import argparse
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from clearance.cli import MEDIA_TYPES, write_copies
from clearance.engine import clear
from clearance.evaluate import Licensee
from clearance.policy import PolicySet

PROJECT = Path(__file__).resolve().parents[2]


def articles(samples: Path) -> list[Path]:
    """The shared samples (where present) and the project's own demo articles."""
    found = sorted((PROJECT / "events" / "articles").glob("*.*"))
    if samples.is_dir():
        found += sorted(samples.glob("menafn/*.txt")) + sorted(samples.glob("ninjs/[0-9]*/*.json"))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=Path, default=PROJECT.parent / "shared" / "samples")
    parser.add_argument("--out", type=Path, default=PROJECT / "build" / "demo")
    args = parser.parse_args()
    policies = PolicySet.load()
    now = datetime.now(UTC).replace(microsecond=0)
    rows, outcomes, summary = [], Counter[str](), []
    for path in articles(args.samples):
        decision = clear(
            path.read_bytes(),
            policies=policies,
            now=now,
            licensee=Licensee(),
            media_type=MEDIA_TYPES.get(path.suffix),
        )
        written = write_copies(decision, args.out / "cleared")
        outcomes[decision.outcome.value] += 1
        finding = decision.main_finding
        rows.append(
            (
                str(
                    path.relative_to(PROJECT.parent)
                    if path.is_relative_to(PROJECT.parent)
                    else path
                ),
                decision.provider or "-",
                decision.outcome.value,
                f"{finding.rule_id}: {finding.message}" if finding else "",
            )
        )
        summary.append(
            {"source": rows[-1][0], **decision.to_dict(), "written": [str(p) for p in written]}
        )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.jsonl").write_text(
        "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in summary)
    )
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        line = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
        print(f"{line}  {row[3][:100]}")
    print()
    print(", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items())))
    print(f"cleared copies under {args.out / 'cleared'}")
    print(f"every decision in {args.out / 'summary.jsonl'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
