"""Provider terms are data: shipped policies lint clean, problems are named, no code to add one."""

from __future__ import annotations

import json
import shutil
import socket
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from referencing.exceptions import Unresolvable

from clearance.cli.main import main
from clearance.contracts.schemas import compile_schema
from clearance.decide.engine import clear
from clearance.decide.findings import Outcome
from clearance.terms.lint import lint_policy_file
from clearance.terms.policy import PolicySet, default_policy_dir, policy_files
from tests.conftest import NOW

SHIPPED = [path for paths in policy_files(default_policy_dir()).values() for path in paths]


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


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_shipped_policy_lints_clean(path: Path) -> None:
    assert lint_policy_file(path) == []


def test_shipped_policies_cover_the_sample_providers() -> None:
    assert set(policy_files(default_policy_dir())) >= {
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


@pytest.mark.reliability
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
            policy(cleared={"properties": {"by": {"$ref": "#/$defs/none"}}}),
            "/cleared/properties/by/$ref: $ref '#/$defs/none' points to nothing",
        ),
        (
            policy(
                cleared={
                    "properties": {
                        "by": {"$ref": "https://clearance.example/schemas/article.schema.json#/x"}
                    }
                }
            ),
            "article.schema.json#/x' points to nothing",
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


REMOTE_REFS = [
    "https://evil.example/s.json",
    "http://169.254.169.254/latest/meta-data/iam/",
    "//evil.example/s.json",
    "file:///etc/passwd",
    "ftp://evil.example/s.json",
]


@pytest.mark.reliability
def test_a_remote_ref_is_refused_by_lint_fails_closed_and_is_never_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, figure: Callable[[str], None]
) -> None:
    # Given no network: any attempt to connect, resolve a name or open a URL is recorded
    attempts: list[str] = []

    def refuse(*args: Any, **_: Any) -> Any:
        attempts.append(repr(args[:2]))
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    article = {"uri": "https://gazette.example/x", "headlines": [{"value": "x"}], "by": "y"}
    refused = failed_closed = unresolved = 0
    for n, ref in enumerate(REMOTE_REFS):
        # And a policy whose rule, and another whose cleared schema, names a remote schema
        rule = {"x-rule-id": "a", "description": "x", "$ref": ref}
        documents = (
            policy(requirements={"allOf": [rule]}),
            policy(cleared={"properties": {"by": {"$ref": ref}}}),
        )
        for m, document in enumerate(documents):
            directory = tmp_path / f"{n}-{m}"
            directory.mkdir()
            path = write(directory, document)
            # When it is linted, loaded and used to decide an article
            problems = lint_policy_file(path)
            decision = clear(
                json.dumps(article).encode(),
                policies=PolicySet.load(directory),
                now=NOW,
                provider="gazette",
            )
            # Then the lint names the ref, and the article is rejected for the invalid policy
            refused += any(f"$ref '{ref}' is not local" in problem for problem in problems)
            failed_closed += decision.outcome is Outcome.REJECTED and [
                f.rule_id for f in decision.findings
            ] == ["policy.invalid"]
        # And a schema compiled with the project's registry cannot resolve it either
        with pytest.raises(Unresolvable):
            list(compile_schema({"$ref": ref}).iter_errors({}))
        unresolved += 1
    assert (refused, failed_closed) == (2 * len(REMOTE_REFS), 2 * len(REMOTE_REFS))
    assert attempts == []
    figure(
        f"{len(REMOTE_REFS)} remote $refs (https, the metadata address, protocol-relative, file,"
        f" ftp) in {refused} policies: {refused} refused by the lint, {failed_closed} failed"
        f" closed, {unresolved} unresolvable by the schema registry; 0 network attempts"
    )


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
