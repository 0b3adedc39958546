"""The ledger's edges through what a compliance officer runs: `clearance audit verify` as at a
time, `show` and `GET /v1/audit/articles/{id}` against the sealed copies, and `prove` handing
over the key's fingerprint that `check-proof` pins."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from clearance.cli.main import main
from clearance.contracts import keys, media
from clearance.contracts.encoding import json_line
from tests.integration.harness import HOUR, Harness, article


def sealed_ledger(audit: Harness, *, twin: bool = False) -> Harness:
    """Three decisions made six hours ago (and, with `twin`, a second decision about the first
    article), sealed by a digest job that ran just now."""
    audit.signing_key()
    audit.now = datetime.now(UTC)
    audit.later = audit.now
    audit.decide_hour(audit.now.replace(minute=0, second=0, microsecond=0) - 6 * HOUR)
    if twin:
        audit.seeded.append(another(audit, minutes=20))
    audit.digest()
    return audit


def another(ledger: Harness, minutes: int) -> dict[str, Any]:
    """Another decision about the first article, with its pointer, written straight into the
    bucket (as one slipped in would be)."""
    record = {
        **ledger.seeded[0],
        "decision_id": f"{minutes:064d}-9f510a8c7b8e",
        "decided_at": (ledger.hour + timedelta(minutes=minutes)).isoformat(),
    }
    pointer = keys.article_pointer_key(article_id(ledger), record["decision_id"], "cleared")
    decision = keys.record_key(record)
    ledger.audit_bucket.put_once(pointer, json_line({"decision_key": decision}), media.JSON)
    ledger.audit_bucket.put_once(decision, json_line(record), media.JSON)
    return record


def article_id(ledger: Harness, n: int = 0) -> str:
    return str(ledger.seeded[n]["article"]["id"])


def record_key(ledger: Harness, n: int = 0) -> str:
    return keys.record_key(ledger.seeded[n])


@pytest.fixture
def ledger(audit: Harness) -> Harness:
    return sealed_ledger(audit)


def label(hour: datetime) -> str:
    return f"{hour:%Y-%m-%dT%H}"


# --- verify ----------------------------------------------------------------------------------


@pytest.mark.reliability
def test_a_log_with_every_digest_deleted_fails_naming_its_records(
    ledger: Harness, capsys: pytest.CaptureFixture[str], figure: Callable[[str], None]
) -> None:
    # Given a log whose every digest was deleted
    for key in ledger.digest_keys():
        ledger.delete(key)
    # When it is verified, as at now
    code, out = ledger.verify(capsys)
    # Then it fails, naming the hour of the three records, and each record
    assert code == 1, out
    assert f"hour {label(ledger.hour)} has 3 records and no digest: " in out
    named = [line for line in out.splitlines() if line.startswith("      unproven record ")]
    assert sorted(line.split()[-1] for line in named) == ledger.decision_keys()
    # And every other hour since the day began that should be sealed by now is named too
    hours = out.count("digest_deleted: ")
    assert "should be sealed by" in out
    figure(
        f"every digest deleted: exit 1, {hours} hours named (as at now), 3 of 3 records named "
        "under their hour"
    )


@pytest.mark.reliability
def test_a_record_dated_before_the_first_digest_fails(
    ledger: Harness, capsys: pytest.CaptureFixture[str], figure: Callable[[str], None]
) -> None:
    # Given a decision record written, after sealing, dated before the log's first digest
    genesis = min(h for k in ledger.digest_keys() if (h := keys.hour_of_digest_key(k)))
    early = ledger.decide(article(8), genesis - timedelta(minutes=30), "inbound/menafn/8")
    # When the whole log is verified
    code, out = ledger.verify(capsys)
    # Then the record is named as inserted before the first digest
    key = keys.record_key(early)
    assert code == 1, out
    assert f"record_inserted: {key}: record {key} was decided in " in out
    assert f"before the first digest {keys.digest_key(genesis)}" in out
    assert out.splitlines()[0] == "1 problem:"
    figure("a record dated before the first digest: exit 1, the record named, 1 problem")


@pytest.mark.reliability
def test_the_newest_digests_deleted_are_named_as_at_a_later_time(
    ledger: Harness, capsys: pytest.CaptureFixture[str], figure: Callable[[str], None]
) -> None:
    # Given the two newest digests deleted
    tail = ledger.digest_keys()[-2:]
    for key in tail:
        ledger.delete(key)
    first = keys.hour_of_digest_key(tail[0])
    assert first is not None
    # When verified as at a minute before the first of them is due / Then nothing is wrong
    early = (first + 3 * HOUR - timedelta(minutes=1)).isoformat()
    code, out = ledger.verify(capsys, "--as-at", early)
    assert code == 0, out
    # But verified as at the time the second is due, both hours must have their digests
    later = (first + 4 * HOUR).isoformat()
    code, out = ledger.verify(capsys, "--as-at", later)
    assert code == 1
    for key in tail:
        hour = keys.hour_of_digest_key(key)
        assert hour is not None
        deadline = hour + 3 * HOUR
        assert (
            f"digest_deleted: {key}: hour {label(hour)} should be sealed by "
            f"{deadline:%Y-%m-%dT%H:%MZ} and has no digest: {key} was deleted, or the digest job "
            "has not run" in out
        )
    figure(
        f"the newest {len(tail)} digests deleted: exit 0 as at a minute before the first is due, "
        f"exit 1 as at the second's deadline, naming {out.count('should be sealed by')} hours "
        "with their deadlines"
    )


def test_an_untouched_log_verifies_as_at_now_and_a_bad_as_at_is_a_usage_error(
    ledger: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an untouched log / When verified as at now / Then it verifies
    code, out = ledger.verify(capsys, "--as-at", ledger.now.isoformat())
    assert (code, out.startswith("verified 3 records in ")) == (0, True), out
    # And an as-at time without a time zone is one line, exit 2
    code, out, err = ledger.audit_cli(
        capsys, "verify", "--key", ledger.key, "--as-at", "2026-11-23"
    )
    assert (code, out) == (2, "")
    assert err == "clearance: argument --as-at: give a time zone (e.g. Z or +00:00): '2026-11-23'\n"


def test_a_signing_key_that_is_not_p256_is_one_line_and_exit_2(
    ledger: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an RSA key given as the digest key
    rsa = ledger.kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    # When the log is verified with it / Then one line names it, exit 2
    code, out, err = ledger.audit_cli(capsys, "verify", "--key", rsa)
    assert (code, out) == (2, "")
    assert err == (
        f"clearance: --key {rsa}: its public key cannot be used: it is an RSA key, not an "
        "ECC_NIST_P256 (P-256) public key\n"
    )


# --- the per-article views against the sealed copies ----------------------------------------


def shown(ledger: Harness, capsys: pytest.CaptureFixture[str], n: int = 0) -> tuple[int, Any, str]:
    code, out, err = ledger.audit_cli(capsys, "show", article_id(ledger, n))
    return code, json.loads(out), err


def served(ledger: Harness, n: int = 0) -> tuple[int, Any]:
    return ledger.get_audit(f"/v1/audit/articles/{article_id(ledger, n)}")


def test_an_untouched_article_shows_each_decision_matching_its_sealed_copy(
    ledger: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a sealed, untouched decision / When shown and served
    code, body, err = shown(ledger, capsys)
    status, answer = served(ledger)
    # Then both mark it as its sealed copy, with no warning
    assert (code, err, status) == (0, "", 200)
    for view in (body, answer):
        (decision,) = view["decisions"]
        assert decision["seal"]["state"] == "matches"
        assert decision["seal"]["segment"] == keys.segment_key(ledger.hour)
        assert (view["missing"], view["seals"]) == ([], {"matches": 1})


@pytest.mark.reliability
def test_an_edited_record_is_marked_with_what_differs(
    ledger: Harness, capsys: pytest.CaptureFixture[str], figure: Callable[[str], None]
) -> None:
    # Given a sealed record overwritten with another outcome
    key = record_key(ledger)
    ledger.rewrite(key, lambda record: record.update(outcome="rejected"))
    # When the article is shown and served
    code, body, err = shown(ledger, capsys)
    status, answer = served(ledger)
    # Then the CLI warns in one line and exits 1, and both mark the difference
    assert (code, status) == (1, 200)
    assert err == (
        f"clearance: WARNING differs: record {key} differs from its sealed copy in segment "
        f"{keys.segment_key(ledger.hour)}: /outcome\n"
    )
    for view in (body, answer):
        (decision,) = view["decisions"]
        assert decision["outcome"] == "rejected"
        assert decision["seal"]["state"] == "differs"
        assert decision["seal"]["differences"] == [
            {"field": "/outcome", "sealed": "cleared", "stored": "rejected"}
        ]
    figure("an edited record: marked 'differs' with /outcome sealed 'cleared', stored 'rejected'")


@pytest.mark.reliability
def test_a_record_missing_from_its_sealed_segment_is_marked(
    ledger: Harness, capsys: pytest.CaptureFixture[str], figure: Callable[[str], None]
) -> None:
    # Given a second decision about the same article slipped into its sealed hour
    slipped = another(ledger, minutes=40)
    # When the article is shown and served
    code, body, err = shown(ledger, capsys)
    status, answer = served(ledger)
    # Then the sealed one matches, and the slipped one is marked as in no sealed segment
    assert (code, status) == (1, 200)
    assert err.startswith(f"clearance: WARNING not-in-segment: record {keys.record_key(slipped)}")
    for view in (body, answer):
        states = {d["decision_id"]: d["seal"]["state"] for d in view["decisions"]}
        assert states == {
            ledger.seeded[0]["decision_id"]: "matches",
            slipped["decision_id"]: "not-in-segment",
        }
    figure("a record slipped into its sealed hour: marked 'not-in-segment', CLI exit 1")


@pytest.mark.reliability
def test_a_sealed_record_missing_from_the_bucket_is_shown_from_its_segment_and_marked(
    ledger: Harness, capsys: pytest.CaptureFixture[str], figure: Callable[[str], None]
) -> None:
    # Given a sealed record deleted from the bucket
    key = record_key(ledger)
    ledger.delete(key)
    # When the article is shown and served
    code, body, err = shown(ledger, capsys)
    status, answer = served(ledger)
    # Then the decision is still shown, from its sealed copy, and marked as deleted
    assert (code, status) == (1, 200)
    assert err == (
        f"clearance: WARNING deleted: record {key} is gone from the bucket: shown from its sealed "
        f"copy in segment {keys.segment_key(ledger.hour)}\n"
    )
    for view in (body, answer):
        (decision,) = view["decisions"]
        assert decision["decision_id"] == ledger.seeded[0]["decision_id"]
        assert decision["seal"]["state"] == "deleted"
    figure("a sealed record deleted from the bucket: shown from its segment, marked 'deleted'")


def test_a_sealed_record_deleted_with_its_pointer_is_found_in_its_segment(
    audit: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two decisions about one article in one sealed hour, then one record and its article
    # pointer both deleted
    ledger = sealed_ledger(audit, twin=True)
    second = ledger.seeded[-1]
    record = keys.record_key(second)
    pointer = keys.article_pointer_key(article_id(ledger), second["decision_id"], "cleared")
    ledger.delete(record)
    ledger.delete(pointer)
    # When the article is shown
    code, body, err = shown(ledger, capsys)
    # Then the lost decision is found in the hour's segment and marked
    assert code == 1
    states = {d["decision_id"]: d["seal"]["state"] for d in body["decisions"]}
    assert states[second["decision_id"]] == "deleted"
    assert f"WARNING deleted: record {record} is gone from the bucket" in err


# --- prove hands over the fingerprint that check-proof pins ----------------------------------


@pytest.mark.reliability
def test_prove_prints_the_fingerprint_that_check_proof_pins(
    ledger: Harness,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    figure: Callable[[str], None],
) -> None:
    # Given a proof written by `clearance audit prove`, which prints the key's fingerprint
    path = tmp_path / "proof.json"
    code, out, _ = ledger.audit_cli(
        capsys, "prove", article_id(ledger), "--key", ledger.key, "--out", str(path)
    )
    assert code == 0
    printed = out.split("fingerprint ")[1].split(":", 2)
    pinned = f"{printed[0]}:{printed[1]}"
    assert out.startswith(f"wrote {path}: 1 records, 2 digests; signed by the digest key with ")
    # When it is checked against that fingerprint / Then it holds
    assert main(["audit", "check-proof", str(path), "--fingerprint", pinned]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "proof holds"
    # And unpinned it is not shown to hold
    assert main(["audit", "check-proof", str(path)]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == (
        "proof NOT shown to hold: its key is not pinned"
    )
    # And the fingerprint is what openssl computes from the key's PEM
    if shutil.which("openssl"):
        pem = tmp_path / "digest-key.pem"
        pem.write_text(json.loads(path.read_text())["signing"]["public_key"])
        der = subprocess.run(
            ["openssl", "pkey", "-pubin", "-in", str(pem), "-outform", "DER"],
            capture_output=True,
            check=True,
        ).stdout
        digest = subprocess.run(
            ["sha256sum"], input=der, capture_output=True, check=True
        ).stdout.split()[0]
        assert pinned == "sha256:" + digest.decode()
    figure("a proof pinned by the fingerprint `prove` prints: holds (exit 0); unpinned: exit 1")


def test_the_listing_gives_each_records_md5_as_its_etag(ledger: Harness) -> None:
    # Given sealed records in the audit bucket (SSE-S3, single-part puts)
    start = ledger.hour.replace(hour=0)
    # When verify's evidence is listed
    evidence = ledger.digest_store.evidence(
        ledger.digest_store.digests(start, ledger.now), start, ledger.now
    )
    # Then each record's ETag is the MD5 of its bytes, which verify compares with its sealed copy
    assert evidence.etags == {
        key: hashlib.md5(ledger.audit_bucket.get(key).data, usedforsecurity=False).hexdigest()  # type: ignore[union-attr]
        for key in ledger.decision_keys()
    }


def test_an_edited_record_is_marked_even_with_every_digest_deleted(
    ledger: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given every digest deleted, and then one sealed record edited
    for key in ledger.digest_keys():
        ledger.delete(key)
    ledger.rewrite(record_key(ledger, 1), lambda record: record.update(outcome="rejected"))
    # When the edited and an untouched article are shown
    code, body, err = shown(ledger, capsys, 1)
    untouched_code, untouched, _ = shown(ledger, capsys, 2)
    # Then the edit is marked against the segment that remains, and the untouched record is
    # unchecked, since no digest pins that segment any more
    assert (code, untouched_code) == (1, 1)
    assert body["decisions"][0]["seal"]["state"] == "differs"
    assert f"(the digest of its hour, {keys.digest_key(ledger.hour)}, is missing)" in err
    assert untouched["decisions"][0]["seal"]["state"] == "unchecked"
