"""The local stack's journal: every change its AWS endpoint makes, appended as it is made.

moto keeps everything in memory, so a stack stopped by SIGKILL or a power cut would forget all it
did since its last save, and a clean stop would have to write everything out. Instead, with
`--data`, the endpoint appends each change it makes (an object version, a delete marker, an
article state, a queued or deleted message, a secret) to this journal before it answers, and the
journal is synced to disk before anything is acknowledged (`sync`). The next start reads the last
snapshot and then the journal (`persistence`), so nothing acknowledged is lost and a stop has
nothing left to write.

A journal is a sequence of frames: one JSON line each, and a `blob` line followed by that many raw
bytes and a newline. Reading stops at the first frame cut short or altered (a kill mid-write).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

FORMAT = "clearance-local-journal/1"


class JournalError(OSError):
    """The journal cannot be written: nothing more may be acknowledged."""


class Journal:
    """An append-only journal file; `append` from any thread, `sync` groups the fsyncs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._write_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._written = 0
        self._synced = 0
        self._failure: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file: BinaryIO | None = path.open("ab")
            if self._file.tell() == 0:
                self._file.write(_line({"journal": FORMAT}))
                self._file.flush()
                os.fsync(self._file.fileno())
                sync_directory(path.parent)
            self._written = self._synced = self._file.tell()
        except OSError as error:
            raise JournalError(f"cannot open the journal {path}: {error.strerror}") from None

    def append(self, blobs: Mapping[str, bytes], records: Sequence[dict[str, Any]]) -> int:
        """Blobs (by SHA-256), then records, handed to the kernel; the offset they end at.

        A kill of the process cannot lose them from here on; a power cut can until `sync`.
        """
        frames = [
            _line({"blob": sha, "size": len(data)}) + data + b"\n" for sha, data in blobs.items()
        ]
        frames += [_line(record) for record in records]
        with self._write_lock:
            file = self._usable()
            try:
                for frame in frames:
                    file.write(frame)
                file.flush()
            except OSError as error:
                self._failure = f"cannot write the journal {self.path}: {error.strerror}"
                raise JournalError(self._failure) from None
            self._written = file.tell()
            return self._written

    def sync(self) -> None:
        """Everything appended so far on disk; one fsync serves every thread waiting on it."""
        target = self._written
        with self._sync_lock:
            if self._failure is not None:
                raise JournalError(self._failure)
            if self._synced < target:
                self._sync_held()

    def close(self) -> None:
        """Synced and closed; every later append or sync fails, so nothing more is acknowledged."""
        with self._sync_lock:
            try:
                if self._synced < self._written:
                    self._sync_held()
            finally:
                with self._write_lock:
                    if self._file is not None:
                        self._file.close()
                        self._file = None
                    self._failure = self._failure or f"the journal {self.path} is closed"

    def _sync_held(self) -> None:
        with self._write_lock:
            file = self._usable()
            end = self._written
        try:
            os.fsync(file.fileno())
        except OSError as error:
            self._failure = f"cannot sync the journal {self.path}: {error.strerror}"
            raise JournalError(self._failure) from None
        self._synced = max(self._synced, end)

    def _usable(self) -> BinaryIO:
        if self._failure is not None or self._file is None:
            raise JournalError(self._failure or f"the journal {self.path} is closed")
        return self._file


def read_journal(path: Path) -> Iterator[tuple[dict[str, Any], bytes | None]]:
    """Each frame's record, with its bytes for a blob; a frame cut short ends the journal."""
    try:
        file = path.open("rb")
    except FileNotFoundError:
        return
    with file:
        header = _record(file.readline())
        if header is None or header.get("journal") != FORMAT:
            raise JournalError(f"{path} is not a clearance local journal")
        while (record := _record(file.readline())) is not None:
            if "blob" not in record:
                yield record, None
                continue
            size = record.get("size")
            data = file.read(size) if isinstance(size, int) and size >= 0 else b""
            if (
                len(data) != size
                or file.read(1) != b"\n"
                or hashlib.sha256(data).hexdigest() != record["blob"]
            ):
                return
            yield record, data


def sync_directory(directory: Path) -> None:
    """A new or renamed file's name on disk, not only its bytes."""
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _line(record: Mapping[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def _record(line: bytes) -> dict[str, Any] | None:
    if not line.endswith(b"\n"):
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None
