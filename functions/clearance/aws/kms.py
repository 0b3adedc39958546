"""Digest signatures with an AWS KMS asymmetric key (ECC_NIST_P256, ECDSA_SHA_256).

KMS signs at most 4096 bytes as RAW, and a busy hour's digest is larger, so the message's SHA-256
is sent as a DIGEST: the signature is the same ECDSA_SHA_256 signature over the raw message.
The private key never leaves KMS.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

ALGORITHM: Final = "ECDSA_SHA_256"


class KmsSigner:
    def __init__(self, client: KMSClient, key_id: str) -> None:
        self.client = client
        self._key_id = key_id

    @property
    def key_id(self) -> str:
        return self._key_id

    @property
    def algorithm(self) -> str:
        return ALGORITHM

    def sign(self, message: bytes) -> bytes:
        response = self.client.sign(
            KeyId=self._key_id,
            Message=hashlib.sha256(message).digest(),
            MessageType="DIGEST",
            SigningAlgorithm=ALGORITHM,
        )
        return response["Signature"]


def public_key_der(client: KMSClient, key_id: str) -> bytes:
    """The signing key's public part (DER SubjectPublicKeyInfo), to check digests offline."""
    return client.get_public_key(KeyId=key_id)["PublicKey"]
