"""Digest signatures checked with the signing key's public part, offline.

AWS KMS `Sign` with ECDSA_SHA_256 and MessageType DIGEST (the message's SHA-256) gives the same
signature as signing the message itself, so a standard ECDSA P-256 / SHA-256 check over the
canonical digest bytes verifies it; the local stack's signer produces the same (`local.signing`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

ALGORITHM = "ECDSA_SHA_256"


@dataclass(frozen=True, slots=True)
class PublicKeyVerifier:
    """Trusts one public key, under the key ids it is known by (a KMS key id, ARN or alias)."""

    public_key: ec.EllipticCurvePublicKey
    key_ids: frozenset[str]

    @classmethod
    def from_pem(cls, pem: str | bytes, key_ids: frozenset[str] | None = None) -> PublicKeyVerifier:
        return cls.load(serialization.load_pem_public_key(_bytes(pem)), key_ids)

    @classmethod
    def from_der(cls, der: bytes, key_ids: frozenset[str] | None = None) -> PublicKeyVerifier:
        return cls.load(serialization.load_der_public_key(der), key_ids)

    @classmethod
    def load(cls, key: object, key_ids: frozenset[str] | None) -> PublicKeyVerifier:
        if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
            raise ValueError("the digest key must be an ECC_NIST_P256 public key")
        return cls(key, key_ids or frozenset({fingerprint(key)}))

    @property
    def key_id(self) -> str:
        return min(self.key_ids)

    @property
    def pem(self) -> str:
        return pem_of(self.public_key)

    def verify(self, message: bytes, signature: bytes, key_id: str, algorithm: str) -> bool:
        """Any key id is accepted when only the public key is pinned (a proof's own key id)."""
        if algorithm != ALGORITHM:
            return False
        try:
            self.public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            return False
        return True


def pem_of(key: ec.EllipticCurvePublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def fingerprint(key: ec.EllipticCurvePublicKey) -> str:
    """SHA-256 of the key's DER SubjectPublicKeyInfo, the name a key is known by offline."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value
