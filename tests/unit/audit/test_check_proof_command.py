"""`clearance audit check-proof`: a proof holds only against a pinned key, and a key that cannot
be used is one line and exit 2, never a traceback. No AWS: the command reads files alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from clearance.audit.signature import fingerprint
from clearance.cli.main import main
from tests.unit.audit.test_proof import (
    ATTACKER,
    PEM,
    PUBLISHER,
    corrupt_curve,
    forged_proof,
    pem_of_any,
    proof,
)


def written(folder: Path, content: Any, name: str = "proof.json") -> Path:
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def check(
    capsys: pytest.CaptureFixture[str], path: Path, *pin: str
) -> tuple[int, list[str], list[str]]:
    code = main(["audit", "check-proof", str(path), *pin])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def test_a_genuine_proof_holds_against_the_fingerprint_it_was_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a genuine proof and the fingerprint the publisher gave the licensor
    path = written(tmp_path, proof())
    # When it is checked against that fingerprint
    code, out, err = check(capsys, path, "--fingerprint", PUBLISHER)
    # Then it holds
    assert (code, out[-1], err) == (0, "proof holds", [])
    assert out[0] == f"ok    public key: the one in the proof, fingerprint {PUBLISHER}, as pinned"


def test_a_genuine_proof_holds_against_the_key_file_it_was_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a genuine proof and the publisher's key as PEM / When checked / Then it holds
    code, out, _ = check(
        capsys, written(tmp_path, proof()), "--public-key", str(written(tmp_path, PEM, "k.pem"))
    )
    assert (code, out[0], out[-1]) == (
        0,
        f"ok    public key: pinned, fingerprint {PUBLISHER}",
        "proof holds",
    )


def test_without_a_pinned_key_it_says_what_it_checked_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a genuine proof / When checked with neither --public-key nor --fingerprint
    code, out, _ = check(capsys, written(tmp_path, proof()))
    # Then it lists what it checked, says the key is not pinned, and exits 1
    assert code == 1
    assert any(line.startswith("ok    record ") for line in out)
    assert not any(line.startswith("FAIL") for line in out)
    assert out[-2].startswith("NOT PINNED  the digests were checked against the key inside")
    assert out[-1] == "proof NOT shown to hold: its key is not pinned"


@pytest.mark.parametrize(
    ("pin", "failure"),
    [
        ((), None),
        (
            ("--fingerprint", PUBLISHER),
            f"FAIL  public key: the key in the proof has fingerprint "
            f"{fingerprint(ATTACKER.public_key())}, not the pinned {PUBLISHER}: these digests "
            "were not signed by the key you were given",
        ),
        (("--public-key",), "FAIL  digest audit/digests/2026/11/23/09.json: signature does not"),
    ],
    ids=["unpinned", "fingerprint", "key-file"],
)
def test_a_proof_forged_with_a_key_in_the_file_never_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pin: tuple[str, ...], failure: str | None
) -> None:
    # Given a proof made from scratch with an attacker's key, which the file carries
    path = written(tmp_path, forged_proof())
    if pin == ("--public-key",):
        pin = ("--public-key", str(written(tmp_path, PEM, "k.pem")))
    # When it is checked
    code, out, _ = check(capsys, path, *pin)
    # Then it exits 1: not pinned, or failing against what was pinned, naming why
    assert code == 1
    assert "proof holds" not in out
    if failure is None:
        assert out[-1] == "proof NOT shown to hold: its key is not pinned"
    else:
        assert any(line.startswith(failure) for line in out), out
        assert out[-1] == "proof does NOT hold"


@pytest.mark.parametrize(
    ("key", "named"),
    [
        (corrupt_curve(PEM), "it is a PEM key of an algorithm or curve that is not supported"),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "not a PEM public key"),
        (
            pem_of_any(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()),
            "it is an RSA key, not an ECC_NIST_P256 (P-256) public key",
        ),
    ],
    ids=["curve-corrupted", "garbage", "rsa"],
)
@pytest.mark.parametrize("where", ["in-the-proof", "in-the-key-file"])
def test_an_unusable_key_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str, named: str, where: str
) -> None:
    # Given a corrupted or wrong-type key, in the proof or in the file given as the pinned key
    made = proof()
    pin: tuple[str, ...] = ("--fingerprint", PUBLISHER)
    if where == "in-the-proof":
        made["signing"]["public_key"] = key
        place = f"{tmp_path / 'proof.json'}: the public key in the proof (signing.public_key)"
    else:
        pin = ("--public-key", str(written(tmp_path, key, "k.pem")))
        place = f"--public-key {tmp_path / 'k.pem'}: the pinned public key"
    # When the proof is checked
    code, out, err = check(capsys, written(tmp_path, made), *pin)
    # Then one line names the key and what it is, with exit 2 and nothing else printed
    assert (code, out, len(err)) == (2, [], 1)
    assert err[0].startswith(f"clearance: {place} cannot be used: ")
    assert named in err[0]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--fingerprint", "sha256:1234"), "clearance: --fingerprint: 'sha256:1234' is not a"),
        (("--public-key", "/nonexistent/k.pem"), "clearance: cannot read /nonexistent/k.pem: No "),
        (
            ("--public-key", "k.pem", "--fingerprint", PUBLISHER),
            "clearance: argument --fingerprint: not allowed with argument --public-key",
        ),
    ],
    ids=["bad-fingerprint", "missing-key-file", "both-pins"],
)
def test_a_bad_pin_is_a_usage_error_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], said: str
) -> None:
    # Given a genuine proof and a pin that cannot be used / When checked / Then exit 2, one line
    code, out, err = check(capsys, written(tmp_path, proof()), *args)
    assert (code, out, len(err)) == (2, [], 1)
    assert err[0].startswith(said), err


@pytest.mark.parametrize(
    "content",
    ["not json at all", "[" * 100_000, '{"proof_version": NaN}', "[]", '{"proof_version": true}'],
    ids=["text", "deep-nesting", "nan", "a-list", "true-for-1"],
)
def test_a_file_that_is_not_a_proof_fails_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str
) -> None:
    # Given a file that is not a clearance proof / When checked against a fingerprint
    code, out, err = check(capsys, written(tmp_path, content), "--fingerprint", PUBLISHER)
    # Then it does not hold, saying so in two lines
    assert (code, err) == (1, [])
    assert out == [
        "FAIL  the file is not a clearance proof (proof_version 1)",
        "proof does NOT hold",
    ]


def test_a_missing_proof_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = check(capsys, tmp_path / "absent.json", "--fingerprint", PUBLISHER)
    assert (code, out) == (2, [])
    assert err == [f"clearance: cannot read {tmp_path / 'absent.json'}: No such file or directory"]


def test_a_p384_key_in_the_key_file_is_named_by_its_curve(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a P-384 key given as the pinned key / When checked / Then its curve is named
    key = written(tmp_path, pem_of_any(ec.generate_private_key(ec.SECP384R1()).public_key()), "k")
    code, _, err = check(capsys, written(tmp_path, proof()), "--public-key", str(key))
    assert code == 2
    assert err == [
        f"clearance: --public-key {key}: the pinned public key cannot be used: it is an EC key "
        "on secp384r1, not an ECC_NIST_P256 (P-256) public key"
    ]
