"""Hourly signed digests in the audit bucket, and `clearance audit verify` against S3 and KMS."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from clearance.aws.digeststore import DigestStore
from clearance.aws.kms import KmsSigner
from clearance.cli.main import main
from clearance.contracts.encoding import canonical
from clearance.handlers import audit_digest
from clearance.services.digester import Digester
from tests.conftest import PROJECT, lambda_context
from tests.integration.conftest import DAY_ONE, NAMES, AuditStack, article


class Log:
    """An audit bucket with decisions written now, a KMS signing key, and the digest job."""

    def __init__(self, audit: AuditStack) -> None:
        self.audit = audit
        self.kms = boto3.client("kms", region_name=NAMES.region)
        self.key = self.kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")[
            "KeyMetadata"
        ]["KeyId"]
        self.store = DigestStore(audit.bucket)
        self.later = datetime.now(UTC) + timedelta(hours=3)

    def digest(self, key: str | None = None) -> list[str]:
        signer = KmsSigner(self.kms, key or self.key)
        return Digester(self.store, signer, lambda: self.later).run()

    def verify(self, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
        code = main(["audit", "verify", "--bucket", NAMES.bucket("audit"), "--key", self.key])
        return code, capsys.readouterr().out

    def decision_keys(self) -> list[str]:
        return sorted(self.audit.bucket.keys("audit/decisions/"))

    def digest_keys(self) -> list[str]:
        return sorted(self.audit.bucket.keys("audit/digests/"))

    def rewrite(self, key: str, change: Any) -> None:
        """A new version of an object: what an overwrite looks like under S3 versioning."""
        data = json.loads(
            self.audit.s3.get_object(Bucket=NAMES.bucket("audit"), Key=key)["Body"].read()
        )
        change(data)
        self.audit.s3.put_object(
            Bucket=NAMES.bucket("audit"),
            Key=key,
            Body=json.dumps(data).encode(),
            ChecksumAlgorithm="SHA256",
        )


@pytest.fixture
def log(audit: AuditStack) -> Log:
    for n in range(3):
        audit.decide(article(n), DAY_ONE + timedelta(minutes=n), f"inbound/menafn/{n}.txt")
    built = Log(audit)
    built.digest()
    return built


def test_every_complete_hour_gets_a_chained_digest_quiet_ones_too(log: Log) -> None:
    # Given three decisions written this hour and a digest job run three hours later
    keys = log.digest_keys()
    # Then the hours up to the last complete one each have a digest, chained to the one before
    assert len(keys) == 3
    digests = [
        json.loads(log.audit.s3.get_object(Bucket=NAMES.bucket("audit"), Key=k)["Body"].read())
        for k in keys
    ]
    assert [d["record_count"] for d in digests] == [3, 0, 0]
    assert digests[0]["previous"] is None
    assert [d["previous"]["key"] for d in digests[1:]] == keys[:2]
    assert {r["key"] for r in digests[0]["records"]} == set(log.decision_keys())


def test_running_the_job_again_writes_nothing_new(log: Log) -> None:
    before = log.audit.s3.list_object_versions(
        Bucket=NAMES.bucket("audit"), Prefix="audit/digests/"
    )
    assert log.digest() == []
    after = log.audit.s3.list_object_versions(Bucket=NAMES.bucket("audit"), Prefix="audit/digests/")
    assert len(after["Versions"]) == len(before["Versions"]) == 3


def test_untouched_log_verifies(log: Log, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = log.verify(capsys)
    assert code == 0
    # (the job ran three hours ahead; only this hour's digest is in the past)
    assert out.startswith("verified 3 records in 1 digest (0 not yet digested)")


def test_changed_record_is_named(log: Log, capsys: pytest.CaptureFixture[str]) -> None:
    target = log.decision_keys()[0]
    log.rewrite(target, lambda record: record.update(outcome="cleared", findings=[]))
    code, out = log.verify(capsys)
    assert code == 1
    assert f"record_changed: {target}" in out


def test_deleted_record_is_named(log: Log, capsys: pytest.CaptureFixture[str]) -> None:
    target = log.decision_keys()[1]
    log.audit.s3.delete_object(Bucket=NAMES.bucket("audit"), Key=target)
    code, out = log.verify(capsys)
    assert code == 1
    assert f"record_deleted: {target}" in out


def test_changed_digest_is_named(log: Log, capsys: pytest.CaptureFixture[str]) -> None:
    target = log.digest_keys()[0]
    log.rewrite(target, lambda digest: digest.update(record_count=2, records=digest["records"][:2]))
    code, out = log.verify(capsys)
    assert code == 1
    assert f"digest_changed: {target}" in out


def test_digest_signed_with_another_key_is_named(
    log: Log, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the newest digest replaced by one signed with a key we do not trust
    newest = log.digest_keys()[-1]
    other = log.kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"][
        "KeyId"
    ]
    data = json.loads(
        log.audit.s3.get_object(Bucket=NAMES.bucket("audit"), Key=newest)["Body"].read()
    )
    forged = KmsSigner(log.kms, other)
    data["signing"]["key_id"] = other
    del data["signature"]
    data["signature"] = base64.b64encode(forged.sign(canonical(data))).decode()
    log.audit.s3.put_object(
        Bucket=NAMES.bucket("audit"), Key=newest, Body=canonical(data), ChecksumAlgorithm="SHA256"
    )
    code, out = log.verify(capsys)
    assert code == 1
    assert newest in out


def test_report_is_written_with_totals_and_verification(log: Log, tmp_path: Any) -> None:
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
    assert "verified 3 records in 1 digest" in html.lower()
    assert "menafn" in html


def test_export_writes_one_csv_row_per_decision(
    log: Log, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "export", "--bucket", NAMES.bucket("audit"), "--format", "csv"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].startswith("decided_at,provider,outcome,article_id,headline")
    assert len(rows) == 4
    assert all(",menafn,cleared," in row for row in rows[1:])


def test_scheduled_event_runs_the_digest_handler(log: Log) -> None:
    # Given the hourly schedule's event and a digester three hours ahead
    event = json.loads((PROJECT / "events" / "audit_digest_schedule.json").read_text())
    digester = Digester(
        log.store, KmsSigner(log.kms, log.key), lambda: log.later + timedelta(hours=2)
    )
    # When the handler runs
    response = audit_digest.handler(event, lambda_context("AuditDigestFunction"), digester=digester)
    # Then the two hours since the last digest get theirs
    assert response["digests"] == log.digest_keys()[-2:]
    assert len(log.digest_keys()) == 5


def test_list_and_show_print_what_a_reviewer_asked_for(
    log: Log, capsys: pytest.CaptureFixture[str]
) -> None:
    bucket = ["--bucket", NAMES.bucket("audit")]
    assert main(["audit", "list", *bucket, "--outcome", "cleared", "--limit", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    assert all("menafn" in line and " cleared " in line for line in lines[:2])
    assert lines[2].startswith("more: --next ")
    article_id = json.loads(
        log.audit.s3.get_object(Bucket=NAMES.bucket("audit"), Key=log.decision_keys()[0])[
            "Body"
        ].read()
    )["article"]["id"]
    assert main(["audit", "show", article_id, *bucket]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [d["outcome"] for d in shown["decisions"]] == ["cleared"]
    assert main(["audit", "list", *bucket, "--outcome", "approved"]) == 2
    assert "--outcome: outcome must be one of" in capsys.readouterr().err
