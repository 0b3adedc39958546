"""Findings and outcomes: a compliance failure is data to record, never an exception."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from clearance.contracts.pointers import brief, error_pointer

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError


class Outcome(StrEnum):
    """What a decision or a later event made of one version of an article."""

    CLEARED = "cleared"
    HELD = "held"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    SUPERSEDED = "superseded"


class Severity(StrEnum):
    """What a finding does to the decision: `critical` rejects, `major` holds, `info` is noted."""

    CRITICAL = "critical"
    MAJOR = "major"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    rule_id: str
    pointer: str
    severity: Severity
    message: str
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule_id": self.rule_id,
            "pointer": self.pointer,
            "severity": self.severity.value,
            "message": self.message,
        }
        if self.detail is not None:
            data["detail"] = self.detail
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """A finding read back from a stored record or decision summary."""
        return cls(
            data["rule_id"],
            data["pointer"],
            Severity(data["severity"]),
            data["message"],
            data.get("detail"),
        )


_RANK = {Severity.CRITICAL: 0, Severity.MAJOR: 1, Severity.INFO: 2}


def main_finding(findings: Iterable[Finding]) -> Finding | None:
    """The finding that decided the outcome, for one-line summaries."""
    return min(findings, key=lambda finding: _RANK[finding.severity], default=None)


def outcome_of(findings: Iterable[Finding]) -> Outcome:
    severities = {finding.severity for finding in findings}
    if Severity.CRITICAL in severities:
        return Outcome.REJECTED
    if Severity.MAJOR in severities:
        return Outcome.HELD
    return Outcome.CLEARED


def schema_findings(
    errors: Iterable[ValidationError], rule_id: str, severity: Severity, prefix: str
) -> list[Finding]:
    """One finding per schema error, sorted by where it is so output is stable."""
    findings = [
        Finding(rule_id, error_pointer(error), severity, brief(f"{prefix}: {error.message}"))
        for error in errors
    ]
    return sorted(findings, key=lambda finding: (finding.pointer, finding.message))
