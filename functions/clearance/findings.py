"""Findings and outcomes: a compliance failure is data to record, never an exception."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jsonschema.exceptions import ValidationError


class Outcome(StrEnum):
    CLEARED = "cleared"
    HELD = "held"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


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


def json_pointer(parts: Sequence[str | int]) -> str:
    """RFC 6901 pointer; `~` and `/` in names are escaped."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def error_pointer(error: ValidationError) -> str:
    """Where a schema error is, pointing at the missing member for `required` errors."""
    parts: list[str | int] = list(error.absolute_path)
    required = error.validator_value
    if (
        error.validator == "required"
        and isinstance(error.instance, dict)
        and isinstance(required, list)
    ):
        missing = [name for name in required if name not in error.instance]
        if missing:
            parts.append(missing[0])
    return json_pointer(parts)


MAX_MESSAGE_CHARS = 300


def brief(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Schema messages quote the instance; a megabyte body must not become a megabyte message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def schema_findings(
    errors: Iterable[ValidationError], rule_id: str, severity: Severity, prefix: str
) -> list[Finding]:
    """One finding per schema error, sorted by where it is so output is stable."""
    findings = [
        Finding(rule_id, error_pointer(error), severity, brief(f"{prefix}: {error.message}"))
        for error in errors
    ]
    return sorted(findings, key=lambda finding: (finding.pointer, finding.message))
