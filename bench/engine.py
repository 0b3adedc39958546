"""Engine speed: parse + evaluate + render per article, against a floor measured in the same run.

Floors: for text and ninjs, `json.loads` of the normalised article plus one precompiled Draft
2020-12 `is_valid` against the article schema (jsonschema, the reference the engine's compiled
checks agree with), the least any JSON-Schema-checked pipeline does per article; for a
NewsML-G2 item, the XML parser alone (expat through ElementTree) on the same bytes. Prints
medians; targets: < 0.5 ms per sample article, the MENAFN sample and a NewsML-G2 item each at
most 3x its floor, and the 1 MB article costing no more than 1.2x its size ratio over the sample.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from xml.etree.ElementTree import fromstring

from jsonschema import Draft202012Validator

from clearance.contracts.schemas import load_schema, registry
from clearance.decide.engine import clear_each
from clearance.decide.findings import Outcome
from clearance.terms.policy import PolicySet

PROJECT = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT.parent / "shared" / "samples"
ARTICLES = PROJECT / "events" / "articles"
MENAFN = SAMPLES / "menafn" / "000_3ffd96728f458706.txt"
G2 = SAMPLES / "feeds" / "newsml-g2" / "dpa_newsmlg2_usageterms.xml"
NINJS = ARTICLES / "conversation-city-trees.json"
NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


def paired_medians(
    work: Callable[[], object], floor: Callable[[], object], repeats: int, rounds: int = 9
) -> tuple[float, float, float]:
    """Median seconds per call of each, and the median of per-round ratios.

    Rounds alternate the two, so a noisy neighbour slows both sides of a ratio alike.
    """
    work_times: list[float] = []
    floor_times: list[float] = []
    for _ in range(rounds):
        for job, times in ((work, work_times), (floor, floor_times)):
            start = time.perf_counter()
            for _ in range(repeats):
                job()
            times.append((time.perf_counter() - start) / repeats)
    ratios = [w / f for w, f in zip(work_times, floor_times, strict=True)]
    return statistics.median(work_times), statistics.median(floor_times), statistics.median(ratios)


def one_megabyte(sample: str) -> str:
    head, _, tail = sample.partition("\n\nLegal Disclaimer:")
    paragraph = head.split("\n\n")[1]
    copies = 1_000_000 // (len(paragraph.encode()) + 2) + 1
    return head + ("\n\n" + paragraph) * copies + "\n\nLegal Disclaimer:" + tail


def main() -> int:
    path = MENAFN if MENAFN.is_file() else ARTICLES / "menafn-ports.txt"
    g2 = G2 if G2.is_file() else ARTICLES / "dpa-message.xml"
    policies = PolicySet.load()
    sample = path.read_bytes()
    large = one_megabyte(sample.decode()).encode()
    floor_validator = Draft202012Validator(
        load_schema("article.schema.json"),
        registry=registry(),
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    rows = []
    for name, data, repeats in (
        ("text", sample, 500),
        ("ninjs", NINJS.read_bytes(), 500),
        ("G2 item", g2.read_bytes(), 300),
        ("1 MB", large, 3),
    ):
        decision = clear_each(data, policies=policies, now=NOW)[0]
        assert decision.outcome is Outcome.CLEARED, decision.findings
        assert decision.article is not None
        article_json = json.dumps(decision.article).encode()

        def engine(data: bytes = data) -> object:
            return clear_each(data, policies=policies, now=NOW)

        def floor(article_json: bytes = article_json) -> object:
            return floor_validator.is_valid(json.loads(article_json))

        def xml_floor(data: bytes = data) -> object:
            return fromstring(data)  # noqa: S314 - the floor: the bare parser on our own bytes

        measured = paired_medians(engine, xml_floor if name == "G2 item" else floor, repeats)
        rows.append((name, len(data), *measured))

    print(f"inputs: {path}, {NINJS.relative_to(PROJECT)}, {g2}")
    print(f"{'article':8} {'bytes':>10} {'engine ms':>10} {'floor ms':>9} {'ratio':>6}")
    for name, size, engine_s, floor_s, ratio in rows:
        print(f"{name:8} {size:>10,} {engine_s * 1e3:>10.3f} {floor_s * 1e3:>9.3f} {ratio:>6.2f}")
    (_, small_size, small_s, _, _), *_, (_, large_size, large_s, _, _) = rows
    size_ratio, cost_ratio = large_size / small_size, large_s / small_s
    print(
        f"1 MB vs sample: size x{size_ratio:.0f}, cost x{cost_ratio:.0f}, "
        f"cost/size {cost_ratio / size_ratio:.2f} (target <= 1.2)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
