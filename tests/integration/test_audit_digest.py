"""Hourly sealed segments and signed digests in the audit bucket, and `clearance audit verify`,
`list`, `prove` and `check-proof` against S3 and KMS."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from clearance.aws.kms import KmsSigner
from clearance.cli.main import main
from clearance.contracts.encoding import canonical
from clearance.handlers import audit_digest
from clearance.services.digester import Digester
from tests.conftest import PROJECT, lambda_context
from tests.integration.harness import NAMES, Harness, article


@pytest.fixture
def log(audit: Harness) -> Harness:
    """Three decisions made two hours ago, a KMS signing key, and the digest job run three
    hours ahead."""
    audit.signing_key()
    audit.decide_hour(audit.hour)
    audit.digest()
    return audit


def test_every_complete_hour_gets_a_chained_digest_quiet_ones_too(log: Harness) -> None:
    # Given three decisions made two hours ago and a digest job run three hours ahead
    keys = log.digest_keys()
    digests = [log.content(k) for k in keys]
    # Then every hour from the start of the log's first day has a digest, chained to the one
    # before, and only the decisions' hour has records and a segment
    assert digests[0]["previous"] is None
    assert digests[0]["period"]["start"].endswith("T00:00:00+00:00")
    assert [d["previous"]["key"] for d in digests[1:]] == keys[:-1]
    sealing = log.sealing()
    assert [d["record_count"] for d in digests].count(3) == 1
    assert sum(d["record_count"] for d in digests) == 3
    assert {r["key"] for r in sealing["records"]} == set(log.decision_keys())
    assert [d["segment"] is None for d in digests].count(False) == 1
    # And the segment holds the three records' bytes, as one JSON-lines object
    segment = log.s3.get_object(Bucket=NAMES.bucket("audit"), Key=sealing["segment"]["key"])
    lines = gzip.decompress(segment["Body"].read()).splitlines(keepends=True)
    stored = [
        log.s3.get_object(Bucket=NAMES.bucket("audit"), Key=k)["Body"].read()
        for k in sorted(log.decision_keys())
    ]
    assert lines == stored


def test_running_the_job_again_writes_nothing_new(log: Harness) -> None:
    before = log.s3.list_object_versions(Bucket=NAMES.bucket("audit"), Prefix="audit/digests/")
    assert log.digest() == []
    after = log.s3.list_object_versions(Bucket=NAMES.bucket("audit"), Prefix="audit/digests/")
    assert len(after["Versions"]) == len(before["Versions"]) == len(log.digest_keys())


def test_untouched_log_verifies(log: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = log.verify(capsys)
    assert code == 0
    digests = len(
        [k for k in log.digest_keys() if k <= f"audit/digests/{datetime.now(UTC):%Y/%m/%d/%H}.json"]
    )
    assert out.startswith(
        f"verified 3 records in {digests} digests; 0 records in the open hour not yet sealed"
    )


@pytest.mark.reliability
def test_changed_record_is_named(log: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    target = log.decision_keys()[0]
    log.rewrite(target, lambda record: record.update(outcome="cleared", findings=[]))
    code, out = log.verify(capsys)
    assert code == 1
    assert f"record_changed: {target}" in out


@pytest.mark.reliability
def test_deleted_record_is_named(log: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    target = log.decision_keys()[1]
    log.s3.delete_object(Bucket=NAMES.bucket("audit"), Key=target)
    code, out = log.verify(capsys)
    assert code == 1
    assert f"record_deleted: {target}" in out


@pytest.mark.reliability
def test_changed_digest_is_named(log: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    target = log.digest_keys()[0]
    log.rewrite(target, lambda digest: digest.update(record_count=2, records=digest["records"][:2]))
    code, out = log.verify(capsys)
    assert code == 1
    assert f"digest_changed: {target}" in out


@pytest.mark.reliability
def test_digest_signed_with_another_key_is_named(
    log: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the digest of the decisions' hour replaced by one signed with a key we do not trust
    newest = f"audit/digests/{log.hour:%Y/%m/%d/%H}.json"
    other = log.kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
        "KeyId"
    ]
    data = json.loads(log.s3.get_object(Bucket=NAMES.bucket("audit"), Key=newest)["Body"].read())
    forged = KmsSigner(log.kms, other)
    data["signing"]["key_id"] = other
    del data["signature"]
    data["signature"] = base64.b64encode(forged.sign(canonical(data))).decode()
    log.s3.put_object(
        Bucket=NAMES.bucket("audit"), Key=newest, Body=canonical(data), ChecksumAlgorithm="SHA256"
    )
    code, out = log.verify(capsys)
    assert code == 1
    assert newest in out


def test_report_is_written_with_totals_and_verification(log: Harness, tmp_path: Any) -> None:
    page = tmp_path / "report.html"
    code = main(
        [
            "audit",
            "report",
            "--bucket",
            NAMES.bucket("audit"),
            "--key",
            log.key,
            "--html",
            str(page),
        ]
    )
    assert code == 0
    html = page.read_text()
    assert "3 records verified in" in html
    assert "0 records in the open hour not yet sealed" in html
    assert "menafn" in html


def test_export_writes_one_csv_row_per_decision(
    log: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "export", "--bucket", NAMES.bucket("audit"), "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("decided_at,provider,outcome,article_id,headline")
    assert len(rows) == 4
    assert all(",menafn,cleared," in row for row in rows[1:])


def test_scheduled_event_runs_the_digest_handler(log: Harness) -> None:
    # Given the hourly schedule's event and a digester three hours ahead
    event = json.loads((PROJECT / "events" / "audit_digest_schedule.json").read_text())
    digester = Digester(
        log.digest_store, KmsSigner(log.kms, log.key), lambda: log.later + timedelta(hours=2)
    )
    # When the handler runs
    response = audit_digest.handler(event, lambda_context("AuditDigestFunction"), digester=digester)
    # Then the two hours since the last digest get theirs
    assert len(response["digests"]) == 2
    assert response["digests"] == log.digest_keys()[-2:]


def test_list_and_show_print_what_a_reviewer_asked_for(
    log: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = ["--bucket", NAMES.bucket("audit")]
    assert main(["audit", "list", *bucket, "--outcome", "cleared", "--limit", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert all("menafn" in line and " cleared " in line for line in lines[:2])
    assert lines[2].startswith("more: --next ")
    article_id = json.loads(
        log.s3.get_object(Bucket=NAMES.bucket("audit"), Key=log.decision_keys()[0])["Body"].read()
    )["article"]["id"]
    assert main(["audit", "show", article_id, *bucket]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [d["outcome"] for d in shown["decisions"]] == ["cleared"]
    assert main(["audit", "list", *bucket, "--outcome", "approved"]) == 2
    assert "--outcome: outcome must be one of" in capsys.readouterr().err


def test_deleted_record_is_still_listed_from_its_segment(
    log: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a sealed record deleted from the bucket
    target = log.decision_keys()[1]
    log.s3.delete_object(Bucket=NAMES.bucket("audit"), Key=target)
    # When a reviewer lists the log / Then the decision is still there, read from its segment
    assert main(["audit", "list", "--bucket", NAMES.bucket("audit")]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 3


@pytest.mark.reliability
def test_changed_segment_is_named_and_its_records_still_verified(
    log: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the sealed segment rewritten with one record's outcome changed
    key = log.sealing()["segment"]["key"]
    data = log.s3.get_object(Bucket=NAMES.bucket("audit"), Key=key)["Body"].read()
    changed = gzip.compress(gzip.decompress(data).replace(b'"cleared"', b'"held"', 1), mtime=0)
    log.s3.put_object(
        Bucket=NAMES.bucket("audit"), Key=key, Body=changed, ChecksumAlgorithm="SHA256"
    )
    # When verified / Then the segment is named, and the three records verify from their copies
    code, out = log.verify(capsys)
    assert code == 1
    assert out.splitlines()[0] == "1 problem:"
    assert f"segment_changed: {key}" in out


@pytest.mark.reliability
def test_deleted_segment_is_named(log: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    key = log.sealing()["segment"]["key"]
    log.s3.delete_object(Bucket=NAMES.bucket("audit"), Key=key)
    code, out = log.verify(capsys)
    assert code == 1
    assert f"segment_deleted: {key}" in out
    assert out.splitlines()[0] == "1 problem:"


@pytest.mark.reliability
def test_record_slipped_into_a_sealed_hour_is_named_and_marked(
    log: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a decision for the sealed hour written after it was sealed
    slipped = log.decide(article(7), log.hour + timedelta(minutes=30), "inbound/menafn/7.txt")
    # When verified / Then it is an insertion; the log lists it, marked as outside every digest
    code, out = log.verify(capsys)
    assert code == 1
    assert "record_inserted:" in out
    assert slipped["decision_id"] in out
    assert main(["audit", "list", "--bucket", NAMES.bucket("audit")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if "UNSEALED" in line] == [
        line for line in lines if "Port report number 7" in line
    ]
    assert len(lines) == 4


@pytest.mark.reliability
def test_proof_checks_offline_and_a_tampered_one_fails_naming_what(
    log: Harness, tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a proof for one article written by `clearance audit prove`
    record = json.loads(
        log.s3.get_object(Bucket=NAMES.bucket("audit"), Key=log.decision_keys()[0])["Body"].read()
    )
    proof = tmp_path / "proof.json"
    bucket = ["--bucket", NAMES.bucket("audit"), "--key", log.key]
    assert main(["audit", "prove", record["article"]["id"], *bucket, "--out", str(proof)]) == 0
    capsys.readouterr()
    content = json.loads(proof.read_text())
    pem = tmp_path / "digest-key.pem"
    pem.write_text(content["signing"]["public_key"])
    # When it is checked in a fresh process with no AWS endpoint or credentials at all
    checked = check_offline(proof, pem)
    # Then it holds: the record, its inclusion proof, the signed digest and the chain
    assert checked.returncode == 0, checked.stdout
    assert "proof holds" in checked.stdout
    assert "included at leaf" in checked.stdout
    assert "chain: digest" in checked.stdout
    # And a proof whose record was edited fails, naming the record
    content["records"][0]["record"] = content["records"][0]["record"].replace('"cleared"', '"held"')
    proof.write_text(json.dumps(content))
    tampered = check_offline(proof, pem)
    assert tampered.returncode == 1
    assert f"FAIL  record {content['records'][0]['key']}" in tampered.stdout


def check_offline(proof: Any, pem: Any) -> subprocess.CompletedProcess[str]:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment["AWS_ENDPOINT_URL"] = "http://192.0.2.1:9"  # unroutable: any AWS call would fail
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "clearance.cli",
            "audit",
            "check-proof",
            str(proof),
            "--public-key",
            str(pem),
        ],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=60,
    )
