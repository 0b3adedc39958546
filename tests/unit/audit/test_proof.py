"""Proof files: a decision, its inclusion proof, the signed digest and chain, checked offline."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, utils

from clearance.audit.digest import HOUR, DigestRef, RecordRef, build_digest
from clearance.audit.proof import ProofError, build_proof, check_proof
from clearance.audit.segment import build_segment
from clearance.audit.signature import UnreadableKey, fingerprint, parse_fingerprint, pem_of
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


def pem_of_any(key: Any) -> str:
    """Any public key as PEM, whatever its algorithm."""
    data: bytes = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return data.decode()


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


# --- pinning: a proof holds only against the key the licensor was given ----------------------

ATTACKER = ec.generate_private_key(ec.SECP256R1())
ATTACKER_PEM = pem_of(ATTACKER.public_key())
PUBLISHER = fingerprint(PRIVATE.public_key())


@dataclass(frozen=True)
class AttackerSigner:
    """Someone else's P-256 key, claiming the publisher's KMS key id."""

    key_id: str = KmsLikeSigner.key_id
    algorithm: str = "ECDSA_SHA_256"

    def sign(self, message: bytes) -> bytes:
        signature: bytes = ATTACKER.sign(message, ec.ECDSA(hashes.SHA256()))
        return signature


def forged_proof() -> dict[str, Any]:
    """A proof that article a3 was rejected, made from scratch and signed with the attacker's
    key, which the file carries as its own."""
    records = [record(n, T0) for n in range(5)]
    body = json.loads(records[3][1])
    body["outcome"] = "rejected"
    records[3] = (record_key(body), json_line(body))
    segment = build_segment(T0, records)
    refs = [RecordRef.of(key, data) for key, data in records]
    first, data = build_digest(T0, refs, None, T0 + 2 * HOUR, AttackerSigner(), segment=segment.ref)
    second, following = build_digest(
        T0 + HOUR, [], DigestRef.of(first, data), T0 + 2 * HOUR, AttackerSigner()
    )
    digests = {first: data, second: following}
    return build_proof("a3", [records[3]], digests, ATTACKER_PEM, AttackerSigner().key_id)


def corrupt_curve(pem: str) -> str:
    """The key's curve OID changed by one byte: a curve no library supports."""
    der = bytearray(base64.b64decode("".join(pem.splitlines()[1:-1])))
    der[22] ^= 0x0F
    body = base64.b64encode(bytes(der)).decode()
    return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"


def test_a_genuine_proof_checked_against_its_own_key_is_not_shown_to_hold() -> None:
    # Given a genuine proof / When checked with no key pinned
    result = check_proof(proof())
    # Then every claim is checked and none fails, but it does not hold: nothing pins the key
    assert result.failures == ()
    assert any("included at leaf 3 of 5" in line for line in result.checked)
    assert result.checked[0] == f"public key: the one in the proof, fingerprint {PUBLISHER}"
    assert (result.pinned, result.ok) == (False, False)


def test_a_proof_holds_against_the_fingerprint_the_licensor_was_given() -> None:
    # Given the publisher's key fingerprint / When a genuine proof is checked against it
    result = check_proof(proof(), fingerprint=PUBLISHER)
    # Then it holds, and says the key in the file is the one pinned
    assert result.ok, result.failures
    assert (
        result.checked[0] == f"public key: the one in the proof, fingerprint {PUBLISHER}, as pinned"
    )


def test_a_forged_proof_holds_only_against_the_forgers_own_key() -> None:
    # Given a proof made from scratch with an attacker's key, carried in the file
    forged = forged_proof()
    # When checked without a pinned key / Then its claims check, but it is not shown to hold
    unpinned = check_proof(forged)
    assert (unpinned.failures, unpinned.ok) == ((), False)
    # When checked against the publisher's fingerprint / Then both fingerprints are named
    by_fingerprint = check_proof(forged, fingerprint=PUBLISHER)
    assert not by_fingerprint.ok
    assert by_fingerprint.failures == (
        f"public key: the key in the proof has fingerprint {fingerprint(ATTACKER.public_key())}, "
        f"not the pinned {PUBLISHER}: these digests were not signed by the key you were given",
    )
    # When checked against the publisher's key / Then no digest's signature verifies
    by_key = check_proof(forged, PEM)
    assert not by_key.ok
    assert "signature does not verify under the public key" in by_key.failures[0]


@pytest.mark.parametrize(
    ("key", "named"),
    [
        (corrupt_curve(PEM), "an algorithm or curve that is not supported"),
        (PEM[:90], "it is not a PEM public key"),
        (
            pem_of_any(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()),
            "it is an RSA key, not an ECC_NIST_P256 (P-256) public key",
        ),
        (
            pem_of_any(ec.generate_private_key(ec.SECP384R1()).public_key()),
            "it is an EC key on secp384r1, not an ECC_NIST_P256 (P-256) public key",
        ),
        (
            pem_of_any(ed25519.Ed25519PrivateKey.generate().public_key()),
            "it is an Ed25519 key",
        ),
        (None, "there is none"),
        (42, "it is a int, not PEM text"),
    ],
    ids=["curve-corrupted", "truncated", "rsa", "p384", "ed25519", "missing", "a-number"],
)
def test_an_unusable_key_in_a_proof_is_named_in_one_sentence(key: Any, named: str) -> None:
    # Given a proof whose embedded key is corrupted, of another type, or absent
    made = proof()
    made["signing"]["public_key"] = key
    # When it is checked / Then the one error names the key's place in the file and what it is
    with pytest.raises(UnreadableKey) as raised:
        check_proof(made, fingerprint=PUBLISHER)
    message = str(raised.value)
    assert message.startswith("the public key in the proof (signing.public_key) cannot be used: ")
    assert named in message
    assert "\n" not in message


def test_fingerprint_is_the_sha256_of_the_der_key_in_any_written_form() -> None:
    # Given the publisher's key / Then its fingerprint is the SHA-256 of its DER form
    der = PRIVATE.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert "sha256:" + hashlib.sha256(der).hexdigest() == PUBLISHER
    # And it is read back however a licensor was given it
    bare = PUBLISHER.removeprefix("sha256:")
    colons = ":".join(bare[i : i + 2] for i in range(0, 64, 2)).upper()
    for written in (PUBLISHER, bare, f"SHA256:{colons}", f"  {bare.upper()}  "):
        assert parse_fingerprint(written) == PUBLISHER
    for wrong in ("sha256:xyz", bare[:-2], "md5:" + bare, ""):
        with pytest.raises(ValueError, match="is not a SHA-256 key fingerprint"):
            parse_fingerprint(wrong)


HOSTILE: list[Any] = [
    None,
    True,
    0,
    -1,
    2**64,
    1e308,
    "",
    "x" * 300,
    "00" * 32,
    [],
    [None],
    {},
    {"key": 1},
    [[[[[[[[]]]]]]]],
    "[" * 50_000 + "]" * 50_000,
    '{"signature": NaN}',
]


INERT = {("how_to_check",), ("signing", "key_id"), ("signing", "algorithm")}
"""Members a checker reads nothing from: the instructions and the key's name and algorithm."""
KEY_IN_FILE = {("signing",), ("signing", "public_key")}


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for name, inner in value.items():
            found += _paths(inner, (*path, name))
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            found += _paths(inner, (*path, i))
    return found


def _replaced(path: tuple[Any, ...], value: Any) -> Any:
    made: Any = proof()
    if not path:
        return value
    parent = made
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return made


def _outcome(made: Any, pinned: dict[str, str]) -> str:
    try:
        result = check_proof(made, **pinned)
    except UnreadableKey as error:
        return "key" if str(error).startswith("the p") and "public key" in str(error) else "?"
    return "holds" if result.ok else "fails"


@pytest.mark.reliability
def test_no_shape_of_proof_raises_anything_but_a_named_key_error(
    figure: Callable[[str], None],
) -> None:
    # Given a genuine proof with each of its members in turn replaced by each hostile JSON value
    paths = _paths(proof())
    seen: dict[str, int] = {}
    for path in paths:
        for value in HOSTILE:
            made = _replaced(path, value)
            # When it is checked unpinned, by fingerprint and by key
            for pinned in ({}, {"fingerprint": PUBLISHER}, {"public_key_pem": PEM}):
                outcome = _outcome(made, pinned)
                seen[outcome] = seen.get(outcome, 0) + 1
                # Then it fails, or names the unusable key; it holds only when what changed is
                # not evidence, and it never raises anything else
                inert = path in INERT or (path in KEY_IN_FILE and "public_key_pem" in pinned)
                assert outcome in ("fails", "key", *(("holds",) if inert else ())), (
                    path,
                    value,
                    pinned,
                )
    total = sum(seen.values())
    figure(
        f"{total} checks of {len(paths) * len(HOSTILE)} proofs with one member replaced by a "
        f"hostile JSON value: {seen.get('fails', 0)} fail naming why, {seen.get('key', 0)} name "
        f"the unusable key in one sentence, {seen.get('holds', 0)} hold (each with only a member "
        "no check reads changed: the instructions, the key's name, or the file's key when a key "
        "is pinned), 0 other exceptions"
    )
