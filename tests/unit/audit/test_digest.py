"""Hourly audit digests and sealed segments: a chained, signed log whose every kind of tampering
is named, each fault on its own object."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.audit.chain import ProblemKind
from clearance.audit.digest import (
    HOUR,
    DigestRef,
    Period,
    RecordRef,
    StoredDigest,
    StoredRecord,
    build_digest,
    digest_key,
    period_of_key,
    periods_between,
)
from clearance.audit.merkle import merkle_root
from clearance.audit.segment import build_segment
from clearance.audit.verification import Verification
from clearance.audit.verify import Evidence, verify_log
from clearance.contracts.encoding import canonical, json_line
from clearance.contracts.keys import record_key, segment_key
from clearance.contracts.schemas import validator_for

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
NOW = T0 + timedelta(hours=5)
KEY_ID = "arn:aws:kms:eu-west-1:123456789012:key/audit-digest"
HMAC = "HMAC_SHA_256"


@dataclass(frozen=True)
class HmacSigner:
    """A stand-in for the KMS key: HMAC, so tests need no crypto library and no AWS."""

    secret: bytes
    key_id: str = KEY_ID
    algorithm: str = HMAC

    def sign(self, message: bytes) -> bytes:
        return hmac.new(self.secret, message, hashlib.sha256).digest()


@dataclass(frozen=True)
class HmacVerifier:
    """Accepts only the key ids it pins, and only their algorithm."""

    keys: Mapping[str, bytes]

    def verify(self, message: bytes, signature: bytes, key_id: str, algorithm: str) -> bool:
        secret = self.keys.get(key_id)
        if secret is None or algorithm != HMAC:
            return False
        return hmac.compare_digest(hmac.new(secret, message, hashlib.sha256).digest(), signature)


SIGNER = HmacSigner(b"our audit key")
VERIFIER = HmacVerifier({KEY_ID: SIGNER.secret})
ATTACKER = HmacSigner(b"not our key")


@dataclass
class Log:
    """An audit bucket's contents: digests, segments and records by key (each record with its
    version count), and which records each hour has."""

    digests: dict[str, StoredDigest] = field(default_factory=dict)
    segments: dict[str, StoredDigest] = field(default_factory=dict)
    records: dict[str, StoredRecord] = field(default_factory=dict)
    hours: list[list[str]] = field(default_factory=list)

    def copy(self) -> Log:
        return Log(
            dict(self.digests),
            dict(self.segments),
            dict(self.records),
            [list(h) for h in self.hours],
        )

    def content(self, hour: int) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.digests[key(hour)].data)
        return parsed

    def evidence(self) -> Evidence:
        """What the store hands `verify_log`: every record's bytes, whether needed or not."""
        present = {name: record.versions for name, record in self.records.items()}
        return Evidence(list(self.digests.values()), self.segments, present, self.records)


def key(hour: int) -> str:
    """The digest key of the n-th hour of the log (0 is 09:00, the genesis)."""
    return digest_key(T0 + hour * HOUR)


def segment(hour: int) -> str:
    return segment_key(T0 + hour * HOUR)


def make_record(decided_at: datetime, name: str, provider: str = "menafn") -> StoredRecord:
    decision_id = f"{hashlib.sha256(name.encode()).hexdigest()}-none"
    record = {
        "record_version": 1,
        "decision_id": decision_id,
        "decided_at": decided_at.isoformat(),
        "provider": provider,
        "outcome": "cleared",
        "article": {"headline": f"Article {name}"},
        "findings": [],
    }
    return StoredRecord(record_key(record), json_line(record), f"v1-{name}")


def seal(
    log: Log,
    hour: datetime,
    stored: list[StoredRecord],
    previous: DigestRef | None,
    signer: HmacSigner = SIGNER,
) -> DigestRef:
    """The digest job's work for one hour: its segment, then its signed digest."""
    built = build_segment(hour, [(r.key, r.data) for r in stored]) if stored else None
    if built is not None:
        log.segments[built.key] = StoredDigest(built.key, built.data)
    refs = [RecordRef.of(r.key, r.data) for r in stored]
    digest, data = build_digest(
        hour,
        refs,
        previous,
        hour + HOUR + timedelta(minutes=45),
        signer,
        segment=built.ref if built else None,
    )
    log.digests[digest] = StoredDigest(digest, data)
    return DigestRef.of(digest, data)


def build_log(counts: list[int], *, pending: int = 1, signer: HmacSigner = SIGNER) -> Log:
    """Digests for consecutive hours from T0 with `counts[i]` records each, then `pending`."""
    log = Log()
    previous: DigestRef | None = None
    for i, count in enumerate(counts):
        hour = T0 + i * HOUR
        stored = [
            make_record(hour + timedelta(minutes=7 + 11 * j), f"{i}-{j}") for j in range(count)
        ]
        log.records.update((r.key, r) for r in stored)
        log.hours.append([r.key for r in stored])
        previous = seal(log, hour, stored, previous, signer)
    for j in range(pending):
        late = make_record(T0 + len(counts) * HOUR + timedelta(minutes=20 + j), f"pending-{j}")
        log.records[late.key] = late
    return log


def verify(log: Log, start: datetime = T0, end: datetime = NOW, **kwargs: Any) -> Verification:
    return verify_log(log.evidence(), VERIFIER, start=start, end=end, **kwargs)


def found(verification: Verification) -> set[tuple[ProblemKind, str]]:
    return {(problem.kind, problem.key) for problem in verification.problems}


def resign(content: dict[str, Any], signer: HmacSigner) -> bytes:
    """A digest edited and signed again, as only the holder of `signer`'s key could."""
    body = {name: value for name, value in content.items() if name != "signature"}
    body["signing"] = {"key_id": signer.key_id, "algorithm": signer.algorithm}
    body["signature"] = base64.b64encode(signer.sign(canonical(body))).decode()
    return canonical(body)


def put(log: Log, digest: str, data: bytes, versions: int = 1) -> None:
    log.digests[digest] = replace(log.digests[digest], data=data, versions=versions)


# Hours of the reference log: 09:00 genesis with 2 records, 10:00 with 3, 11:00 quiet, 12:00
# with 1, and one record at 13:20 that no digest covers yet.
COUNTS = [2, 3, 0, 1]
LOG = build_log(COUNTS)

Expected = set[tuple[ProblemKind, str]]
Tamper = Callable[[Log], Expected]


def rewrite_record_as_new_version(log: Log) -> Expected:
    target = log.hours[1][0]
    old = log.records[target]
    log.records[target] = StoredRecord(
        target, old.data.replace(b'"cleared"', b'"held"'), "v2", versions=2
    )
    return {(ProblemKind.RECORD_CHANGED, target)}


def resegment(log: Log, hour: int, lines: list[bytes], versions: int = 1) -> None:
    """The hour's segment replaced by other lines, compressed as the digest job would."""
    data = gzip.compress(b"".join(lines), mtime=0)
    log.segments[segment(hour)] = StoredDigest(segment(hour), data, versions=versions)


def change_record_inside_its_segment(log: Log) -> Expected:
    lines = [log.records[k].data for k in sorted(log.hours[0])]
    lines[1] = lines[1].replace(b'"cleared"', b'"held"')
    resegment(log, 0, lines)
    return {(ProblemKind.SEGMENT_CHANGED, segment(0))}


def drop_a_record_from_its_segment(log: Log) -> Expected:
    resegment(log, 1, [log.records[k].data for k in sorted(log.hours[1])][:2])
    return {(ProblemKind.SEGMENT_CHANGED, segment(1))}


def overwrite_segment_with_same_bytes(log: Log) -> Expected:
    log.segments[segment(3)] = replace(log.segments[segment(3)], versions=2)
    return {(ProblemKind.SEGMENT_CHANGED, segment(3))}


def delete_segment(log: Log) -> Expected:
    del log.segments[segment(1)]
    return {(ProblemKind.SEGMENT_DELETED, segment(1))}


def delete_segment_and_one_of_its_records(log: Log) -> Expected:
    del log.segments[segment(1)]
    target = log.hours[1][0]
    del log.records[target]
    return {(ProblemKind.SEGMENT_DELETED, segment(1)), (ProblemKind.RECORD_DELETED, target)}


def backdate_a_record_into_a_later_seal(log: Log) -> Expected:
    # A record of 10:45 written after 10:00 was sealed, then sealed (by a digester that sealed
    # by write time) into the 12:00 digest, signed with our key.
    late = make_record(T0 + timedelta(hours=1, minutes=45), "backdated")
    log.records[late.key] = late
    stored = [log.records[k] for k in log.hours[3]] + [late]
    ordered = sorted(stored, key=lambda r: r.key)
    data = gzip.compress(b"".join(r.data for r in ordered), mtime=0)
    log.segments[segment(3)] = StoredDigest(segment(3), data)
    content = log.content(3)
    content["records"] = [
        {"key": r.key, "sha256": RecordRef.of(r.key, r.data).sha256} for r in ordered
    ]
    content["record_count"] = len(ordered)
    content["merkle_root"] = merkle_root(
        [bytes.fromhex(e["sha256"]) for e in content["records"]]
    ).hex()
    content["segment"] = {
        "key": segment(3),
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }
    put(log, key(3), resign(content, SIGNER))
    return {(ProblemKind.RECORD_INSERTED, late.key)}


def overwrite_record_with_same_bytes(log: Log) -> Expected:
    target = log.hours[3][0]
    log.records[target] = replace(log.records[target], version_id="v2", versions=2)
    return {(ProblemKind.RECORD_CHANGED, target)}


def rewrite_record_and_seal_it_again(log: Log) -> Expected:
    # An overwritten 10:00 record, decided_at moved to 12:00, sealed again by the 12:00 digest
    target = log.hours[1][0]
    old = log.records[target]
    log.records[target] = StoredRecord(target, old.data, "v2", versions=2)
    stored = [log.records[k] for k in log.hours[3]] + [log.records[target]]
    ordered = sorted(stored, key=lambda r: r.key)
    data = gzip.compress(b"".join(r.data for r in ordered), mtime=0)
    log.segments[segment(3)] = StoredDigest(segment(3), data)
    content = log.content(3)
    content["records"] = [
        {"key": r.key, "sha256": RecordRef.of(r.key, r.data).sha256} for r in ordered
    ]
    content["record_count"] = len(ordered)
    content["merkle_root"] = merkle_root(
        [bytes.fromhex(e["sha256"]) for e in content["records"]]
    ).hex()
    content["segment"] = {
        "key": segment(3),
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
    }
    put(log, key(3), resign(content, SIGNER))
    return {(ProblemKind.RECORD_CHANGED, target)}


def delete_record(log: Log) -> Expected:
    target = log.hours[1][2]
    del log.records[target]
    return {(ProblemKind.RECORD_DELETED, target)}


def insert_record_into_digested_hour(log: Log) -> Expected:
    extra = make_record(T0 + timedelta(hours=1, minutes=45), "inserted")
    log.records[extra.key] = extra
    return {(ProblemKind.RECORD_INSERTED, extra.key)}


def edit_digest_entry_keeping_signature(log: Log) -> Expected:
    content = log.content(1)
    content["records"][0]["sha256"] = "0" * 64
    put(log, key(1), canonical(content))
    return {(ProblemKind.DIGEST_CHANGED, key(1))}


def edit_digest_time_keeping_signature(log: Log) -> Expected:
    content = log.content(1)
    content["created_at"] = (T0 + timedelta(days=3)).isoformat()
    put(log, key(1), canonical(content))
    return {(ProblemKind.DIGEST_CHANGED, key(1))}


def reformat_digest(log: Log) -> Expected:
    put(log, key(2), json.dumps(log.content(2), indent=2).encode())
    return {(ProblemKind.DIGEST_CHANGED, key(2))}


def overwrite_digest(log: Log) -> Expected:
    put(log, key(0), log.digests[key(0)].data, versions=2)
    return {(ProblemKind.DIGEST_CHANGED, key(0))}


def truncate_digest(log: Log) -> Expected:
    put(log, key(1), log.digests[key(1)].data[:80])
    return {(ProblemKind.DIGEST_CHANGED, key(1))}


def delete_digest(log: Log) -> Expected:
    del log.digests[key(1)]
    return {(ProblemKind.DIGEST_DELETED, key(1))}


def delete_quiet_hour_digest(log: Log) -> Expected:
    del log.digests[key(2)]
    return {(ProblemKind.DIGEST_DELETED, key(2))}


def delete_genesis(log: Log) -> Expected:
    del log.digests[key(0)]
    return {(ProblemKind.DIGEST_DELETED, key(0))}


def swap_two_digests(log: Log) -> Expected:
    first, second = log.digests[key(1)].data, log.digests[key(2)].data
    put(log, key(1), second)
    put(log, key(2), first)
    return {(ProblemKind.DIGESTS_REORDERED, key(1)), (ProblemKind.DIGESTS_REORDERED, key(2))}


def point_back_past_an_hour(log: Log) -> Expected:
    content = log.content(3)
    content["previous"] = {
        "key": key(1),
        "sha256": hashlib.sha256(log.digests[key(1)].data).hexdigest(),
    }
    put(log, key(3), resign(content, SIGNER))
    return {(ProblemKind.DIGESTS_REORDERED, key(3))}


def start_a_second_chain(log: Log) -> Expected:
    content = log.content(2)
    content["previous"] = None
    put(log, key(2), resign(content, SIGNER))
    return {(ProblemKind.DIGESTS_REORDERED, key(2)), (ProblemKind.DIGEST_CHANGED, key(2))}


def resign_last_digest_with_another_key(log: Log) -> Expected:
    put(log, key(3), resign(log.content(3), ATTACKER))
    return {(ProblemKind.SIGNATURE_FORGED, key(3))}


def replace_signature_with_noise(log: Log) -> Expected:
    content = log.content(3)
    content["signature"] = base64.b64encode(b"\x30" * 70).decode()
    put(log, key(3), canonical(content))
    return {(ProblemKind.SIGNATURE_FORGED, key(3))}


def claim_an_unpinned_key(log: Log) -> Expected:
    stranger = HmacSigner(b"their key", key_id="arn:aws:kms:us-east-1:999999999999:key/theirs")
    put(log, key(3), resign(log.content(3), stranger))
    return {(ProblemKind.SIGNATURE_FORGED, key(3))}


def rewrite_the_tail_to_hide_a_record(log: Log) -> Expected:
    eleven = log.content(2)
    eleven["created_at"] = (T0 + timedelta(days=1)).isoformat()
    eleven_data = resign(eleven, ATTACKER)
    put(log, key(2), eleven_data)
    twelve = log.content(3)
    twelve.update(records=[], record_count=0, merkle_root=merkle_root([]).hex(), segment=None)
    twelve["previous"] = {"key": key(2), "sha256": hashlib.sha256(eleven_data).hexdigest()}
    put(log, key(3), resign(twelve, ATTACKER))
    return {(ProblemKind.SIGNATURE_FORGED, key(2)), (ProblemKind.SIGNATURE_FORGED, key(3))}


TAMPERING: list[Tamper] = [
    rewrite_record_as_new_version,
    change_record_inside_its_segment,
    drop_a_record_from_its_segment,
    overwrite_segment_with_same_bytes,
    delete_segment,
    delete_segment_and_one_of_its_records,
    backdate_a_record_into_a_later_seal,
    rewrite_record_and_seal_it_again,
    overwrite_record_with_same_bytes,
    delete_record,
    insert_record_into_digested_hour,
    edit_digest_entry_keeping_signature,
    edit_digest_time_keeping_signature,
    reformat_digest,
    overwrite_digest,
    truncate_digest,
    delete_digest,
    delete_quiet_hour_digest,
    delete_genesis,
    swap_two_digests,
    point_back_past_an_hour,
    start_a_second_chain,
    resign_last_digest_with_another_key,
    replace_signature_with_noise,
    claim_an_unpinned_key,
    rewrite_the_tail_to_hide_a_record,
]


# --- an untouched log ------------------------------------------------------------------------


def test_untouched_log_verifies_with_exact_counts() -> None:
    # Given four hours of digests (one of them quiet) and a record the next digest will cover
    # When the log is verified
    result = verify(LOG)
    # Then nothing is wrong, and every record and digest is accounted for
    assert result.problems == ()
    assert result.ok
    assert (result.verified_records, result.verified_digests) == (6, 4)
    assert (result.not_yet_digested, result.unverified_records) == (1, 0)
    assert result.digested_until == T0 + 4 * HOUR
    assert (result.start, result.end) == (T0, NOW)


def test_every_digest_built_matches_the_digest_schema() -> None:
    # Given the reference log / Then each digest passes the schema, under its period's key
    validator = validator_for("audit-digest.schema.json")
    for digest_name, stored in LOG.digests.items():
        content = json.loads(stored.data)
        assert list(validator.iter_errors(content)) == []
        assert digest_name == digest_key(datetime.fromisoformat(content["period"]["start"]))
        assert content["record_count"] == len(content["records"])


def test_digest_lists_each_record_with_its_hash_and_version_sorted_by_key() -> None:
    # Given the 10:00 digest
    content = LOG.content(1)
    # Then it lists that hour's three records, sorted, with their bytes' SHA-256 and version
    assert [entry["key"] for entry in content["records"]] == sorted(LOG.hours[1])
    for entry in content["records"]:
        record = LOG.records[entry["key"]]
        assert entry == {"key": record.key, "sha256": hashlib.sha256(record.data).hexdigest()}
    # And its segment is those records' bytes, in key order, compressed, pinned by its sha256
    stored = LOG.segments[segment(1)].data
    assert content["segment"] == {
        "key": "audit/segments/dt=2026-11-23/10.jsonl.gz",
        "sha256": hashlib.sha256(stored).hexdigest(),
        "bytes": len(stored),
    }
    assert gzip.decompress(stored) == b"".join(LOG.records[k].data for k in sorted(LOG.hours[1]))
    # And its Merkle root is over those 32-byte digests, and it names the 09:00 digest
    leaves = [bytes.fromhex(entry["sha256"]) for entry in content["records"]]
    assert content["merkle_root"] == merkle_root(leaves).hex()
    assert content["previous"] == {
        "key": "audit/digests/2026/11/23/09.json",
        "sha256": hashlib.sha256(LOG.digests[key(0)].data).hexdigest(),
    }
    assert content["period"] == {
        "start": "2026-11-23T10:00:00+00:00",
        "end": "2026-11-23T11:00:00+00:00",
    }


def test_signature_covers_the_canonical_digest_without_the_signature() -> None:
    # Given a digest / When its signature member is removed and the rest made canonical
    content = LOG.content(1)
    signature = base64.b64decode(content.pop("signature"))
    # Then the key signed exactly those bytes, and the stored bytes are canonical too
    assert signature == SIGNER.sign(canonical(content))
    assert content["signing"] == {"key_id": KEY_ID, "algorithm": HMAC}
    assert LOG.digests[key(1)].data == canonical(LOG.content(1))


# --- tampering ------------------------------------------------------------------------------


@pytest.mark.reliability
@pytest.mark.parametrize("tamper", TAMPERING, ids=lambda tamper: tamper.__name__)
def test_tampering_is_named_by_kind_and_key(tamper: Tamper) -> None:
    # Given the reference log, tampered with in one way
    log = LOG.copy()
    expected = tamper(log)
    # When it is verified
    result = verify(log)
    # Then exactly that tampering is reported, each problem naming its key in a sentence
    assert found(result) == expected, [p.message for p in result.problems]
    for problem in result.problems:
        assert problem.key in problem.message
    assert not result.ok
    assert len(result.problems) == len(expected)


@pytest.mark.reliability
def test_every_kind_of_tampering_is_exercised_and_found(figure: Callable[[str], None]) -> None:
    # Given the tampering cases / Then between them they expect every kind of problem
    kinds = {kind for tamper in TAMPERING for kind, _ in tamper(LOG.copy())}
    assert kinds == set(ProblemKind)
    # And verification finds exactly what each one did
    found_exactly = 0
    for tamper in TAMPERING:
        log = LOG.copy()
        expected = tamper(log)
        found_exactly += found(verify(log)) == expected
    assert found_exactly == len(TAMPERING)
    figure(
        f"{len(TAMPERING)} ways of tampering with records, segments, digests and signatures:"
        f" {found_exactly} of {len(TAMPERING)} found exactly, naming all {len(kinds)} problem kinds"
    )


EMPTY = b"{}\n"


def test_changed_record_message_gives_both_hashes() -> None:
    # Given a record changed both in its hour's segment and in its own copy
    log = LOG.copy()
    target = log.hours[0][0]
    lines = [log.records[k].data for k in sorted(log.hours[0])]
    lines[sorted(log.hours[0]).index(target)] = EMPTY
    resegment(log, 0, lines)
    log.records[target] = replace(log.records[target], data=EMPTY)
    # When the log is verified
    result = verify(log)
    # Then the segment is named, and the record, with which digest and the two hashes
    assert found(result) == {
        (ProblemKind.SEGMENT_CHANGED, segment(0)),
        (ProblemKind.RECORD_CHANGED, target),
    }
    changed = next(p for p in result.problems if p.kind is ProblemKind.RECORD_CHANGED)
    assert changed.message == (
        f"record {target} changed after digest audit/digests/2026/11/23/09.json: sha256 "
        f"{hashlib.sha256(EMPTY).hexdigest()} != "
        f"{hashlib.sha256(LOG.records[target].data).hexdigest()}"
    )
    # And the hour's other record is still verified from its own copy
    assert result.verified_records == 5


def test_one_overwritten_record_is_reported_alone() -> None:
    # Given one record of 10:00 overwritten and sealed again by the 12:00 digest
    log = LOG.copy()
    target = rewrite_record_and_seal_it_again(log)
    # When verified / Then only that record is reported; every other record still verifies
    result = verify(log)
    assert found(result) == target
    assert (result.verified_records, result.unverified_records) == (5, 0)
    assert result.verified_digests == 4


def test_deleted_record_keeps_its_sealed_copy() -> None:
    # Given a record deleted after its hour was sealed
    log = LOG.copy()
    delete_record(log)
    # When verified / Then it is reported deleted, naming the segment that still holds it
    (problem,) = verify(log).problems
    assert problem.kind is ProblemKind.RECORD_DELETED
    assert (
        "sealed copy remains in segment audit/segments/dt=2026-11-23/10.jsonl.gz" in problem.message
    )


def test_records_of_a_deleted_digest_are_unverified_not_inserted() -> None:
    # Given the 10:00 digest deleted
    log = LOG.copy()
    del log.digests[key(1)]
    # When verified
    result = verify(log)
    # Then its three records cannot be verified, but are not blamed
    assert found(result) == {(ProblemKind.DIGEST_DELETED, key(1))}
    assert (result.verified_records, result.unverified_records) == (3, 3)
    assert result.verified_digests == 3


def test_records_of_a_changed_digest_are_unverified() -> None:
    # Given the 10:00 digest edited
    log = LOG.copy()
    edit_digest_entry_keeping_signature(log)
    # When verified / Then its records are not checked against the untrusted list
    result = verify(log)
    assert (result.verified_records, result.unverified_records) == (3, 3)
    (problem,) = result.problems
    assert "merkle root" in problem.message
    assert "recorded by the next digest, audit/digests/2026/11/23/11.json" in problem.message


def test_record_inserted_before_the_first_digest_is_reported() -> None:
    # Given a record dated 08:30, before the genesis digest of 09:00
    log = LOG.copy()
    early = make_record(T0 - timedelta(minutes=30), "backdated")
    log.records[early.key] = early
    # When the whole day is verified
    result = verify(log, start=T0.replace(hour=0))
    # Then it is an insertion, and the hours before the genesis are not missing digests
    assert found(result) == {(ProblemKind.RECORD_INSERTED, early.key)}
    assert "before the first digest audit/digests/2026/11/23/09.json" in result.problems[0].message


# --- the chain: genesis, quiet hours, windows -----------------------------------------------


def test_genesis_names_no_previous_digest_and_later_digests_each_name_one() -> None:
    # Given the reference log / Then only its first digest has no predecessor
    assert LOG.content(0)["previous"] is None
    for hour in range(1, len(COUNTS)):
        assert LOG.content(hour)["previous"]["key"] == key(hour - 1)


def test_quiet_hours_get_empty_digests_that_verify() -> None:
    # Given three hours without a single decision
    log = build_log([0, 0, 0], pending=0)
    # Then each has a digest of no records whose root is the empty tree's
    for hour in range(3):
        content = log.content(hour)
        assert (content["record_count"], content["records"]) == (0, [])
        assert content["merkle_root"] == hashlib.sha256(b"").hexdigest()
    # And the chain verifies
    result = verify(log)
    assert result.ok
    assert (result.verified_digests, result.verified_records, result.not_yet_digested) == (3, 0, 0)


def test_window_starting_after_the_genesis_checks_only_its_hours() -> None:
    # Given the log verified from 10:00, with and without the 09:00 digest as anchor
    with_anchor = verify(LOG, start=T0 + HOUR)
    log = LOG.copy()
    del log.digests[key(0)]
    without_anchor = verify(log, start=T0 + HOUR)
    # Then both verify the three digests and four records of the window
    for result in (with_anchor, without_anchor):
        assert result.ok, result.problems
        assert (result.verified_digests, result.verified_records) == (3, 4)


def test_window_bounds_are_widened_to_whole_hours() -> None:
    # Given a window from 09:30 to 13:59 / When verified / Then it covers 09:00 to 14:00
    result = verify(LOG, start=T0 + timedelta(minutes=30), end=NOW - timedelta(minutes=1))
    assert (result.start, result.end) == (T0, NOW)


def test_record_written_after_its_hour_was_sealed_is_an_insertion() -> None:
    # Given a decision of 10:50 whose record appears after 10:00 was sealed, listed by no digest
    log = LOG.copy()
    late = make_record(T0 + timedelta(hours=1, minutes=50), "retried")
    log.records[late.key] = late
    # When verified / Then it is an insertion into a sealed hour, however late it was written
    result = verify(log)
    assert found(result) == {(ProblemKind.RECORD_INSERTED, late.key)}
    assert "an hour already sealed" in result.problems[0].message
    assert result.verified_records == 6


def test_deleted_newest_digest_needs_an_expected_schedule_to_be_seen() -> None:
    # Given the 12:00 digest deleted
    log = LOG.copy()
    del log.digests[key(3)]
    # When verified without saying when digests are due
    unaware = verify(log)
    # Then its record looks not yet digested, as if the job had not run
    assert unaware.ok
    assert unaware.not_yet_digested == 2
    # But when every hour ended by 13:10 must have a digest, the gap is reported
    aware = verify(log, expect_digests_until=T0 + timedelta(hours=4, minutes=10))
    assert found(aware) == {(ProblemKind.DIGEST_DELETED, key(3))}
    assert "or the digest job has not run" in aware.problems[0].message
    assert (aware.unverified_records, aware.not_yet_digested) == (1, 1)


# --- building digests -----------------------------------------------------------------------


def test_building_is_deterministic() -> None:
    # Given the same records, times and key / When built again / Then the bytes are the same
    assert build_log(COUNTS).digests == LOG.digests


@pytest.mark.parametrize(
    ("period_start", "previous", "created_at", "message"),
    [
        (T0 + timedelta(minutes=1), None, NOW, "not the start of an hour"),
        (T0, None, T0 + timedelta(minutes=59), "cannot be made before it ends"),
        (T0 + HOUR, DigestRef(key(-1), "0" * 64), NOW, "must follow"),
        (T0, None, datetime(2026, 11, 23, 12), "no time zone"),
    ],
    ids=["unaligned", "premature", "not-after-previous", "naive-time"],
)
def test_build_digest_refuses_what_would_break_the_chain(
    period_start: datetime, previous: DigestRef | None, created_at: datetime, message: str
) -> None:
    # Given a digest that would leave a hole, overlap or a premature hour / Then none is built
    with pytest.raises(ValueError, match=message):
        build_digest(period_start, [], previous, created_at, SIGNER)


def test_build_digest_refuses_a_record_listed_twice() -> None:
    # Given one record twice / When a digest is built / Then it is refused
    ref = RecordRef("audit/decisions/dt=2026-11-23/menafn/x.json", "a" * 64, None)
    with pytest.raises(ValueError, match="listed twice"):
        build_digest(T0, [ref, ref], None, NOW, SIGNER)


def test_digest_key_is_the_period_start() -> None:
    # Given the hour 09:00 / Then its digest key names it, and only real hours parse back
    assert digest_key(T0) == "audit/digests/2026/11/23/09.json"
    assert period_of_key("audit/digests/2026/11/23/09.json") == T0
    assert period_of_key("audit/digests/2026/13/23/09.json") is None
    assert period_of_key("audit/decisions/dt=2026-11-23/x.json") is None


@pytest.mark.parametrize(
    ("now", "hours"),
    [
        (T0 + timedelta(hours=3, minutes=30), [9, 10, 11]),
        (T0 + timedelta(hours=3), [9, 10, 11]),
        (T0 + timedelta(minutes=59), []),
        (T0 - HOUR, []),
    ],
)
def test_periods_between_are_the_complete_hours_since_the_last_digest(
    now: datetime, hours: list[int]
) -> None:
    # Given the last digest ended at 09:00 / When the job runs at `now`
    # Then it digests every complete hour, and never the current one
    periods = periods_between(T0, now)
    assert [p.start.hour for p in periods] == hours
    assert all(p == Period(p.start) and p.end == p.start + HOUR for p in periods)


# --- real signatures ------------------------------------------------------------------------


def test_ecdsa_p256_signatures_as_kms_makes_them() -> None:
    ec = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.ec")
    hashes = pytest.importorskip("cryptography.hazmat.primitives.hashes")
    utils = pytest.importorskip("cryptography.hazmat.primitives.asymmetric.utils")
    exceptions = pytest.importorskip("cryptography.exceptions")
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key()

    @dataclass(frozen=True)
    class KmsLikeSigner:
        """Signs the SHA-256 of the message, as KMS Sign does with MessageType DIGEST."""

        key_id: str = KEY_ID
        algorithm: str = "ECDSA_SHA_256"

        def sign(self, message: bytes) -> bytes:
            digest = hashlib.sha256(message).digest()
            signature: bytes = private.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
            return signature

    class EcdsaVerifier:
        def verify(self, message: bytes, signature: bytes, key_id: str, algorithm: str) -> bool:
            if (key_id, algorithm) != (KEY_ID, "ECDSA_SHA_256"):
                return False
            try:
                public.verify(signature, message, ec.ECDSA(hashes.SHA256()))
            except exceptions.InvalidSignature:
                return False
            return True

    # Given a log signed with an ECC_NIST_P256 key over digests of the canonical bytes
    signer = KmsLikeSigner()
    log = Log()
    previous = None
    for i in range(3):
        hour = T0 + i * HOUR
        name, data = build_digest(hour, [], previous, hour + HOUR, signer)
        log.digests[name] = StoredDigest(name, data)
        previous = DigestRef.of(name, data)

    def check(target: Log) -> Verification:
        digests = list(target.digests.values())
        return verify_log(Evidence(digests), EcdsaVerifier(), start=T0, end=NOW)

    # Then a verifier of the raw message accepts them
    assert check(log).ok
    # And a digest re-signed with another P-256 key is a forgery
    content = json.loads(log.digests[key(2)].data)
    other = ec.generate_private_key(ec.SECP256R1())
    content["signature"] = base64.b64encode(
        other.sign(
            canonical({k: v for k, v in content.items() if k != "signature"}),
            ec.ECDSA(hashes.SHA256()),
        )
    ).decode()
    log.digests[key(2)] = StoredDigest(key(2), canonical(content))
    assert found(check(log)) == {(ProblemKind.SIGNATURE_FORGED, key(2))}


# --- any single change is seen --------------------------------------------------------------

DIGESTED = sorted(LOG.digests) + sorted(LOG.segments)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_changed_byte_in_the_digested_log_is_a_problem(data: st.DataObject) -> None:
    # Given any one byte of any digest or digested record, changed to another value
    name = data.draw(st.sampled_from(DIGESTED), label="object")
    log = LOG.copy()
    store = log.digests if name in log.digests else log.segments
    original = store[name].data
    at = data.draw(st.integers(0, len(original) - 1), label="at")
    value = data.draw(st.integers(0, 255).filter(lambda b: b != original[at]), label="byte")
    store[name] = replace(store[name], data=original[:at] + bytes([value]) + original[at + 1 :])
    # When verified / Then something is reported, and about that object
    result = verify(log)
    assert not result.ok
    assert name in {problem.key for problem in result.problems}
