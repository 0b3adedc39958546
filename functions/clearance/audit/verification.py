"""What verifying the digest chain over a period found, as a reviewer reads it: counts, each
problem by kind and key, one line for a banner, and the JSON the audit routes answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clearance.audit.chain import Problem


@dataclass(frozen=True, slots=True)
class Verification:
    """What `verify_log` found over [start, end): counts, and every problem by kind and key."""

    start: datetime
    end: datetime
    verified_records: int
    verified_digests: int
    not_yet_digested: int
    unverified_records: int
    digested_until: datetime | None
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> str:
        """One line for a banner: what was verified, or how many problems."""
        if not self.ok:
            return _count(len(self.problems), "problem")
        return (
            f"verified {_count(self.verified_records, 'record')} in "
            f"{_count(self.verified_digests, 'digest')}; "
            f"{_count(self.not_yet_digested, 'record')} in the open hour not yet sealed"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "summary": self.summary,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "verified_records": self.verified_records,
            "verified_digests": self.verified_digests,
            "not_yet_digested": self.not_yet_digested,
            "unverified_records": self.unverified_records,
            "digested_until": self.digested_until.isoformat() if self.digested_until else None,
            "problems": [
                {
                    "kind": p.kind.value,
                    "key": p.key,
                    "message": p.message,
                    "records": list(p.records),
                }
                for p in self.problems
            ],
        }


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
