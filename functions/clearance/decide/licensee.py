"""Who the terms are applied for: where and how the licensee republishes."""

from __future__ import annotations

from dataclasses import dataclass

USES = ("editorial", "commercial", "internal")


@dataclass(frozen=True, slots=True)
class Licensee:
    """Territories are ISO 3166-1 alpha-2; a use is one of `USES`."""

    territory: str = "GB"
    use: str = "editorial"
