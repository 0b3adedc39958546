"""Provider terms are data: shipped policies lint clean, problems are named, no code to add one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from clearance.cli.main import main
from clearance.decide.engine import clear
from clearance.decide.findings import Outcome
from clearance.terms.lint import lint_policy_file
from clearance.terms.policy import PolicySet, default_policy_dir
from tests.conftest import NOW

SHIPPED = sorted(default_policy_dir().glob("*.json"))


def policy(**changes: Any) -> dict[str, Any]:
    """A small valid policy to break one way at a time."""
    document: dict[str, Any] = {
        "$schema": "https://clearance.example/schemas/policy.schema.json",
        "id": "gazette",
        "name": "The Example Gazette",
        "version": "1",
        "effective": "2020-01-01T00:00:00Z",
        "recognise": {"uri_prefixes": ["https://gazette.example/"]},
        "requirements": {
            "allOf": [
                {
                    "x-rule-id": "gazette.byline",
                    "description": "the reporter's byline must be kept",
                    "required": ["byline"],
                    "properties": {"byline": {"type": "string", "minLength": 1}},
                }
            ]
        },
        "notices": [
            {
                "id": "gazette-credit",
                "kind": "attribution",
                "text": "First published by The Example Gazette",
                "placement": "end",
            }
        ],
        "constraints": {"embargo": True, "modification": "prohibited", "kill": {"duty": True}},
        "cleared": {"required": ["by"]},
    }
    document.update(changes)
    return document


def write(directory: Path, document: dict[str, Any], name: str = "gazette") -> Path:
    path = directory / f"{name}.json"
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_policy_lints_clean(path: Path) -> None:
    assert lint_policy_file(path) == []


def test_shipped_policies_cover_the_sample_providers() -> None:
    assert {p.stem for p in SHIPPED} >= {
        "menafn",
        "dpa",
        "ntb",
        "tt",
        "ap",
        "businesswire",
        "the-conversation",
    }


def test_new_provider_is_a_data_only_change(tmp_path: Path) -> None:
    # Given a policy directory holding only a new provider's policy file
    write(tmp_path, policy())
    article = {
        "uri": "https://gazette.example/2026/harbour",
        "headlines": [{"role": "main", "value": "Harbour reopens"}],
        "by": "Sam Reporter",
        "bodies": [{"contentType": "text/plain", "value": "The harbour reopened today."}],
    }
    # When an article of theirs is decided
    decision = clear(json.dumps(article).encode(), policies=PolicySet.load(tmp_path), now=NOW)
    # Then it is recognised and cleared with their notice attached
    assert decision.outcome is Outcome.CLEARED
    assert decision.provider == "gazette"
    text = next(r.data.decode() for r in decision.renditions if r.name == "text")
    assert text.endswith("First published by The Example Gazette\n")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (
            policy(requirements={"allOf": [{"x-rule-id": "a", "description": "x"}] * 2}),
            "rule id 'a' is used 2 times",
        ),
        (
            policy(
                requirements={
                    "allOf": [
                        {
                            "x-rule-id": "a",
                            "description": "x",
                            "$ref": "https://evil.example/s.json",
                        }
                    ]
                }
            ),
            "$ref 'https://evil.example/s.json' is not local",
        ),
        (
            policy(cleared={"properties": {"by": {"$ref": "file:///etc/passwd"}}}),
            "/cleared/properties/by/$ref: $ref 'file:///etc/passwd' is not local",
        ),
        (
            policy(
                requirements={
                    "allOf": [
                        {
                            "x-rule-id": "a",
                            "description": "x",
                            "properties": {"body_text": {"pattern": "^(a+)+$"}},
                        }
                    ]
                }
            ),
            "/requirements/allOf/0/properties/body_text/pattern: unsafe pattern '^(a+)+$'",
        ),
        (policy(id="other"), "/id: 'other' does not match the file name 'gazette.json'"),
        (
            policy(constraints={"embargo": True}),
            "/constraints/modification: 'modification' is a required property",
        ),
        (policy(recognise={}), "/recognise: {} should be non-empty"),
        (
            policy(
                notices=[
                    {"id": "n", "kind": "attribution", "placement": "end", "text": "by {author}"}
                ]
            ),
            "/notices/0/text: unknown placeholder {author}",
        ),
        (
            policy(
                requirements={"allOf": [{"x-rule-id": "a", "description": "x", "type": "strnig"}]}
            ),
            "/requirements/allOf/0/type",
        ),
    ],
)
def test_lint_names_each_problem(tmp_path: Path, document: dict[str, Any], expected: str) -> None:
    problems = lint_policy_file(write(tmp_path, document))
    assert any(expected in problem for problem in problems), problems


def test_lint_command_exits_1_listing_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = shutil.copy(SHIPPED[0], tmp_path / SHIPPED[0].name)
    bad = write(tmp_path, policy(id="other"))
    assert main(["policy", "lint", str(good), str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}: /id: 'other' does not match" in out
    assert "1 of 2 policies clean" in out


def test_lint_command_exits_0_on_the_shipped_policies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "lint"]) == 0
    assert f"{len(SHIPPED)} of {len(SHIPPED)} policies clean" in capsys.readouterr().out


def test_invalid_policy_fails_closed(tmp_path: Path) -> None:
    # Given a provider whose policy file is broken
    write(tmp_path, policy(constraints={"embargo": True}))
    article = {"uri": "https://gazette.example/x", "headlines": [{"value": "x"}], "by": "y"}
    # When one of its articles arrives, naming the provider
    decision = clear(
        json.dumps(article).encode(), policies=PolicySet.load(tmp_path), now=NOW, provider="gazette"
    )
    # Then nothing is cleared, and the finding says why
    assert decision.outcome is Outcome.REJECTED
    assert [f.rule_id for f in decision.findings] == ["policy.invalid"]
    assert "modification" in decision.findings[0].message


def test_policy_not_yet_in_force_rejects(tmp_path: Path) -> None:
    write(tmp_path, policy(effective="2030-01-01T00:00:00Z"))
    article = {"uri": "https://gazette.example/x", "headlines": [{"value": "x"}], "by": "y"}
    decision = clear(json.dumps(article).encode(), policies=PolicySet.load(tmp_path), now=NOW)
    assert decision.outcome is Outcome.REJECTED
    assert [f.rule_id for f in decision.findings] == ["policy.in-force"]
