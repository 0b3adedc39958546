"""Proof files: a decision, its inclusion proof, the signed digest and chain, checked offline."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, utils

from clearance.audit.digest import HOUR, DigestRef, RecordRef, build_digest
from clearance.audit.proof import ProofError, build_proof, check_proof
from clearance.audit.segment import build_segment
from clearance.audit.signature import pem_of
from clearance.contracts.encoding import json_line
from clearance.contracts.keys import record_key

T0 = datetime(2026, 11, 23, 9, tzinfo=UTC)
PRIVATE = ec.generate_private_key(ec.SECP256R1())
PEM = pem_of(PRIVATE.public_key())


@dataclass(frozen=True)
class KmsLikeSigner:
    """Signs the message's SHA-256 as a digest, as KMS Sign does with MessageType DIGEST."""

    key_id: str = "arn:aws:kms:eu-west-1:123456789012:key/digest"
    algorithm: str = "ECDSA_SHA_256"

    def sign(self, message: bytes) -> bytes:
        digest = hashlib.sha256(message).digest()
        signature: bytes = PRIVATE.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        return signature


def record(n: int, hour: datetime) -> tuple[str, bytes]:
    body = {
        "decision_id": f"{n:064d}-none",
        "decided_at": (hour + timedelta(minutes=n)).isoformat(),
        "provider": "menafn",
        "outcome": "cleared",
        "article": {"id": f"a{n}"},
        "findings": [],
    }
    return record_key(body), json_line(body)


def sealed_log() -> tuple[list[tuple[str, bytes]], dict[str, bytes]]:
    """Two sealed hours: five records at 09:00, a quiet 10:00 that names it."""
    records = [record(n, T0) for n in range(5)]
    segment = build_segment(T0, records)
    refs = [RecordRef.of(key, data) for key, data in records]
    first, data = build_digest(T0, refs, None, T0 + 2 * HOUR, KmsLikeSigner(), segment=segment.ref)
    second, following = build_digest(
        T0 + HOUR, [], DigestRef.of(first, data), T0 + 2 * HOUR, KmsLikeSigner()
    )
    return records, {first: data, second: following}


def proof() -> dict[str, Any]:
    records, digests = sealed_log()
    return build_proof("a3", [records[3]], digests, PEM, KmsLikeSigner().key_id)


def test_a_proof_holds_checked_against_the_pinned_key() -> None:
    # Given a proof of one record / When checked against the licensor's copy of the key
    result = check_proof(proof(), PEM)
    # Then it holds: both digests signed, the chain linked, the record included at its leaf
    assert result.ok, result.failures
    assert "record audit/decisions/dt=2026-11-23/menafn/cleared/" in result.checked[-1]
    assert "included at leaf 3 of 5" in result.checked[-1]
    assert any(
        line.startswith("chain: digest audit/digests/2026/11/23/10.json") for line in result.checked
    )


def tampered(change: Any) -> list[str]:
    made = copy.deepcopy(proof())
    change(made)
    return list(check_proof(made, PEM).failures)


@pytest.mark.reliability
@pytest.mark.parametrize(
    ("change", "named"),
    [
        (
            lambda p: p["records"][0].update(record=p["records"][0]["record"].replace("a3", "a9")),
            "the record was changed",
        ),
        (
            lambda p: p["records"][0].update(
                inclusion=list(reversed(p["records"][0]["inclusion"]))
            ),
            "inclusion proof does not lead to the root",
        ),
        (
            lambda p: p["digests"].update(
                {
                    k: v.replace('"record_count":5', '"record_count":4')
                    for k, v in p["digests"].items()
                }
            ),
            "signature does not verify",
        ),
        (lambda p: p["records"][0].update(leaf_index=2), "does not list it at leaf 2"),
    ],
    ids=["record-edited", "path-reordered", "digest-edited", "wrong-leaf"],
)
def test_a_tampered_proof_fails_naming_what(change: Any, named: str) -> None:
    failures = tampered(change)
    assert failures
    assert any(named in failure for failure in failures), failures


def test_a_proof_signed_by_another_key_fails_against_the_pinned_key() -> None:
    other = pem_of(ec.generate_private_key(ec.SECP256R1()).public_key())
    result = check_proof(proof(), other)
    assert not result.ok
    assert all("signature does not verify" in f or "failed its check" in f for f in result.failures)


def test_a_record_of_an_open_hour_cannot_be_proved_yet() -> None:
    records, digests = sealed_log()
    late = record(1, T0 + 3 * HOUR)
    with pytest.raises(ProofError, match="not yet sealed"):
        build_proof("a1", [late], digests, PEM, "key")
    assert records
