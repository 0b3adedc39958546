"""An audit record, once written, stays as written: overwrites are refused by the conditional
put, deletes of its version by Object Lock in compliance mode (moto, as S3 behaves). Puts without
If-None-Match are denied by the bucket's policy on AWS (`test_template.py`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from clearance.contracts import keys
from tests.integration.harness import NAMES, Harness, article

pytestmark = pytest.mark.reliability

AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def refusal(attempt: Callable[[], object]) -> str:
    """The S3 error code an attempt ends in, or what it returned when S3 accepted it."""
    try:
        answer = attempt()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    if isinstance(answer, dict) and answer.get("Errors"):
        return ",".join(item["Code"] for item in answer["Errors"])
    return f"accepted: {answer!r}"


def test_an_audit_record_cannot_be_overwritten_or_deleted_and_stays_byte_identical(
    audit: Harness, figure: Callable[[str], None]
) -> None:
    # Given a decision recorded in the audit bucket
    audit.decide(article(1), AT, "inbound/menafn/1.txt")
    [key] = audit.audit_bucket.keys(keys.DECISIONS)
    bucket = NAMES.bucket("audit")
    original = audit.s3.get_object(Bucket=bucket, Key=key)
    data, version = original["Body"].read(), original["VersionId"]
    forged = json.dumps({**json.loads(data), "outcome": "rejected"}).encode()
    # When it is overwritten through the service, and with a conditional put, and its version
    # deleted one by one and in a batch
    attempts = {
        "service's write-once put": lambda: audit.audit_bucket.put_once(
            key, forged, "application/json"
        ),
        "put with If-None-Match": lambda: audit.s3.put_object(
            Bucket=bucket, Key=key, Body=forged, IfNoneMatch="*", ChecksumAlgorithm="SHA256"
        ),
        "DeleteObject of its version": lambda: audit.s3.delete_object(
            Bucket=bucket, Key=key, VersionId=version
        ),
        "DeleteObjects of its version": lambda: audit.s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": key, "VersionId": version}]}
        ),
        "DeleteObject bypassing governance": lambda: audit.s3.delete_object(
            Bucket=bucket, Key=key, VersionId=version, BypassGovernanceRetention=True
        ),
    }
    answers = {name: refusal(attempt) for name, attempt in attempts.items()}
    # Then every attempt is refused
    assert answers == {
        "service's write-once put": "accepted: None",
        "put with If-None-Match": "PreconditionFailed",
        "DeleteObject of its version": "AccessDenied",
        "DeleteObjects of its version": "AccessDenied",
        "DeleteObject bypassing governance": "AccessDenied",
    }
    # And the record is the one written, in its only version, under compliance-mode retention
    after = audit.s3.get_object(Bucket=bucket, Key=key)
    assert (after["Body"].read(), after["VersionId"]) == (data, version)
    listing = audit.s3.list_object_versions(Bucket=bucket, Prefix=key)
    assert [v["VersionId"] for v in listing["Versions"]] == [version]
    assert "DeleteMarkers" not in listing
    head = audit.s3.head_object(Bucket=bucket, Key=key, VersionId=version)
    assert head["ObjectLockMode"] == "COMPLIANCE"
    assert head["ObjectLockRetainUntilDate"] > datetime.now(UTC)
    figure(
        f"audit write-once: {len(attempts)} attempts to overwrite or delete a decision record"
        " (2 overwrites refused by the conditional put, 3 deletes by compliance-mode Object Lock):"
        " all refused; the record byte-identical, 1 version, 0 delete markers"
    )
