"""The ledger's edges: the hours at the start and end of the chain, records outside every digest,
proofs whose key is not pinned, and one article's records against their sealed copies. Each
edge is a tamper kind that must be named."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest

from clearance.audit.chain import ProblemKind
from clearance.audit.digest import HOUR, StoredRecord
from clearance.audit.proof import check_proof
from clearance.audit.seals import (
    SealedHour,
    SealState,
    Viewed,
    article_body,
    compare,
    differences,
    read_hour,
)
from clearance.audit.signature import UnreadableKey
from clearance.audit.verification import Verification
from clearance.audit.verify import verify_log
from tests.unit.audit.test_digest import (
    LOG,
    NOW,
    T0,
    VERIFIER,
    Log,
    found,
    key,
    make_record,
    segment,
    verify,
)
from tests.unit.audit.test_proof import PEM, PUBLISHER, corrupt_curve, forged_proof, proof

DAY = T0.replace(hour=0)
LATER = T0 + timedelta(hours=6)
"""As at 15:00: every hour that ended by 13:00 must have its digest."""


@dataclass(frozen=True)
class Named:
    """Whether an edge was named as a user must see it, and the words that named it."""

    named: bool
    said: str


Edge = Callable[[], Named]


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def problems_text(result: Verification) -> str:
    return "\n".join(
        [p.message for p in result.problems] + [r for p in result.problems for r in p.records]
    )


# --- verify: the hours at the chain's edges ---------------------------------------------------


def every_digest_deleted() -> Named:
    log = LOG.copy()
    log.digests.clear()
    result = verify(log, start=DAY, as_at=LATER)
    sealed = [k for hour in log.hours for k in hour]
    hours = {p.key for p in result.problems if p.kind is ProblemKind.DIGEST_DELETED}
    text = problems_text(result)
    named = (
        not result.ok
        and hours == {key(n) for n in range(-9, 4)}
        and all(k in text for k in sealed)
        and "hour 2026-11-23T10 has 3 records and no digest" in text
        and "hour 2026-11-23T11 should be sealed by 2026-11-23T14:00Z and has no digest" in text
    )
    return Named(named, text)


def head_of_the_chain_deleted() -> Named:
    log = LOG.copy()
    del log.digests[key(0)], log.digests[key(1)]
    result = verify(log, as_at=LATER)
    text = problems_text(result)
    named = found(result) == {
        (ProblemKind.DIGEST_DELETED, key(0)),
        (ProblemKind.DIGEST_DELETED, key(1)),
    } and all(k in text for k in log.hours[0] + log.hours[1])
    return Named(named, text)


def tail_of_the_chain_deleted() -> Named:
    log = LOG.copy()
    del log.digests[key(2)], log.digests[key(3)]
    result = verify(log, as_at=LATER)
    text = problems_text(result)
    named = (
        found(result)
        == {(ProblemKind.DIGEST_DELETED, key(2)), (ProblemKind.DIGEST_DELETED, key(3))}
        and "hour 2026-11-23T11 should be sealed by 2026-11-23T14:00Z and has no digest" in text
        and "hour 2026-11-23T12 has 1 record and no digest" in text
        and log.hours[3][0] in text
    )
    return Named(named, text)


def record_dated_before_the_first_digest() -> Named:
    log = LOG.copy()
    early = make_record(DAY - timedelta(minutes=30), "the day before")
    log.records[early.key] = early
    result = verify(log, start=DAY - timedelta(days=1), as_at=LATER)
    text = problems_text(result)
    named = found(result) == {(ProblemKind.RECORD_INSERTED, early.key)} and (
        "before the first digest audit/digests/2026/11/23/09.json" in text
    )
    return Named(named, text)


def record_filed_in_the_window_dated_outside_it() -> Named:
    log = LOG.copy()
    stray = make_record(T0 - timedelta(days=22), "misfiled")
    misfiled = stray.key.replace("dt=2026-11-01", "dt=2026-11-23")
    log.records[misfiled] = replace(stray, key=misfiled)
    result = verify(log, as_at=LATER)
    text = problems_text(result)
    return Named(found(result) == {(ProblemKind.RECORD_INSERTED, misfiled)}, text)


def record_changed_in_place_with_its_history_lost() -> Named:
    # A restore (or a store that keeps only the newest version) leaves one version of an
    # edited record: the listing's ETag (the MD5 of its bytes) gives it away.
    log = LOG.copy()
    target = log.hours[1][0]
    edited = log.records[target].data.replace(b'"cleared"', b'"held"')
    log.records[target] = replace(log.records[target], data=edited)
    etags = {name: md5(record.data) for name, record in log.records.items()}
    result = verify_log(
        replace(log.evidence(), etags=etags), VERIFIER, start=T0, end=NOW, as_at=LATER
    )
    text = problems_text(result)
    return Named(found(result) == {(ProblemKind.RECORD_CHANGED, target)}, text)


# --- check-proof: a key that is not pinned, or cannot be used ---------------------------------


def forged_proof_checked_unpinned() -> Named:
    result = check_proof(forged_proof())
    return Named(not result.ok and not result.pinned, "\n".join(result.checked))


def forged_proof_checked_against_the_fingerprint() -> Named:
    result = check_proof(forged_proof(), fingerprint=PUBLISHER)
    said = "\n".join(result.failures)
    return Named(not result.ok and "not the pinned" in said, said)


def forged_proof_checked_against_the_key() -> Named:
    result = check_proof(forged_proof(), PEM)
    said = "\n".join(result.failures)
    return Named(not result.ok and "signature does not verify" in said, said)


def key_in_the_proof_corrupted() -> Named:
    made = proof()
    made["signing"]["public_key"] = corrupt_curve(PEM)
    try:
        check_proof(made, fingerprint=PUBLISHER)
    except UnreadableKey as error:
        return Named("signing.public_key" in str(error), str(error))
    return Named(False, "no error")


def pinned_key_of_the_wrong_curve() -> Named:
    try:
        check_proof(proof(), corrupt_curve(PEM))
    except UnreadableKey as error:
        return Named(str(error).startswith("the pinned public key cannot be used"), str(error))
    return Named(False, "no error")


# --- one article's records against their sealed copies -----------------------------------------


def sealed_hour(n: int, log: Log = LOG) -> SealedHour:
    """The n-th hour's seal as the bucket holds it (the reference log seals 09:00 to 12:00)."""
    digest = log.digests.get(key(n))
    stored = log.segments.get(segment(n))
    return read_hour(
        T0 + n * HOUR,
        digest.data if digest else None,
        stored.data if stored else None,
        (T0, T0 + 3 * HOUR) if log.digests else None,
    )


def edited_record() -> Named:
    target = LOG.hours[1][0]
    edited = LOG.records[target].data.replace(b'"cleared"', b'"held"')
    check = compare(target, edited, sealed_hour(1))
    said = check.message
    return Named(check.state is SealState.DIFFERS and said.endswith(": /outcome"), said)


def edited_record_whose_digest_was_deleted() -> Named:
    log = LOG.copy()
    log.digests.clear()
    target = log.hours[1][0]
    edited = log.records[target].data.replace(b'"cleared"', b'"held"')
    check = compare(target, edited, sealed_hour(1, log))
    untouched = compare(log.hours[1][1], log.records[log.hours[1][1]].data, sealed_hour(1, log))
    named = (
        check.state is SealState.DIFFERS
        and "audit/digests/2026/11/23/10.json, is missing" in check.message
        and untouched.state is SealState.UNCHECKED
    )
    return Named(named, f"{check.message}\n{untouched.message}")


def record_not_in_its_sealed_segment() -> Named:
    slipped = make_record(T0 + timedelta(hours=1, minutes=50), "slipped in")
    check = compare(slipped.key, slipped.data, sealed_hour(1))
    return Named(check.state is SealState.NOT_IN_SEGMENT, check.message)


def record_in_a_quiet_sealed_hour() -> Named:
    slipped = make_record(T0 + timedelta(hours=2, minutes=5), "quiet hour")
    check = compare(slipped.key, slipped.data, sealed_hour(2))
    return Named(
        check.state is SealState.NOT_IN_SEGMENT and "sealed with no records" in check.message,
        check.message,
    )


def record_before_the_first_digest_in_the_view() -> Named:
    early = make_record(T0 - timedelta(minutes=30), "early")
    check = compare(early.key, early.data, sealed_hour(-1))
    return Named(
        check.state is SealState.NOT_IN_SEGMENT and "before the first digest" in check.message,
        check.message,
    )


def sealed_record_gone_from_the_bucket() -> Named:
    target = LOG.hours[1][1]
    check = compare(target, None, sealed_hour(1))
    return Named(
        check.state is SealState.DELETED and "shown from its sealed copy" in check.message,
        check.message,
    )


def record_gone_from_bucket_and_segment() -> Named:
    lost = make_record(T0 + timedelta(hours=4, minutes=1), "lost")
    check = compare(lost.key, None, sealed_hour(4))
    return Named(
        check.state is SealState.DELETED and "from every segment" in check.message, check.message
    )


def segment_of_the_hour_altered() -> Named:
    log = LOG.copy()
    log.segments[segment(1)] = replace(log.segments[segment(1)], data=b"\x1f\x8b garbage")
    target = log.hours[1][0]
    check = compare(target, log.records[target].data, sealed_hour(1, log))
    return Named(check.state is SealState.UNCHECKED, check.message)


EDGES: list[Edge] = [
    every_digest_deleted,
    head_of_the_chain_deleted,
    tail_of_the_chain_deleted,
    record_dated_before_the_first_digest,
    record_filed_in_the_window_dated_outside_it,
    record_changed_in_place_with_its_history_lost,
    forged_proof_checked_unpinned,
    forged_proof_checked_against_the_fingerprint,
    forged_proof_checked_against_the_key,
    key_in_the_proof_corrupted,
    pinned_key_of_the_wrong_curve,
    edited_record,
    edited_record_whose_digest_was_deleted,
    record_not_in_its_sealed_segment,
    record_in_a_quiet_sealed_hour,
    record_before_the_first_digest_in_the_view,
    sealed_record_gone_from_the_bucket,
    record_gone_from_bucket_and_segment,
    segment_of_the_hour_altered,
]


@pytest.mark.reliability
@pytest.mark.parametrize("edge", EDGES, ids=lambda edge: edge.__name__)
def test_each_tamper_kind_at_the_ledgers_edges_is_named(edge: Edge) -> None:
    # Given the reference log tampered with at one of its edges / When it is checked
    result = edge()
    # Then the tampering is named, in words a reviewer reads
    assert result.named, result.said
    assert result.said


@pytest.mark.reliability
def test_tamper_kinds_at_the_ledgers_edges_are_all_named(figure: Callable[[str], None]) -> None:
    # Given every edge case / When each is checked / Then each is named
    named = [edge.__name__ for edge in EDGES if edge().named]
    assert named == [edge.__name__ for edge in EDGES]
    log = LOG.copy()
    log.digests.clear()
    everything = verify(log, start=DAY, as_at=LATER)
    hours = sum(1 for p in everything.problems if p.kind is ProblemKind.DIGEST_DELETED)
    records = sum(len(p.records) for p in everything.problems)
    figure(
        f"{len(EDGES)} tamper kinds at the ledger's edges (6 in verify: every digest deleted, "
        "the chain's head or tail deleted, a record before the first digest or filed in the "
        "window but dated outside it, a record changed in place with its versions lost; 5 in "
        "check-proof: a forged proof unpinned, against the "
        "fingerprint, against the key, a corrupted embedded key, a pinned key of another curve; "
        "8 in the per-article views): "
        f"{len(named)} of {len(EDGES)} named; every digest deleted names {hours} hours and "
        f"{records} of 6 sealed records"
    )


# --- how the edges are judged -----------------------------------------------------------------


def test_an_hour_not_yet_due_is_not_missing() -> None:
    # Given the two newest digests deleted, verified as at 13:00
    log = LOG.copy()
    del log.digests[key(2)], log.digests[key(3)]
    result = verify(log, as_at=T0 + 4 * HOUR)
    # Then nothing is missing yet (11:00 is due from 14:00, 12:00 from 15:00): its records wait
    assert result.ok, result.problems
    assert result.not_yet_digested == 2


def test_as_at_sets_when_each_hour_is_due() -> None:
    # Given the two newest digests deleted
    log = LOG.copy()
    del log.digests[key(2)], log.digests[key(3)]
    # When verified as at 14:00, 11:00 is due (it ended at 12:00, plus two hours), 12:00 is not
    result = verify(log, as_at=T0 + 5 * HOUR)
    # Then only 11:00 is named, with its deadline
    assert found(result) == {(ProblemKind.DIGEST_DELETED, key(2))}
    assert result.problems[0].message.startswith(
        "hour 2026-11-23T11 should be sealed by 2026-11-23T14:00Z and has no digest: "
        "audit/digests/2026/11/23/11.json was deleted, or the digest job has not run"
    )


def test_every_digest_deleted_names_each_hour_with_its_records() -> None:
    # Given a log with every digest deleted / When verified as at 15:00
    log = LOG.copy()
    log.digests.clear()
    result = verify(log, start=DAY, as_at=LATER)
    # Then each hour with records names them, and none is counted verified
    by_key = {p.key: p for p in result.problems}
    assert by_key[key(1)].records == tuple(sorted(LOG.hours[1]))
    assert by_key[key(1)].message == (
        "hour 2026-11-23T10 has 3 records and no digest: audit/digests/2026/11/23/10.json was "
        "deleted, or the digest job has not run"
    )
    assert (result.verified_records, result.unverified_records, result.not_yet_digested) == (
        0,
        6,
        1,
    )


def test_a_window_reaching_back_before_the_log_names_no_hour_before_its_first_day() -> None:
    # Given the genesis deleted, verified from a month before the log began
    log = LOG.copy()
    del log.digests[key(0)]
    result = verify(log, start=DAY - timedelta(days=30), as_at=LATER)
    # Then only the hours of the log's first day up to the first digest are named
    assert {p.key for p in result.problems} == {key(n) for n in range(-9, 1)}


def test_differences_name_each_changed_field_with_both_values() -> None:
    # Given a sealed record and a copy with its outcome and a finding changed
    sealed = LOG.records[LOG.hours[1][0]].data
    record = json.loads(sealed)
    record["outcome"] = "held"
    record["findings"] = [{"rule_id": "x"}]
    record["article"]["headline/with~marks"] = "new"
    stored = (json.dumps(record, sort_keys=True) + "\n").encode()
    # Then each difference is a JSON pointer with the sealed and the stored value
    assert [(d.field, d.sealed, d.stored) for d in differences(sealed, stored)] == [
        ("/article/headline~1with~0marks", None, "new"),
        ("/findings", [], [{"rule_id": "x"}]),
        ("/outcome", "cleared", "held"),
    ]
    # And bytes that differ with the same JSON are named by their two SHA-256s
    (only,) = differences(sealed, sealed.replace(b", ", b",  "))
    assert only.field == ""
    assert only.sealed.startswith("sha256:")


def test_the_article_body_marks_each_decision_and_lists_the_lost_ones() -> None:
    # Given one matching record, one edited, and one lost from the bucket and the segment
    kept, edited = LOG.hours[1][0], LOG.hours[1][1]
    hour = sealed_hour(1)
    changed = LOG.records[edited].data.replace(b'"cleared"', b'"held"')
    lost = make_record(T0 + timedelta(hours=4), "lost").key
    viewed = [
        Viewed("1", kept, LOG.records[kept].data, compare(kept, LOG.records[kept].data, hour)),
        Viewed("2", edited, changed, compare(edited, changed, hour)),
        Viewed("3", lost, None, compare(lost, None, sealed_hour(4))),
    ]
    # When the body is built
    body = article_body("a1", viewed)
    # Then each decision carries its seal, and the lost one is listed apart with its own
    assert [d["seal"]["state"] for d in body["decisions"]] == ["matches", "differs"]
    assert body["decisions"][1]["seal"]["differences"] == [
        {"field": "/outcome", "sealed": "cleared", "stored": "held"}
    ]
    assert body["decisions"][1]["outcome"] == "held"
    assert [(m["key"], m["seal"]["state"]) for m in body["missing"]] == [(lost, "deleted")]
    assert body["seals"] == {"matches": 1, "differs": 1, "deleted": 1}


def test_a_record_of_an_open_hour_is_marked_open() -> None:
    pending = make_record(T0 + timedelta(hours=4, minutes=20), "pending")
    check = compare(pending.key, pending.data, sealed_hour(4))
    assert (check.state, check.alarming) == (SealState.OPEN, False)


def test_an_unreadable_digest_leaves_its_hour_unchecked() -> None:
    hour = read_hour(T0, b"{not json", None, (T0, T0))
    stored = StoredRecord("k", b"{}\n")
    check = compare(stored.key, stored.data, hour)
    assert check.state is SealState.UNCHECKED
    assert check.message == (
        "record k: digest audit/digests/2026/11/23/09.json cannot be read: run clearance audit "
        "verify"
    )


def test_as_at_before_the_log_began_finds_nothing_due() -> None:
    result = verify(LOG, start=T0, end=T0 + 4 * HOUR, as_at=datetime(2026, 11, 1, tzinfo=T0.tzinfo))
    assert result.ok


def test_records_whose_etags_are_their_sealed_copies_verify() -> None:
    # Given the listing's ETags of untouched records, and one multipart ETag (not an MD5)
    etags = {name: md5(record.data) for name, record in LOG.records.items()}
    etags[LOG.hours[0][0]] = "0" * 32 + "-2"
    # When verified / Then nothing is wrong, and every record is verified
    result = verify_log(replace(LOG.evidence(), etags=etags), VERIFIER, start=T0, end=NOW)
    assert result.ok
    assert result.verified_records == 6
