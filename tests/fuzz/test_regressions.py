"""Every input fuzzing ever crashed a target with, replayed without atheris, so each stays fixed.

A crash is kept under `crashes/<target>/`; here it goes through what a sender and an operator
meet: the webhook door under every article type, the decision, and `clearance check`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearance.cli.main import main
from clearance.contracts import media
from clearance.decide.engine import clear_each
from clearance.ingest.article import ArticleError
from clearance.ingest.formats import read_items
from clearance.ingest.intake import Accepted, Request, accept
from clearance.ingest.signature import signed_headers
from tests.fuzz.targets import (
    CORPUS,
    CRASHES,
    MAX_BODY_BYTES,
    NOW,
    SECRET,
    TARGETS,
    Secrets,
    door,
    policies,
)


def _cases(folder: Path) -> list[object]:
    if not folder.is_dir():
        return []
    return [
        pytest.param(target.name, path, id=f"{target.name}/{path.name}")
        for target in sorted(folder.iterdir())
        if target.is_dir()
        for path in sorted(target.iterdir())
        if path.is_file()
    ]


CRASH_CASES = _cases(CRASHES)
SEED_CASES = _cases(CORPUS)


def test_every_crashes_folder_names_a_fuzz_target() -> None:
    # Given the folders crashes are kept in
    folders = {path.name for path in CRASHES.iterdir() if path.is_dir()}
    # When they are compared with the targets
    unknown = folders - set(TARGETS)
    # Then each is a target's, so none of its inputs goes unreplayed
    assert not unknown


@pytest.mark.parametrize(("target", "path"), CRASH_CASES)
def test_an_input_that_once_crashed_is_now_refused_or_decided_everywhere(
    target: str, path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an input that once crashed a target
    data = path.read_bytes()

    # When its target checks it, the door takes it as each article type, and it is decided
    TARGETS[target].check(data)
    for media_type in media.ARTICLE_TYPES:
        door(data, media_type)
    decisions = clear_each(data, policies=policies(), now=NOW)

    # Then every item has an outcome
    assert decisions
    assert all(decision.outcome.value for decision in decisions)

    # When `clearance check` reads it as a dropped file
    dropped = tmp_path / "delivery"
    dropped.write_bytes(data)
    code = main(["check", str(dropped), "--now", NOW.isoformat(), "--out", str(tmp_path), "--json"])

    # Then it exits 0 or 1 with one JSON line per decision and no traceback
    printed = capsys.readouterr()
    assert code in (0, 1)
    lines = [json.loads(line) for line in printed.out.splitlines()]
    assert len(lines) == len(decisions)
    assert all(line["outcome"] for line in lines)
    assert "Traceback" not in printed.err


@pytest.mark.parametrize(("target", "path"), SEED_CASES)
def test_every_seed_keeps_its_targets_contract(target: str, path: Path) -> None:
    # Given a seed of a target's corpus
    data = path.read_bytes()
    # When the target checks it
    TARGETS[target].check(data)
    # Then it raised nothing: the contract holds


READ_FORMATS = {
    "g2": {"newsml-g2"},
    "nitf": {"nitf"},
    "newsml1": {"newsml-1"},
    "syndication": {"rss", "atom"},
    "ninjs": {"ninjs-1", "ninjs-2", "ninjs-3"},
    "agencyjson": {"digitalwires", "ap-media"},
    "plaintext": {"text"},
}


@pytest.mark.parametrize("target", sorted(READ_FORMATS))
def test_each_readers_seeds_reach_that_reader(target: str) -> None:
    # Given the seeds written for one reader
    seeds = sorted((CORPUS / target).iterdir())

    # When each is read as its bytes and declared type say
    formats = set()
    for seed in seeds:
        try:
            pieces = read_items(seed.read_bytes(), None, policies().disclaimer_headings)
        except ArticleError:
            continue
        formats |= {piece.result["format"] for piece in pieces if isinstance(piece.result, dict)}

    # Then they are read as every format of that reader, so fuzzing starts inside it
    assert formats == READ_FORMATS[target]


DOOR_ANSWERS = [
    (
        "g2/OverflowError-parse-times-embargoed",
        "application/vnd.iptc.g2.newsitem+xml",
        (422, "article.invalid", "/embargoed_until: 'Mon, 23 Nov 99999999999"),
    ),
    (
        "syndication/OverflowError-parse-times-pubdate",
        "application/rss+xml",
        (422, "article.invalid", "/items/0/first_created: 'Mon, 23 Nov 99999999999"),
    ),
    (
        "ninjs/OverflowError-parse-times-d20caff149e9",
        "application/json",
        (422, "article.invalid", "/embargoed_until: 'Mon, 23 Nov 99999999999"),
    ),
    (
        "plaintext/IndexError-_opening-formats-wide-space",
        "text/plain",
        (400, "body.markup", "the text opens with markup (<p…)"),
    ),
    ("ninjs/ValueError-source_url-ninjsmembers-bracket", "application/json", (202, "", "")),
]


@pytest.mark.parametrize(("name", "media_type", "expected"), DOOR_ANSWERS)
def test_the_door_answers_each_former_crash_with_what_is_wrong_with_it(
    name: str, media_type: str, expected: tuple[int, str, str]
) -> None:
    # Given a signed delivery of an input that once made the webhook answer 500
    data = (CRASHES / name).read_bytes()
    headers = signed_headers(SECRET, "msg_regression", int(NOW.timestamp()), data)
    request = Request("dpa", {**headers, "content-type": media_type}, data)

    # When the door takes it
    answer = accept(
        request, policies=policies(), secrets=Secrets(), now=NOW, max_body_bytes=MAX_BODY_BYTES
    )

    # Then it is stored (202) or refused with a 4xx that names the problem
    status, code, words = expected
    if isinstance(answer, Accepted):
        assert (answer.receipt.status, "", "") == expected
    else:
        assert (answer.status, answer.code) == (status, code)
        assert words in answer.message
