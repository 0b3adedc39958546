"""A saved state put back into the local AWS endpoint, in this process, exactly as it was kept.

Every object version goes back under its own version id, time, metadata, checksum and lock,
delete markers included, so `clearance audit verify` sees an overwritten record or digest after
a restart as before it, and `clearance replay` finds the input version a record names. Nothing
put back notifies the queue: the messages that were waiting are put back themselves.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from clearance.local.persistence import QUEUES, Saved, Version
from clearance.local.resources import Names


def restore(saved: Saved, directory: Path, names: Names) -> None:
    """Objects, article states, subscriptions and queued messages into the fresh endpoint.

    The messages get new ids, which `saved.queues` then holds, as the next snapshot must.
    """
    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415 - moto only where it runs
    from moto.s3.models import s3_backends  # noqa: PLC0415 - moto only where it runs
    from moto.sqs.models import sqs_backends  # noqa: PLC0415 - moto only where it runs

    s3 = s3_backends[names.account]["aws"]
    for role, keys in saved.objects.items():
        bucket = s3.get_bucket(names.bucket(role))
        for key, versions in keys.items():
            fetch = functools.partial(saved.data, directory)
            bucket.keys.setlist(key, _versions(bucket, key, versions, fetch, names))
    dynamodb = dynamodb_backends[names.account][names.region]
    for name, items in (
        (names.state_table, saved.items),
        (names.subscriptions_table, saved.subscriptions),
    ):
        table = dynamodb.get_table(name)
        for item in items.values():
            table.put_item(item)
    sqs = sqs_backends[names.account][names.region]
    for role, queue in zip(QUEUES, (names.queue, names.dead_letter_queue), strict=True):
        bodies = list(saved.queues[role].values())
        saved.queues[role] = {sqs.send_message(queue, body).id: body for body in bodies}


def _versions(
    bucket: Any, key: str, versions: list[Version], fetch: Callable[[str], bytes], names: Names
) -> list[Any]:
    from moto.s3.models import FakeDeleteMarker, FakeKey  # noqa: PLC0415 - moto only where it runs

    def fake(value: bytes, version: Version) -> Any:
        checksum = version.get("checksum") or [None, None, None]
        lock = version.get("lock") or [None, None, None]
        made = FakeKey(
            name=key,
            value=value,
            account_id=names.account,
            region_name=names.region,
            bucket_name=bucket.name,
            is_versioned=bucket.is_versioned,
            version_id=str(version["version_id"]),
            lock_mode=lock[0],
            lock_until=lock[1],
            lock_legal_status=lock[2],
            checksum_value=checksum[1],
        )
        made.checksum_algorithm = checksum[0]
        made.checksum_type = checksum[2]
        made.set_metadata(dict(version.get("metadata") or {}))
        return made

    restored: list[Any] = []
    for version in versions:
        if version.get("deleted"):
            previous = restored[-1] if restored else fake(b"", version)
            made = FakeDeleteMarker(key=previous)
            made._version_id = str(version["version_id"])
        else:
            made = fake(fetch(str(version["sha256"])), version)
        made.last_modified = _naive_utc(str(version["last_modified"]))
        restored.append(made)
    return restored


def _naive_utc(text: str) -> datetime:
    """moto keeps times as naive UTC."""
    parsed = datetime.fromisoformat(text)
    return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
