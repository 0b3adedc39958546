"""One article's decisions compared with their sealed copies, for the per-article views.

A record in a sealed hour has a sealed copy: its line in the hour's segment, which the hour's
digest pins by SHA-256. The views show what the bucket holds, marked: the same as its sealed copy,
different from it (with what differs), absent from a segment whose hour was sealed, gone from
the bucket (shown from its sealed copy), in an hour not yet sealed, or not comparable (the hour's
segment or digest is missing or altered). A segment whose digest is gone is still compared with:
a difference is marked, and a match is "unchecked", since nothing pins that segment any more.
`clearance audit verify` says the same of the whole log; these views say it where a reviewer
reads one article.

Pure: bytes in, marks out. Nothing here compiles a schema (the audit review function stays light).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from clearance.audit.segment import open_segment, parse_line
from clearance.contracts import keys

MAX_DIFFERENCES = 20


class SealState(StrEnum):
    MATCHES = "matches"
    DIFFERS = "differs"
    NOT_IN_SEGMENT = "not-in-segment"
    DELETED = "deleted"
    OPEN = "open"
    UNCHECKED = "unchecked"


QUIET = frozenset({SealState.MATCHES, SealState.OPEN})
"""The states a reviewer need not be warned of."""


@dataclass(frozen=True, slots=True)
class Difference:
    """One field (a JSON pointer) whose sealed value is not the stored one."""

    field: str
    sealed: Any
    stored: Any


@dataclass(frozen=True, slots=True)
class SealCheck:
    state: SealState
    message: str
    segment: str | None = None
    differences: tuple[Difference, ...] = ()

    @property
    def alarming(self) -> bool:
        return self.state not in QUIET

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state.value,
            "message": self.message,
            "segment": self.segment,
            "differences": [
                {"field": d.field, "sealed": d.sealed, "stored": d.stored} for d in self.differences
            ],
        }


@dataclass(frozen=True, slots=True)
class SealedHour:
    """What the bucket holds of one hour's seal.

    `lines` (record key -> sealed line) when the hour is sealed and its segment matches its
    digest, or when its segment remains but its digest does not (`unpinned` says so); otherwise
    `state` says why there is nothing to compare with, and `reason` how.
    """

    hour: datetime
    state: SealState | None = None
    reason: str = ""
    segment: str | None = None
    lines: Mapping[str, bytes] = field(default_factory=dict)
    unpinned: str = ""


def read_hour(
    hour: datetime,
    digest: bytes | None,
    segment: bytes | None,
    chain: tuple[datetime, datetime] | None,
) -> SealedHour:
    """An hour's seal from its digest and segment as stored; `chain` is the first and last hour
    that have a digest (None when none has)."""
    name = keys.digest_key(hour)
    if digest is None and segment is not None:
        own = keys.segment_key(hour)
        opened = open_segment(own, segment)
        if opened is None:
            return SealedHour(
                hour,
                SealState.UNCHECKED,
                f"segment {own} of its hour cannot be read, and its digest {name} is missing: "
                "run clearance audit verify",
                own,
            )
        missing = f"the digest of its hour, {name}, is missing"
        return SealedHour(hour, segment=own, lines=dict(opened.records), unpinned=missing)
    if digest is None:
        if chain is None or hour > chain[1]:
            return SealedHour(hour, SealState.OPEN, f"its hour is not sealed yet ({name})")
        if hour < chain[0]:
            first = keys.digest_key(chain[0])
            return SealedHour(
                hour,
                reason=f"it is dated before the first digest, {first}, so it was added to the "
                "log afterwards",
            )
        return SealedHour(
            hour,
            SealState.UNCHECKED,
            f"the digest of its hour, {name}, is missing: run clearance audit verify",
        )
    ref = _segment_ref(digest)
    if ref is None:
        return SealedHour(
            hour, SealState.UNCHECKED, f"digest {name} cannot be read: run clearance audit verify"
        )
    if not ref:
        return SealedHour(
            hour,
            reason=f"its hour was sealed with no records by {name}, so it was written after its "
            "hour was sealed",
        )
    key, sha256 = ref
    opened = open_segment(key, segment) if segment is not None else None
    if segment is None or hashlib.sha256(segment).hexdigest() != sha256 or opened is None:
        fault = "is missing" if segment is None else f"does not match digest {name}"
        return SealedHour(
            hour,
            SealState.UNCHECKED,
            f"segment {key} of its hour {fault}: run clearance audit verify",
            key,
        )
    return SealedHour(hour, segment=key, lines=dict(opened.records))


def compare(key: str, stored: bytes | None, sealed: SealedHour) -> SealCheck:
    """A stored record (None: gone from the bucket) against its hour's seal."""
    line = sealed.lines.get(key)
    if stored is None and line is None and sealed.state is not SealState.UNCHECKED:
        return SealCheck(
            SealState.DELETED,
            f"record {key}, named by the article's pointer, is gone from the bucket and from "
            "every segment: it was deleted before its hour was sealed",
            sealed.segment,
        )
    if sealed.state is not None:
        return SealCheck(sealed.state, f"record {key}: {sealed.reason}", sealed.segment)
    if line is None:
        reason = sealed.reason or (
            f"its hour was sealed without it (segment {sealed.segment}), so it was written or "
            "rewritten after its hour was sealed"
        )
        return SealCheck(
            SealState.NOT_IN_SEGMENT,
            f"record {key} is in no sealed segment: {reason}",
            sealed.segment,
        )
    if stored is None:
        return SealCheck(
            SealState.DELETED,
            f"record {key} is gone from the bucket: shown from its sealed copy in segment "
            f"{sealed.segment}",
            sealed.segment,
        )
    if stored == line and sealed.unpinned:
        return SealCheck(
            SealState.UNCHECKED,
            f"record {key} is its copy in segment {sealed.segment}, but {sealed.unpinned}: "
            "run clearance audit verify",
            sealed.segment,
        )
    if stored == line:
        return SealCheck(
            SealState.MATCHES,
            f"record {key} is its sealed copy in {sealed.segment}",
            sealed.segment,
        )
    found = differences(line, stored)
    return SealCheck(
        SealState.DIFFERS,
        f"record {key} differs from its sealed copy in segment {sealed.segment}: "
        + ", ".join(d.field or "its bytes" for d in found)
        + (f" ({sealed.unpinned})" if sealed.unpinned else ""),
        sealed.segment,
        found,
    )


def differences(sealed: bytes, stored: bytes) -> tuple[Difference, ...]:
    """The fields that differ, by JSON pointer; the two SHA-256s when only the bytes do."""
    before, after = parse_line(sealed), parse_line(stored)
    found: list[Difference] = []
    if before is not None and after is not None:
        _walk("", before, after, found)
    if not found:
        found.append(
            Difference(
                "",
                "sha256:" + hashlib.sha256(sealed).hexdigest(),
                "sha256:" + hashlib.sha256(stored).hexdigest(),
            )
        )
    return tuple(found[:MAX_DIFFERENCES])


def _walk(pointer: str, sealed: Any, stored: Any, found: list[Difference]) -> None:
    if len(found) >= MAX_DIFFERENCES:
        return
    if isinstance(sealed, dict) and isinstance(stored, dict):
        for name in sorted(set(sealed) | set(stored)):
            inner = f"{pointer}/{name.replace('~', '~0').replace('/', '~1')}"
            _walk(inner, sealed.get(name), stored.get(name), found)
    elif isinstance(sealed, list) and isinstance(stored, list) and len(sealed) == len(stored):
        for i, (one, other) in enumerate(zip(sealed, stored, strict=True)):
            _walk(f"{pointer}/{i}", one, other, found)
    elif sealed != stored or type(sealed) is not type(stored):
        found.append(Difference(pointer, sealed, stored))


@dataclass(frozen=True, slots=True)
class Viewed:
    """One decision of an article as a reviewer sees it: what is stored (or, when the bucket has
    lost it, its sealed copy; None when neither exists), and how it compares with its seal."""

    decided_at: str
    key: str
    data: bytes | None
    seal: SealCheck

    @property
    def record(self) -> dict[str, Any] | None:
        return parse_line(self.data) if self.data is not None else None


def article_body(article_id: str, viewed: list[Viewed]) -> dict[str, Any]:
    """The per-article view as the review API and `clearance audit show` answer it: each
    decision with its `seal`, the decisions whose record exists nowhere under `missing`, and
    how many decisions are in each seal state."""
    decisions, missing = [], []
    for item in viewed:
        record = item.record
        if record is None:
            missing.append(
                {"key": item.key, "decided_at": item.decided_at, "seal": item.seal.to_dict()}
            )
        else:
            decisions.append({**record, "seal": item.seal.to_dict()})
    states: dict[str, int] = {}
    for item in viewed:
        states[item.seal.state.value] = states.get(item.seal.state.value, 0) + 1
    return {"article": article_id, "decisions": decisions, "missing": missing, "seals": states}


def article_of(line: bytes) -> str | None:
    """The article id a sealed line names, to find an article's records in a segment."""
    record = parse_line(line)
    article = record.get("article") if record is not None else None
    identifier = article.get("id") if isinstance(article, dict) else None
    return identifier if isinstance(identifier, str) else None


def _segment_ref(digest: bytes) -> tuple[str, str] | tuple[()] | None:
    """The (key, sha256) of the segment a digest names, () for a quiet hour, None when the
    digest cannot be read."""
    try:
        content = json.loads(digest)
    except (ValueError, RecursionError):
        return None
    if not isinstance(content, dict) or "segment" not in content:
        return None
    segment = content["segment"]
    if segment is None:
        return ()
    if isinstance(segment, dict):
        key, sha256 = segment.get("key"), segment.get("sha256")
        if isinstance(key, str) and isinstance(sha256, str):
            return key, sha256
    return None
