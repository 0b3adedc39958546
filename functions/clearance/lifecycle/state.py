"""An article's state: its known versions, which one is published, why one is held, its timers.

One record per article (provider and article id), read before anything is decided about the
article and written back only if nobody wrote it since (`revision`). The `outbox` holds the
removals, audit records and notifications a committed change still owes, so a crash after the
commit is repaired by whoever next touches the article.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from clearance.contracts.vocabulary import ObjectRef, TimerKind
from clearance.lifecycle.record import Source

STATE_VERSION = 1


class Status(StrEnum):
    PUBLISHED = "published"
    HELD = "held"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"


class Hold(StrEnum):
    """Why a version is held: only a `review` hold may be lifted by a person."""

    EMBARGO = "embargo"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class SourceRef:
    """The delivery a version was decided from, so it can be decided again."""

    bucket: str
    key: str
    version_id: str | None
    sha256: str
    bytes: int
    request_id: str
    item: int | None = None

    def as_source(self, at: str) -> Source:
        """The delivery as a record names it, for a decision made at `at`."""
        return Source(
            self.bucket,
            self.key,
            self.version_id,
            datetime.fromisoformat(at),
            self.request_id,
            self.item,
        )

    def to_record(self) -> dict[str, Any]:
        """The `source` member of a record about this version."""
        named: dict[str, Any] = {
            "bucket": self.bucket,
            "key": self.key,
            "version_id": self.version_id,
            "sha256": self.sha256,
            "bytes": self.bytes,
        }
        if self.item is not None:
            named["item"] = self.item
        return named


@dataclass(frozen=True, slots=True)
class Version:
    version: str
    version_created: str | None
    status: Status
    decision_id: str
    decided_at: str
    source: SourceRef
    headline: str | None = None
    hold: Hold | None = None
    copies: tuple[ObjectRef, ...] = ()
    """The cleared copies of this version that are up."""
    findings: tuple[dict[str, Any], ...] = ()

    @property
    def order(self) -> tuple[tuple[tuple[int, int | str], ...], str]:
        return version_order(self.version, self.version_created)


@dataclass(frozen=True, slots=True)
class Timer:
    kind: TimerKind
    due: str
    version: str


@dataclass(frozen=True, slots=True)
class Kill:
    received_at: str
    by: str
    deadline: str | None


@dataclass(frozen=True, slots=True)
class ArticleState:
    provider: str
    article_id: str
    uri: str
    revision: int = 0
    versions: tuple[Version, ...] = ()
    kill: Kill | None = None
    timers: tuple[Timer, ...] = ()
    outbox: dict[str, Any] | None = field(default=None, compare=False)

    def version(self, version: str) -> Version | None:
        return next((v for v in self.versions if v.version == version), None)

    @property
    def published(self) -> Version | None:
        return next((v for v in self.versions if v.status is Status.PUBLISHED), None)

    @property
    def newest(self) -> Version | None:
        return max(self.versions, key=lambda v: v.order, default=None)

    @property
    def next_due(self) -> str | None:
        return min((timer.due for timer in self.timers), default=None)

    def with_version(self, entry: Version) -> ArticleState:
        """This state with `entry` added, or replacing the version of the same name."""
        others = tuple(v for v in self.versions if v.version != entry.version)
        return replace(self, versions=tuple(sorted((*others, entry), key=lambda v: v.order)))

    def with_copy_versions(self, written: Mapping[str, str]) -> ArticleState:
        """This state with each copy's S3 version id, by key, as its put answered: so taking it
        down later needs no look at S3 first."""
        if not written:
            return self
        return replace(
            self,
            versions=tuple(
                replace(
                    entry,
                    copies=tuple(
                        replace(copy, version_id=written[copy.key])
                        if copy.version_id is None and copy.key in written
                        else copy
                        for copy in entry.copies
                    ),
                )
                for entry in self.versions
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "state_version": STATE_VERSION,
            "provider": self.provider,
            "article_id": self.article_id,
            "uri": self.uri,
            "revision": self.revision,
            "versions": [_version_dict(v) for v in self.versions],
            "kill": _plain(self.kill),
            "timers": [_plain(t) for t in self.timers],
            "outbox": self.outbox,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ArticleState:
        kill = data.get("kill")
        return cls(
            provider=data["provider"],
            article_id=data["article_id"],
            uri=data["uri"],
            revision=int(data["revision"]),
            versions=tuple(_version(v) for v in data["versions"]),
            kill=Kill(**kill) if kill else None,
            timers=tuple(
                Timer(TimerKind(t["kind"]), t["due"], t["version"]) for t in data["timers"]
            ),
            outbox=data.get("outbox"),
        )


def version_order(
    version: str, version_created: str | None
) -> tuple[tuple[tuple[int, int | str], ...], str]:
    """ninjs `version` compared as numbers where it is numeric ("10" after "9"), then
    `versionCreated`."""
    parts = tuple(
        (0, int(part)) if part.isdigit() else (1, part)
        for part in re.split(r"(\d+)", version)
        if part
    )
    return parts, version_created or ""


def _plain(value: Any) -> Any:
    if value is None:
        return None
    return {name: getattr(value, name) for name in value.__slots__}


def _version_dict(entry: Version) -> dict[str, Any]:
    data: dict[str, Any] = _plain(entry)
    data["source"] = _plain(entry.source)
    data["copies"] = [_copy_dict(copy) for copy in entry.copies]
    data["findings"] = list(entry.findings)
    return data


def _copy_dict(copy: ObjectRef) -> dict[str, Any]:
    return {
        "bucket": copy.bucket,
        "key": copy.key,
        "sha256": copy.sha256,
        "kind": copy.kind,
        "version_id": copy.version_id,
    }


def _version(data: dict[str, Any]) -> Version:
    return Version(
        version=data["version"],
        version_created=data.get("version_created"),
        status=Status(data["status"]),
        decision_id=data["decision_id"],
        decided_at=data["decided_at"],
        source=SourceRef(**data["source"]),
        headline=data.get("headline"),
        hold=Hold(data["hold"]) if data.get("hold") else None,
        copies=tuple(ObjectRef(**copy) for copy in data.get("copies", [])),
        findings=tuple(data.get("findings", [])),
    )
