"""`clearance check`: one decision per input, copies written, exit codes a script can trust."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clearance.cli.main import main
from tests.conftest import DEMO_ARTICLES, PROJECT

CLEARED = DEMO_ARTICLES / "menafn-ports.txt"
HELD = DEMO_ARTICLES / "menafn-ports-disclaimer-altered.txt"


def test_check_writes_cleared_copies_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["check", str(CLEARED), "--now", "2026-11-23T12:00:00Z", "--out", str(tmp_path), "--json"]
    )
    assert code == 0
    [line] = capsys.readouterr().out.splitlines()
    record = json.loads(line)
    assert record["source"] == str(CLEARED)
    assert (record["provider"], record["outcome"], record["findings"]) == ("menafn", "cleared", [])
    written = [Path(p) for p in record["written"]]
    assert sorted(p.suffix for p in written) == [".html", ".json", ".txt"]
    assert all(p.is_file() and p.is_relative_to(tmp_path / "menafn") for p in written)
    assert "Legal Disclaimer:" in next(p for p in written if p.suffix == ".txt").read_text()


def test_check_exits_1_when_any_article_is_not_cleared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", str(CLEARED), str(HELD), "--json", "--out", str(tmp_path)])
    assert code == 1
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["outcome"] for r in records] == ["cleared", "held"]
    finding = records[1]["findings"][0]
    assert set(finding) >= {"rule_id", "pointer", "severity", "message"}
    assert records[1]["written"] == []


def test_check_prints_a_readable_line_per_article(capsys: pytest.CaptureFixture[str]) -> None:
    main(["check", str(HELD)])
    out = capsys.readouterr().out
    assert out.startswith(
        f"{HELD}: held (menafn): notice.menafn-disclaimer: the delivered disclaimer"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check"], "the following arguments are required: PATH"),
        (["check", "/no/such/file.txt"], "no such file: /no/such/file.txt"),
        (["check", str(CLEARED), "--now", "yesterday"], "not an ISO 8601 time"),
        (["check", str(CLEARED), "--now", "2026-01-01T00:00:00"], "give a time zone"),
        (["check", str(CLEARED), "--policies", "/no/such/dir"], "no such policy directory"),
        (["check", str(CLEARED), "--only-policies"], "--only-policies needs --policies DIR"),
        (["check", str(CLEARED), "--territory", "XX"], "'XX' is not an ISO 3166-1"),
        (["check", str(CLEARED), "--territory", "GBX"], "'GBX' is not an ISO 3166-1"),
        (["check", str(CLEARED), "--channel", "pigeon"], "invalid choice"),
        (["frobnicate"], "invalid choice"),
        (["policy", "lint", "/no/such/policy.json"], "no such policy file"),
    ],
)
def test_usage_errors_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


WIRE_EXAMPLE = PROJECT / "schemas" / "examples" / "partner-credit"


def test_policies_dir_adds_to_the_shipped_policies(capsys: pytest.CaptureFixture[str]) -> None:
    # Given a directory holding one more provider's terms, and articles of it and of MENAFN
    partner = WIRE_EXAMPLE / "articles" / "partner.json"
    argv = ["check", str(partner), str(CLEARED), "--policies", str(WIRE_EXAMPLE / "policies")]
    # When both are checked with --policies DIR
    code = main([*argv, "--json"])
    # Then the added provider and the shipped one both decide
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert [(r["provider"], r["outcome"]) for r in records] == [
        ("wire", "cleared"),
        ("menafn", "cleared"),
    ]


def test_only_policies_uses_the_directory_alone(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["check", str(CLEARED), "--policies", str(WIRE_EXAMPLE / "policies")]
    assert main([*argv, "--only-policies", "--json"]) == 1
    [record] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (record["provider"], record["outcome"]) == (None, "rejected")
    assert record["findings"][0]["rule_id"] == "provider.unknown"


def test_an_alpha_3_territory_decides_as_its_alpha_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(CLEARED), "--territory", "fra", "--channel", "print", "--json"]) == 0
    [record] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["licensee"] == {"territory": "FR", "use": "editorial", "channel": "print"}
