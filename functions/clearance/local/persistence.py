"""What `--data` keeps: the last snapshot of the local AWS endpoint, and the journal after it.

`state.json` lists every version of every object in the four buckets (delete markers included),
by role and key, each with its version id, time, metadata, checksum and lock, and its bytes under
`objects/<sha256>`; the article states; the messages on the inbound queue and its dead-letter
queue; the webhook secrets; the fingerprint of the digest signing key; and the generation of the
journal that follows it (`journal/<generation>.log`). A start reads both (`load`), puts it all
back, then writes the next snapshot and starts the next journal (`commit`): a journal is as long
as one run, and a stop has nothing to write.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearance.local.journal import JournalError, read_journal, sync_directory

STATE_FILE = "state.json"
FORMAT = "clearance-local-state/2"
LEGACY_FORMAT = "clearance-local-state/1"
BLOBS = "objects"
JOURNALS = "journal"
ROLES = ("inbound", "cleared", "quarantine", "audit")
QUEUES = ("queue", "dead")
LEGACY_FILES = ("articles.json", "queues.json")

Version = dict[str, Any]
"""One object version as the recorder describes it: `version_id`, `last_modified`, and either
`deleted` (a delete marker) or `sha256`, `size`, `metadata`, `checksum`, `lock`."""


class StateError(Exception):
    """A `--data` directory whose state cannot be read back; the message is one line."""


@dataclass
class Saved:
    """Everything `--data` keeps, as of the snapshot plus the journal read after it."""

    objects: dict[str, dict[str, list[Version]]] = field(
        default_factory=lambda: {role: {} for role in ROLES}
    )
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Feed subscriptions, by key, as the article states are kept in `items`."""
    queues: dict[str, dict[str, str]] = field(default_factory=lambda: {q: {} for q in QUEUES})
    secrets: dict[str, str] = field(default_factory=dict)
    signing_key: str | None = None
    generation: int = 0
    blobs: dict[str, bytes] = field(default_factory=dict)
    """Bytes read from a journal, not yet under `objects/`."""

    def apply(self, record: dict[str, Any]) -> None:
        """One journal record: each carries the whole new value of what it names."""
        if "object" in record:
            keys = self.objects.get(str(record["object"]))
            if keys is not None:
                if record["versions"]:
                    keys[str(record["key"])] = list(record["versions"])
                else:
                    keys.pop(str(record["key"]), None)
        elif "item" in record or "subscription" in record:
            table, key = (
                (self.items, record["item"])
                if "item" in record
                else (self.subscriptions, record["subscription"])
            )
            if record["value"] is None:
                table.pop(str(key), None)
            else:
                table[str(key)] = dict(record["value"])
        elif "queue" in record:
            messages = self.queues.get(str(record["queue"]))
            if messages is not None:
                messages.update({str(i): str(body) for i, body in record.get("add", [])})
                for removed in record.get("remove", []):
                    messages.pop(str(removed), None)
        elif "secrets" in record:
            self.secrets = {str(k): str(v) for k, v in record["secrets"].items()}

    def referenced(self) -> set[str]:
        return {
            str(version["sha256"])
            for keys in self.objects.values()
            for versions in keys.values()
            for version in versions
            if "sha256" in version
        }

    def data(self, directory: Path, sha256: str) -> bytes:
        """A version's bytes, from the journal or `objects/`, checked against their hash."""
        if sha256 in self.blobs:
            return self.blobs[sha256]
        path = directory / BLOBS / sha256
        try:
            data = path.read_bytes()
        except OSError:
            raise StateError(f"the saved state is missing {path}") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StateError(f"saved object {path} does not match its hash")
        return data

    def sizes(self) -> tuple[int, int, int]:
        """Object versions, article states and queued messages."""
        versions = sum(len(v) for keys in self.objects.values() for v in keys.values())
        return versions, len(self.items), sum(len(m) for m in self.queues.values())


def lock(directory: Path) -> int:
    """The directory for this stack alone while it runs, released by a kill as by a stop (a lock
    on the directory itself: nothing is written into it before its state is read)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        held = os.open(directory, os.O_RDONLY)
    except OSError as error:
        raise StateError(f"cannot use {directory}: {error.strerror}") from None
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(held)
        raise StateError(f"{directory} is in use by another clearance serve") from None
    return held


def journal_path(directory: Path, generation: int) -> Path:
    return directory / JOURNALS / f"{generation:06d}.log"


Legacy = Callable[[Path, dict[str, Any] | None], Saved]
"""Reads what an earlier clearance saved (format 1, or only its delivery journal)."""


def load(directory: Path, legacy: Legacy | None = None) -> Saved:
    """The snapshot and its journal; none is an empty start."""
    path = directory / STATE_FILE
    try:
        if path.exists():
            state = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(state, dict):
                raise StateError(f"{path} is not a clearance local state file")
            if state.get("format") == LEGACY_FORMAT and legacy is not None:
                return legacy(directory, state)
            if state.get("format") != FORMAT:
                raise StateError(f"{path} is not a clearance local state file")
            saved = _from_json(state)
        elif legacy is not None and (directory / JOURNALS / "entries.jsonl").exists():
            return legacy(directory, None)
        else:
            saved = Saved()
        for record, data in read_journal(journal_path(directory, saved.generation)):
            if data is None:
                saved.apply(record)
            else:
                saved.blobs[str(record["blob"])] = data
    except StateError:
        raise
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        problem = f"{type(error).__name__}: {error}"
        raise StateError(f"cannot read the saved state in {path}: {problem}") from None
    return saved


def commit(directory: Path, saved: Saved) -> None:
    """The next snapshot: journal bytes moved under `objects/` and on disk first, then the index
    (atomically), then older journals and unreferenced bytes removed. A crash at any point leaves
    a snapshot and journal that read back the same."""
    blobs = directory / BLOBS
    blobs.mkdir(parents=True, exist_ok=True)
    moved = False
    for sha256, data in saved.blobs.items():
        target = blobs / sha256
        if not target.exists():
            _write(target, data, sync=False)
            moved = True
    if moved:
        os.sync()
    saved.generation += 1
    state = {
        "format": FORMAT,
        "generation": saved.generation,
        "objects": saved.objects,
        "items": saved.items,
        "subscriptions": saved.subscriptions,
        "queues": {name: list(map(list, m.items())) for name, m in saved.queues.items()},
        "secrets": saved.secrets,
        "signing_key": saved.signing_key,
    }
    text = json.dumps(state, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    _write(directory / STATE_FILE, text.encode(), sync=True)
    sync_directory(directory)
    saved.blobs = {}
    _tidy(directory, saved)


def _from_json(state: dict[str, Any]) -> Saved:
    objects = {role: dict(state["objects"].get(role, {})) for role in ROLES}
    queues = {name: {str(i): str(b) for i, b in state["queues"].get(name, [])} for name in QUEUES}
    signing_key = state.get("signing_key")
    return Saved(
        objects=objects,
        items={str(k): dict(v) for k, v in state["items"].items()},
        subscriptions={str(k): dict(v) for k, v in state.get("subscriptions", {}).items()},
        queues=queues,
        secrets={str(k): str(v) for k, v in state["secrets"].items()},
        signing_key=str(signing_key) if signing_key else None,
        generation=int(state["generation"]),
    )


def _tidy(directory: Path, saved: Saved) -> None:
    current = journal_path(directory, saved.generation)
    journals = directory / JOURNALS
    if journals.is_dir():
        for path in journals.iterdir():
            if path != current:
                path.unlink()
    kept = saved.referenced()
    for path in (directory / BLOBS).iterdir():
        if path.name not in kept:
            path.unlink()
    for name in LEGACY_FILES:
        (directory / name).unlink(missing_ok=True)


def _write(path: Path, data: bytes, *, sync: bool) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as file:
        file.write(data)
        if sync:
            file.flush()
            os.fsync(file.fileno())
    temporary.chmod(0o600)
    temporary.replace(path)


__all__ = ["JournalError", "Saved", "StateError", "commit", "journal_path", "load"]
