"""Policy examples as folders: each policy's lint, and the decision each article gets under it.

`schemas/examples/<case>/` holds `policies/` (a provider file, or a folder of dated versions),
`articles/`, and `case.json` naming the lint problems expected (none for a good policy) and, for
each article, the licensee, the moment, the outcome and the findings' rule ids.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from clearance.contracts import media
from clearance.decide.engine import clear
from clearance.decide.licensee import Licensee
from clearance.terms.lint import lint_policy_file
from clearance.terms.policy import PolicySet, policy_files
from tests.conftest import NOW, PROJECT

EXAMPLES = PROJECT / "schemas" / "examples"
CASES = sorted(path for path in EXAMPLES.iterdir() if path.is_dir())


def case_of(folder: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads((folder / "case.json").read_text())
    return case


def decisions() -> list[tuple[Path, dict[str, Any]]]:
    return [(folder, item) for folder in CASES for item in case_of(folder)["decisions"]]


@pytest.mark.parametrize("folder", CASES, ids=lambda folder: folder.name)
def test_example_policy_lints_as_its_case_says(folder: Path) -> None:
    expected = case_of(folder)["lint"]
    problems = [
        problem
        for paths in policy_files(folder / "policies").values()
        for path in paths
        for problem in lint_policy_file(path)
    ]
    if not expected:
        assert problems == []
    else:
        assert problems, "a bad example must have lint problems"
        for fragment in expected:
            assert any(fragment in problem for problem in problems), (fragment, problems)


@pytest.mark.parametrize(
    ("folder", "item"),
    decisions(),
    ids=lambda value: value.name if isinstance(value, Path) else value["article"],
)
def test_example_article_gets_the_decision_its_case_names(
    folder: Path, item: dict[str, Any]
) -> None:
    # Given the example's policies alone, the licensee and the moment the case names
    policies = PolicySet.load(folder / "policies")
    assert not policies.broken
    path = folder / "articles" / item["article"]
    licensee = Licensee.of(**{"territory": "GB", **item.get("licensee", {})})
    now = datetime.fromisoformat(item["now"]) if "now" in item else NOW
    # When the article is decided
    decision = clear(
        path.read_bytes(),
        policies=policies,
        now=now,
        licensee=licensee,
        media_type=media.of_extension(path.suffix),
    )
    # Then the outcome and every finding's rule are the ones the case names
    assert decision.outcome.value == item["outcome"], decision.findings
    assert sorted(f.rule_id for f in decision.findings) == sorted(item["rules"])
    if "policy_version" in item:
        assert decision.policy is not None
        assert decision.policy.version == item["policy_version"]
    if "release_at" in item:
        assert decision.release_at is not None
        assert decision.release_at.isoformat() == item["release_at"]
    copy = decision.cleared or {}
    if "by" in item:
        assert copy["by"] == item["by"]
        assert item["by"] in next(r.data.decode() for r in decision.renditions if r.name == "text")
    if "slots" in item:
        credit = next(n for n in copy["clearance"]["notices"] if n.get("slots"))
        assert credit["slots"] == item["slots"]
        assert {"name": item["slots"]["partner"], "role": "partner"} in copy["infoSources"]
    if "associations" in item:
        assert [a["name"] for a in copy.get("associations", [])] == item["associations"]
    if "dropped" in item:
        assert [d["name"] for d in copy["clearance"]["dropped"]] == item["dropped"]
