"""Digest signatures checked with the signing key's public part, offline.

AWS KMS `Sign` with ECDSA_SHA_256 and MessageType DIGEST (the message's SHA-256) gives the same
signature as signing the message itself, so a standard ECDSA P-256 / SHA-256 check over the
canonical digest bytes verifies it; the local stack's signer produces the same (`local.signing`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x448, x25519

ALGORITHM = "ECDSA_SHA_256"
_FINGERPRINT = re.compile(r"^(?:sha-?256:)?((?:[0-9a-f]{2}:?){31}[0-9a-f]{2})$")
_KEY_TYPES: tuple[tuple[type, str], ...] = (
    (rsa.RSAPublicKey, "an RSA key"),
    (ed25519.Ed25519PublicKey, "an Ed25519 key"),
    (ed448.Ed448PublicKey, "an Ed448 key"),
    (x25519.X25519PublicKey, "an X25519 key"),
    (x448.X448PublicKey, "an X448 key"),
)


class UnreadableKey(ValueError):
    """A public key that cannot be used to check digests: not PEM, or not an ECC_NIST_P256 key.

    Its message is one sentence that says what the key is instead.
    """


@dataclass(frozen=True, slots=True)
class PublicKeyVerifier:
    """Trusts one public key, under the key ids it is known by (a KMS key id, ARN or alias)."""

    public_key: ec.EllipticCurvePublicKey
    key_ids: frozenset[str]

    @classmethod
    def from_pem(cls, pem: object, key_ids: frozenset[str] | None = None) -> PublicKeyVerifier:
        """Raises `UnreadableKey` (a ValueError) for anything but a P-256 public key in PEM."""
        if pem is None:
            raise UnreadableKey("there is none")
        if not isinstance(pem, str | bytes):
            raise UnreadableKey(f"it is a {type(pem).__name__}, not PEM text")
        try:
            key = serialization.load_pem_public_key(_bytes(pem))
        except (ValueError, TypeError, UnsupportedAlgorithm, UnicodeError) as error:
            raise UnreadableKey(_unreadable(error, "PEM")) from None
        return cls.load(key, key_ids)

    @classmethod
    def from_der(cls, der: bytes, key_ids: frozenset[str] | None = None) -> PublicKeyVerifier:
        try:
            key = serialization.load_der_public_key(der)
        except (ValueError, TypeError, UnsupportedAlgorithm) as error:
            raise UnreadableKey(_unreadable(error, "DER")) from None
        return cls.load(key, key_ids)

    @classmethod
    def load(cls, key: object, key_ids: frozenset[str] | None) -> PublicKeyVerifier:
        if not isinstance(key, ec.EllipticCurvePublicKey):
            kind = next((name for t, name in _KEY_TYPES if isinstance(key, t)), "another kind")
            raise UnreadableKey(f"it is {kind}, not an ECC_NIST_P256 (P-256) public key")
        if key.curve.name != "secp256r1":
            raise UnreadableKey(
                f"it is an EC key on {key.curve.name}, not an ECC_NIST_P256 (P-256) public key"
            )
        return cls(key, key_ids or frozenset({fingerprint(key)}))

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

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
    """SHA-256 of the key's DER SubjectPublicKeyInfo, the name a key is known by offline.

    The same as `openssl pkey -pubin -in digest-key.pem -outform DER | sha256sum`.
    """
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "sha256:" + hashlib.sha256(der).hexdigest()


def parse_fingerprint(text: str) -> str:
    """A fingerprint as a licensor may be given it (`sha256:` and colons optional, any case),
    in the form `fingerprint` prints; ValueError for anything else."""
    found = _FINGERPRINT.match(text.strip().lower())
    if found is None:
        raise ValueError(
            f"{text.strip()[:80]!r} is not a SHA-256 key fingerprint (64 hex digits, "
            "optionally after 'sha256:')"
        )
    return "sha256:" + found.group(1).replace(":", "")


def _unreadable(error: Exception, form: str) -> str:
    if isinstance(error, UnsupportedAlgorithm):
        return f"it is a {form} key of an algorithm or curve that is not supported, not P-256"
    return f"it is not a {form} public key (corrupted, truncated, or another kind of file)"


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value
