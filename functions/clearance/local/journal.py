"""What the local stack answered 202 for, on disk before the answer leaves.

moto keeps everything in memory: a stack killed without a clean stop (SIGKILL, a power cut)
would forget every delivery since its last saved state. The gateway therefore writes each
accepted delivery's stored objects here, synced, before it sends the 202; the next start puts
them back and queues the articles again with their original arrival time. A clean stop saves
the whole state and empties the journal.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

DIRECTORY = "journal"
INDEX = "entries.jsonl"


class JournalError(OSError):
    """The journal cannot be written: the delivery must not be acknowledged."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One object as stored: where, its bytes' SHA-256, and whether it is an article to decide."""

    role: str
    key: str
    sha256: str
    content_type: str
    arrived_at: str
    process: bool


class Journal:
    """An append-only index of entries plus their bytes by SHA-256, under `<data>/journal/`."""

    def __init__(self, data: Path) -> None:
        self.directory = data / DIRECTORY
        self._lock = threading.Lock()
        self._kept = {entry.key for entry in self.entries()}

    def keep(self, items: Iterable[tuple[Entry, bytes]]) -> None:
        """Bytes, then index lines, each synced to disk; a key kept before is skipped."""
        with self._lock:
            fresh = [(entry, data) for entry, data in items if entry.key not in self._kept]
            if not fresh:
                return
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                for entry, data in fresh:
                    _write_synced(self.directory / entry.sha256, data)
                lines = "".join(
                    json.dumps(asdict(entry), sort_keys=True) + "\n" for entry, _ in fresh
                )
                with (self.directory / INDEX).open("a", encoding="utf-8") as index:
                    index.write(lines)
                    index.flush()
                    os.fsync(index.fileno())
            except OSError as error:
                raise JournalError(
                    f"cannot write the journal in {self.directory}: {error}"
                ) from None
            self._kept.update(entry.key for entry, _ in fresh)

    def entries(self) -> list[Entry]:
        """Every entry kept, in order; a last line cut short by a kill is ignored."""
        try:
            text = (self.directory / INDEX).read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        entries = []
        for line in text.splitlines():
            try:
                entries.append(Entry(**json.loads(line)))
            except (ValueError, TypeError):
                continue
        return entries

    def read(self, entry: Entry) -> bytes:
        """An entry's bytes, checked against its hash."""
        data = (self.directory / entry.sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise JournalError(f"journal object {entry.sha256} does not match its hash")
        return data

    def clear(self) -> None:
        """After a clean stop has saved everything the journal held."""
        with self._lock:
            index = self.directory / INDEX
            index.unlink(missing_ok=True)
            if self.directory.is_dir():
                for blob in self.directory.iterdir():
                    blob.unlink()
            self._kept.clear()


def _write_synced(path: Path, data: bytes) -> None:
    if path.exists():
        return
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(path)
