"""The local stack's digest signing identity: one P-256 key per `--data` directory, kept.

moto plays KMS with a new key on every start, and hashes a `MessageType=DIGEST` message again
before signing it. Either would make earlier digests read as forged after a restart, and local
proofs uncheckable with the public key. So the key's private part is saved once in the data
directory (mode 0600) and put back into moto's key on every start, under the same key id; and
moto's ECDSA keys sign a 32-byte message as the SHA-256 digest it is, as KMS does.

The saved state names the key's fingerprint (`check_signing_key`): a key file replaced or lost
is refused at the next start, so nobody re-signs the digest chain with a key of their own and
has it verify as the original.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from clearance.audit.signature import fingerprint
from clearance.local.journal import sync_directory
from clearance.local.resources import Names, create_signing_key

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

KEY_FILE = "digest-signing-key.json"
_PATCHED = "_clearance_digest"
_DIGEST_BYTES = 32


class SigningKeyError(Exception):
    """A saved signing key that cannot be read back; the message is one line."""


def make_kms_sign_digests() -> None:
    """Idempotent: moto's ECDSA keys treat a 32-byte message as a SHA-256 digest (DIGEST)."""
    from moto.kms.utils import ECDSAPrivateKey  # noqa: PLC0415 - moto only where it runs

    for name, replacement in (("sign", _sign), ("verify", _verify)):
        method = getattr(ECDSAPrivateKey, name)
        if not getattr(method, _PATCHED, False):
            setattr(ECDSAPrivateKey, name, _marked(method, replacement))


def _marked(original: Callable[..., Any], replacement: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def patched(self: Any, message: bytes, *args: Any) -> Any:
        if len(message) != _DIGEST_BYTES:
            return original(self, message, *args)
        return replacement(self, message, *args)

    setattr(patched, _PATCHED, True)
    return patched


def _sign(self: Any, message: bytes, signing_algorithm: str) -> bytes:
    signature: bytes = self.private_key.sign(message, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    return signature


def _verify(self: Any, message: bytes, signature: bytes, signing_algorithm: str) -> bool:
    try:
        self.private_key.public_key().verify(
            signature, message, ec.ECDSA(utils.Prehashed(hashes.SHA256()))
        )
    except InvalidSignature:
        return False
    return True


def check_signing_key(directory: Path, pinned: str | None) -> None:
    """Before anything starts: the key file is the one the saved digests were signed with."""
    path = directory / KEY_FILE
    if pinned is None:
        return
    if not path.exists():
        raise SigningKeyError(
            f"the digest signing key {path} is missing; this state's digests were signed with"
            f" {pinned}: put that key back, or start from a new --data directory"
        )
    found = fingerprint(_load(path)[1].public_key())
    if found != pinned:
        raise SigningKeyError(
            f"{path} is not the key this state's digests were signed with ({found}, not"
            f" {pinned}): put the original back, or start from a new --data directory"
        )


def install_signing_key(kms: KMSClient, names: Names, directory: Path | None) -> tuple[str, str]:
    """The digest key in the local KMS: the one saved in `directory`, or a new one saved there.

    Returns the key id, the same on every start with the same directory, and its fingerprint.
    """
    from moto.kms.models import kms_backends  # noqa: PLC0415 - moto only where it runs

    make_kms_sign_digests()
    created = create_signing_key(kms)
    backend = kms_backends[names.account][names.region]
    key: Any = backend.keys[created]
    path = directory / KEY_FILE if directory is not None else None
    if path is None or not path.exists():
        if path is not None:
            _save(path, created, key.private_key.private_key)
        return created, fingerprint(key.private_key.private_key.public_key())
    key_id, private = _load(path)
    key.private_key.private_key = private
    if key_id != created:
        del backend.keys[created]
        key.id = key_id
        key.arn = key.arn.replace(created, key_id)
        backend.keys[key_id] = key
    return key_id, fingerprint(private.public_key())


def _save(path: Path, key_id: str, private: ec.EllipticCurvePrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    written = path.with_name(f".{path.name}.tmp")
    with written.open("w", encoding="utf-8") as file:
        written.chmod(0o600)
        file.write(json.dumps({"key_id": key_id, "private_key": pem}, indent=1))
        file.flush()
        os.fsync(file.fileno())
    written.replace(path)
    sync_directory(path.parent)


def _load(path: Path) -> tuple[str, ec.EllipticCurvePrivateKey]:
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        private = serialization.load_pem_private_key(saved["private_key"].encode(), None)
        key_id = str(saved["key_id"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise SigningKeyError(f"cannot read the digest signing key in {path}: {error}") from None
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise SigningKeyError(f"{path} does not hold an ECC_NIST_P256 key")
    return key_id, private
