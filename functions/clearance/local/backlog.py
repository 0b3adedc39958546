"""What a `--data` directory written by an earlier clearance holds, read once into today's form.

Before the endpoint was journalled, a clean stop wrote the newest version of each object
(`state.json` format 1, bytes under `objects/`), the article states (`articles.json`) and the
messages still queued (`queues.json`), and the gateway journalled each accepted delivery under
`journal/` (`entries.jsonl`, bytes by SHA-256). `read_legacy` turns all of it into a `Saved`: one
version per object, each journalled delivery added where the state lacks it and queued as S3
would have queued it, with its original arrival time, so it is decided as it would have been.
The first snapshot written after it replaces those files.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from clearance.local.persistence import JOURNALS, ROLES, Legacy, Saved, StateError, Version
from clearance.local.resources import Names

QUEUES_FILE = "queues.json"
ARTICLES_FILE = "articles.json"
ENTRIES = "entries.jsonl"


def legacy_reader(names: Names) -> Legacy:
    def read(directory: Path, state: dict[str, Any] | None) -> Saved:
        return read_legacy(directory, state, names)

    return read


def read_legacy(directory: Path, state: dict[str, Any] | None, names: Names) -> Saved:
    """Format 1's objects, secrets, article states and queues, and the delivery journal."""
    saved = Saved()
    now = datetime.now(UTC).isoformat()
    try:
        for role in ROLES:
            for item in (state or {}).get("buckets", {}).get(role, []):
                data = _bytes(directory / "objects" / str(item["sha256"]))
                saved.objects[role][str(item["key"])] = [_version(data, item["content_type"], now)]
        saved.secrets = {str(k): str(v) for k, v in (state or {}).get("secrets", {}).items()}
        articles = _json(directory / ARTICLES_FILE, [])
        saved.items = {json.dumps({"pk": a["pk"]}, sort_keys=True): a for a in articles}
        queues = _json(directory / QUEUES_FILE, {"queue": [], "dead": []})
        for name in ("queue", "dead"):
            saved.queues[name] = {str(uuid.uuid4()): str(body) for body in queues[name]}
        _journalled(directory, saved, names)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        problem = f"{type(error).__name__}: {error}"
        raise StateError(f"cannot read the saved state in {directory}: {problem}") from None
    return saved


def _journalled(directory: Path, saved: Saved, names: Names) -> None:
    """Deliveries answered 202 since the last clean stop: stored again where missing, queued."""
    path = directory / JOURNALS / ENTRIES
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        role, key = str(entry["role"]), str(entry["key"])
        if key not in saved.objects[role]:
            data = _bytes(directory / JOURNALS / str(entry["sha256"]))
            saved.blobs[str(entry["sha256"])] = data
            arrived = str(entry["arrived_at"])
            saved.objects[role][key] = [_version(data, entry["content_type"], arrived)]
        if entry["process"]:
            body = s3_event(names, names.bucket(role), key, str(entry["arrived_at"]))
            saved.queues["queue"][str(uuid.uuid4())] = body


def s3_event(names: Names, bucket: str, key: str, arrived_at: str) -> str:
    """The body S3 sends the queue for one new object (keys URL-encoded, as S3 does)."""
    record = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": names.region,
        "eventTime": arrived_at,
        "eventName": "ObjectCreated:Put",
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": quote_plus(key, safe="/")},
        },
    }
    return json.dumps({"Records": [record]})


def _version(data: bytes, content_type: str, at: str) -> Version:
    digest = hashlib.sha256(data)
    return {
        "version_id": str(uuid.uuid4()),
        "last_modified": at,
        "sha256": digest.hexdigest(),
        "size": len(data),
        "metadata": {"Content-Type": str(content_type)},
        "checksum": ["SHA256", base64.b64encode(digest.digest()).decode(), "FULL_OBJECT"],
        "lock": None,
    }


def _bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != path.name:
        raise StateError(f"saved object {path} does not match its hash")
    return data


def _json(path: Path, default: Any) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else default
