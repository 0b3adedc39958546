"""Who the terms are applied for: where, for what purpose and through which channel."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clearance.contracts.circumstances import CHANNELS, USES
from clearance.contracts.territory import TerritoryError, territory_code


class LicenseeError(ValueError):
    """One of the licensee's circumstances is not one we know; `field` names which."""

    def __init__(self, field: str, value: str, reason: str) -> None:
        super().__init__(f"{field} {value!r} {reason}")
        self.field = field
        self.value = value
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Licensee:
    """A territory is an ISO 3166-1 alpha-2 code; a use one of `USES`, a channel of `CHANNELS`."""

    territory: str = "GB"
    use: str = "editorial"
    channel: str = "web"

    @classmethod
    def of(cls, territory: str, use: str = "editorial", channel: str = "web") -> Licensee:
        """Checked: an alpha-3 code is read as its alpha-2; anything unknown raises."""
        try:
            code = territory_code(territory)
        except TerritoryError:
            raise LicenseeError(
                "territory", territory, "is not an ISO 3166-1 alpha-2 or alpha-3 code"
            ) from None
        if use not in USES:
            raise LicenseeError("use", use, f"is not one of {', '.join(USES)}")
        if channel not in CHANNELS:
            raise LicenseeError("channel", channel, f"is not one of {', '.join(CHANNELS)}")
        return cls(code, use, channel)

    def to_dict(self) -> dict[str, Any]:
        return {"territory": self.territory, "use": self.use, "channel": self.channel}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Licensee:
        return cls.of(data["territory"], data["use"], data.get("channel", "web"))
