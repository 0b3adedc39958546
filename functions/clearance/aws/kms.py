"""Digest signatures with an AWS KMS asymmetric key (ECC_NIST_P256, ECDSA_SHA_256).

KMS signs at most 4096 bytes as RAW, and a busy hour's digest is larger, so the message's SHA-256
is sent as a DIGEST: the signature is the same ECDSA_SHA_256 signature over the raw message.
The private key never leaves KMS.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from typing import TYPE_CHECKING, Final

from botocore.exceptions import ClientError

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


class KmsVerifier:
    """Trusts only the signing keys it is given: a digest naming any other key is not ours."""

    def __init__(self, client: KMSClient, trusted_keys: Collection[str]) -> None:
        self.client = client
        self.trusted_keys = frozenset(trusted_keys)

    def verify(self, message: bytes, signature: bytes, key_id: str, algorithm: str) -> bool:
        if key_id not in self.trusted_keys or algorithm != ALGORITHM:
            return False
        try:
            response = self.client.verify(
                KeyId=key_id,
                Message=hashlib.sha256(message).digest(),
                MessageType="DIGEST",
                Signature=signature,
                SigningAlgorithm=ALGORITHM,
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "KMSInvalidSignatureException":
                return False
            raise
        return bool(response["SignatureValid"])


def public_key_der(client: KMSClient, key_id: str) -> bytes:
    """The signing key's public part (DER SubjectPublicKeyInfo), to check digests offline."""
    return client.get_public_key(KeyId=key_id)["PublicKey"]
