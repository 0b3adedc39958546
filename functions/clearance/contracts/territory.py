"""Territories as licences name them, reduced to one spelling: the ISO 3166-1 alpha-2 code.

Licences and feeds name a country in many ways: `GB`, `GBR`, the IPTC controlled-vocabulary URI
`http://cvx.iptc.org/iso3166-1a3/GBR`, or a name in an editor's note ("UNITED KINGDOM OUT").
A territory rule can only be compared with the licensee's territory once both are spelled alike,
and a code nobody recognises must be refused rather than silently never match.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType, ModuleType

IPTC_ALPHA_2 = "http://cvx.iptc.org/iso3166-1a2/"
IPTC_ALPHA_3 = "http://cvx.iptc.org/iso3166-1a3/"

NO_ALIASES: Mapping[str, str] = MappingProxyType({})

# Names in everyday English use that ISO 3166-1 (and so pycountry) spells otherwise.
COMMON_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "turkey": "TR",
        "russia": "RU",
        "britain": "GB",
        "great britain": "GB",
        "uk": "GB",
        "u.k.": "GB",
        "usa": "US",
        "u.s.": "US",
        "u.s.a.": "US",
        "ivory coast": "CI",
        "macedonia": "MK",
        "swaziland": "SZ",
        "burma": "MM",
        "east timor": "TL",
        "cape verde": "CV",
        "vatican": "VA",
        "palestine": "PS",
        "brunei": "BN",
        "democratic republic of congo": "CD",
        "democratic republic of the congo": "CD",
    }
)


class TerritoryError(ValueError):
    """A value that names no ISO 3166-1 country."""


@lru_cache(maxsize=1024)
def territory_code(value: str) -> str:
    """The alpha-2 code of an alpha-2 or alpha-3 code (any case) or an IPTC ISO 3166-1 CV URI."""
    code = value.strip()
    for prefix in (IPTC_ALPHA_2, IPTC_ALPHA_3):
        if code.lower().startswith(prefix):
            code = code[len(prefix) :]
            break
    country = None
    if len(code) == 2 and code.isascii() and code.isalpha():
        country = _pycountry().countries.get(alpha_2=code.upper())
    elif len(code) == 3 and code.isascii() and code.isalpha():
        country = _pycountry().countries.get(alpha_3=code.upper())
    if country is None:
        raise TerritoryError(f"{value!r} is not an ISO 3166-1 alpha-2 or alpha-3 code")
    return str(country.alpha_2)


def territory_named(name: str, aliases: Mapping[str, str] = NO_ALIASES) -> str | None:
    """The alpha-2 code of a country named in a feed, or None when the name is not known.

    `aliases` (keys in any case, values alpha-2 or alpha-3 codes) come first; then ISO 3166-1's
    name, common name and official name, matched whole, ignoring case and accents; then a few
    common English names ISO spells otherwise ("Turkey", "Russia"). Nothing is guessed.
    """
    key = _folded(name)
    for alias, code in aliases.items():
        if _folded(alias) == key:
            return territory_code(code)
    return _names().get(key)


def _folded(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", " ".join(name.split()))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()


@lru_cache(maxsize=1)
def _names() -> Mapping[str, str]:
    names: dict[str, str] = {_folded(alias): code for alias, code in COMMON_NAMES.items()}
    for country in _pycountry().countries:
        for attribute in ("official_name", "common_name", "name"):
            spelled = getattr(country, attribute, None)
            if spelled:
                names[_folded(spelled)] = str(country.alpha_2)
    return MappingProxyType(names)


@lru_cache(maxsize=1)
def _pycountry() -> ModuleType:
    """ISO 3166-1, imported on first use: importing it costs 15-50 ms of a cold start, which the
    functions that never look a territory up (audit review, digests) need not pay."""
    import pycountry  # noqa: PLC0415 - on the first lookup, not at a cold start

    return pycountry
