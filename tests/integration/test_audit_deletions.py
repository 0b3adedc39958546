"""A record deleted before its hour was sealed is never silent: a delete marker, or the article
pointer written before it, names it in `clearance audit verify`."""

from __future__ import annotations

import pytest

from clearance.contracts import keys
from tests.integration.harness import NAMES, Harness


@pytest.fixture
def unsealed(audit: Harness) -> tuple[Harness, list[str]]:
    """Three decisions in an hour not yet sealed, and their record keys."""
    audit.signing_key()
    audit.decide_hour(audit.hour)
    return audit, audit.decision_keys()


def test_a_record_deleted_before_sealing_is_named_by_its_delete_marker(
    unsealed: tuple[Harness, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    log, records = unsealed
    # Given a record deleted (a delete marker) before the digest job sealed its hour
    log.s3.delete_object(Bucket=NAMES.bucket("audit"), Key=records[1])
    log.digest()
    # When the whole log is verified
    code, out = log.verify(capsys)
    # Then the deletion is named, and the other records verify
    assert code == 1
    assert f"record_deleted: {records[1]}: record {records[1]} was deleted before" in out
    assert out.count("record_deleted") == 1


def test_a_record_missing_from_a_restored_log_is_named_by_its_article_pointer(
    unsealed: tuple[Harness, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    log, _ = unsealed
    # Given a log restored from a copy that kept an article's pointer but lost its record (no
    # version, no delete marker: Object Lock forbids that in place, a restore does not)
    lost = "f" * 64 + "-000000000000"
    pointer = keys.article_pointer_key("lost-article", lost, "cleared")
    log.audit_bucket.put_once(pointer, b"{}", "application/json")
    log.digest()
    # When the whole log is verified
    code, out = log.verify(capsys)
    # Then the pointer gives the missing record away, and nothing else is wrong
    assert code == 1
    assert f"record_deleted: {pointer}: article pointer {pointer} names decision {lost}" in out
    assert out.count("record_deleted") == 1


def test_an_untouched_unsealed_hour_sealed_later_verifies_clean(
    unsealed: tuple[Harness, list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    log, _ = unsealed
    log.digest()
    code, out = log.verify(capsys)
    assert code == 0, out
