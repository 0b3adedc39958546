"""Territories in any spelling a licence or feed uses reduce to one ISO 3166-1 alpha-2 code."""

from __future__ import annotations

import pytest

from clearance.contracts.territory import TerritoryError, territory_code, territory_named


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("GB", "GB"),
        ("gb", "GB"),
        ("GBR", "GB"),
        ("deu", "DE"),
        (" FRA ", "FR"),
        ("http://cvx.iptc.org/iso3166-1a2/GB", "GB"),
        ("http://cvx.iptc.org/iso3166-1a3/GBR", "GB"),
        ("http://cvx.iptc.org/iso3166-1a3/tur", "TR"),
    ],
)
def test_codes_and_iptc_uris_normalise_to_alpha_2(value: str, code: str) -> None:
    # Given a territory as an alpha-2 or alpha-3 code, in any case, or as an IPTC URI
    # When it is read, then it is that territory's alpha-2 code
    assert territory_code(value) == code


@pytest.mark.parametrize(
    "value",
    ["XX", "UK", "GBX", "G", "United Kingdom", "", "http://cvx.iptc.org/iso3166-1a3/XYZ", "ÄB"],
)
def test_values_that_are_no_iso_code_are_refused_naming_the_value(value: str) -> None:
    # Given a value that is no ISO 3166-1 code: a made-up code, "UK", a name, nothing
    # When it is read as a territory, then it is refused
    with pytest.raises(TerritoryError) as raised:
        territory_code(value)
    # And the message quotes the value
    assert str(raised.value) == f"{value!r} is not an ISO 3166-1 alpha-2 or alpha-3 code"


def test_a_territory_error_is_a_value_error() -> None:
    # Given a code that is no territory
    # When it is read, then it is refused as a ValueError naming the code
    with pytest.raises(ValueError, match="'ZZ'"):
        territory_code("ZZ")


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("UNITED KINGDOM", "GB"),
        ("South Korea", "KR"),
        ("korea, republic of", "KR"),
        ("United Kingdom of Great Britain and Northern Ireland", "GB"),
        ("TÜRKIYE", "TR"),
        ("Turkiye", "TR"),
        ("TURKEY", "TR"),
        ("RUSSIA", "RU"),
        ("  united   states ", "US"),
    ],
)
def test_country_names_from_feeds_are_recognised_whole(name: str, code: str) -> None:
    # Given a country's name as a feed writes it: any case, extra spaces, the long form
    # When it is looked up, then it is that country's code
    assert territory_named(name) == code


@pytest.mark.parametrize("name", ["UNITED", "Kingdom", "Narnia", "Korea", "", "GB"])
def test_partial_or_unknown_names_are_not_guessed(name: str) -> None:
    # Given part of a name, an unknown name, or a code rather than a name
    # When it is looked up, then no country is guessed
    assert territory_named(name) is None


def test_aliases_come_first_in_any_case_and_may_use_alpha_3() -> None:
    # Given aliases, one naming an alpha-3 code and one shadowing a country's name
    aliases = {"Blighty": "GBR", "GEORGIA": "US"}
    # When an alias is looked up in another case, then it is its alpha-2 code
    assert territory_named("BLIGHTY", aliases) == "GB"
    # An alias overrides the ISO name it shadows
    assert territory_named("georgia", aliases) == "US"
    # And without the aliases, the name is that country again
    assert territory_named("georgia") == "GE"


def test_an_alias_to_an_unknown_code_is_refused() -> None:
    # Given an alias that points at a code that is no territory
    # When a name is looked up through it, then it is refused, naming the code
    with pytest.raises(TerritoryError, match="'XX'"):
        territory_named("Atlantis", {"atlantis": "XX"})
