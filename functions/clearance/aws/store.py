"""S3 objects with exactly-once writes: a key is written once, a second write is a no-op.

Keys are derived from content, so a redelivered event computes the same key and bytes; the
conditional put (`If-None-Match: *`) turns the duplicate into a 412 that we treat as done.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


READERS = 16
CHUNK_BYTES = 1024 * 1024
NULL_VERSION = "null"
"""S3's version id of an object written where versioning was never enabled."""
DELETE_BATCH = 1000
"""The most keys one DeleteObjects request takes."""


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    data: bytes
    content_type: str | None
    version_id: str | None


@dataclass(frozen=True, slots=True)
class Oversized:
    """An object larger than the reader takes: its size and SHA-256 (when S3 holds a
    whole-object checksum), its bytes never read."""

    size: int
    sha256: str | None


class Bucket:
    """One S3 bucket, with the few operations the service needs."""

    def __init__(self, client: S3Client, name: str) -> None:
        self.client = client
        self.name = name

    def put_once(self, key: str, data: bytes, content_type: str) -> str | None:
        """Write unless the key exists: the version this call wrote (S3's "null" in a bucket
        without versioning), None when the key was there.

        The checksum is what Object Lock buckets require on every put, and S3 verifies it.
        """
        try:
            written = self.client.put_object(
                Bucket=self.name,
                Key=key,
                Body=data,
                ContentType=content_type,
                IfNoneMatch="*",
                ChecksumAlgorithm="SHA256",
            )
        except ClientError as error:
            if _code(error) in ("PreconditionFailed", "ConditionalRequestConflict"):
                return None
            raise
        return written.get("VersionId") or NULL_VERSION

    def get(self, key: str, version_id: str | None = None) -> StoredObject | None:
        """The object, or None when there is no such key."""
        response = self._get_object(key, version_id)
        return None if response is None else _stored(key, response)

    def get_many(self, keys: Sequence[str]) -> list[StoredObject | None]:
        """Objects in the order of `keys`, fetched concurrently: reviews read thousands."""
        if len(keys) <= 1:
            return [self.get(key) for key in keys]
        with ThreadPoolExecutor(max_workers=min(READERS, len(keys))) as pool:
            return list(pool.map(self.get, keys))

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.name, Key=key)
        except ClientError as error:
            if _code(error) in ("NoSuchKey", "404", "NotFound"):
                return False
            raise
        return True

    def keys(self, prefix: str) -> Iterator[str]:
        for key, _ in self.listing(prefix):
            yield key

    def listing(self, prefix: str) -> Iterator[tuple[str, datetime]]:
        """Keys under a prefix with their last-modified times, in key order."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.name, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"], item["LastModified"]

    def folders(self, prefix: str) -> list[str]:
        """The next level of `/`-separated names under a prefix (S3 common prefixes)."""
        paginator = self.client.get_paginator("list_objects_v2")
        return [
            folder["Prefix"]
            for page in paginator.paginate(Bucket=self.name, Prefix=prefix, Delimiter="/")
            for folder in page.get("CommonPrefixes", [])
        ]

    def version_counts(self, prefix: str) -> dict[str, int]:
        """How many versions each key has: a changed immutable object shows up as a second one."""
        counts: dict[str, int] = {}
        paginator = self.client.get_paginator("list_object_versions")
        for page in paginator.paginate(Bucket=self.name, Prefix=prefix):
            for item in page.get("Versions", []):
                counts[item["Key"]] = counts.get(item["Key"], 0) + 1
        return counts

    def describe(self, key: str) -> tuple[str | None, str | None] | None:
        """The current version id and SHA-256 (hex) of an object, or None when it is absent."""
        try:
            head = self.client.head_object(Bucket=self.name, Key=key, ChecksumMode="ENABLED")
        except ClientError as error:
            if _code(error) in ("NoSuchKey", "404", "NotFound"):
                return None
            raise
        return head.get("VersionId"), _whole_sha256(head)

    def get_within(
        self, key: str, version_id: str | None, limit: int
    ) -> StoredObject | Oversized | None:
        """The object if it is at most `limit` bytes, else its size and hash unread: one GET,
        its body left unread when the answer's length is over the limit; None when absent."""
        response = self._get_object(key, version_id, ChecksumMode="ENABLED")
        if response is None:
            return None
        if response["ContentLength"] > limit:
            response["Body"].close()
            return Oversized(response["ContentLength"], _whole_sha256(response))
        return _stored(key, response)

    def _get_object(self, key: str, version_id: str | None, **extra: str) -> Any | None:
        """GetObject's answer, its body unread; None when there is no such key or version."""
        args: dict[str, Any] = {"Bucket": self.name, "Key": key, **extra}
        if version_id:
            args["VersionId"] = version_id
        try:
            return self.client.get_object(**args)
        except ClientError as error:
            if _code(error) in ("NoSuchKey", "404", "NoSuchVersion"):
                return None
            raise

    def sha256(self, key: str, version_id: str | None = None) -> str:
        """An object's SHA-256, read in chunks of `CHUNK_BYTES`: memory stays flat."""
        args: dict[str, Any] = {"Bucket": self.name, "Key": key}
        if version_id:
            args["VersionId"] = version_id
        digest = hashlib.sha256()
        body = self.client.get_object(**args)["Body"]
        for chunk in body.iter_chunks(CHUNK_BYTES):
            digest.update(chunk)
        return digest.hexdigest()

    def copy_once(self, source: str, key: str, version_id: str | None, target: str) -> str | None:
        """Copy `source`'s object to `target` here, inside S3 (the bytes never pass through this
        process), unless `target` exists: the version this call wrote, or None."""
        if self.exists(target):
            return None
        origin: dict[str, str] = {"Bucket": source, "Key": key}
        if version_id:
            origin["VersionId"] = version_id
        copied = self.client.copy_object(
            Bucket=self.name,
            Key=target,
            CopySource=origin,  # type: ignore[arg-type]
            MetadataDirective="REPLACE",
            ContentType="application/octet-stream",
            ChecksumAlgorithm="SHA256",
        )
        return copied.get("VersionId") or NULL_VERSION

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=key)

    def delete_many(self, keys: Sequence[str]) -> None:
        """One DeleteObjects request per thousand keys; a key S3 could not delete raises."""
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start : start + DELETE_BATCH]
            answer = self.client.delete_objects(
                Bucket=self.name,
                Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
                ChecksumAlgorithm="SHA256",
            )
            errors = answer.get("Errors") or []
            if errors:
                key, code = errors[0].get("Key"), errors[0].get("Code")
                raise DeleteFailed(f"s3://{self.name}/{key}: {code} {errors[0].get('Message')}")


def _stored(key: str, response: Any) -> StoredObject:
    return StoredObject(
        key, response["Body"].read(), response.get("ContentType"), response.get("VersionId")
    )


def _whole_sha256(answer: Any) -> str | None:
    """The hex SHA-256 of a whole object from S3's checksum header (not a multipart one's)."""
    checksum = answer.get("ChecksumSHA256")
    return base64.b64decode(checksum).hex() if checksum and "-" not in checksum else None


class DeleteFailed(RuntimeError):
    """S3 took the request but not every object down: retried like any fault of AWS."""


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
