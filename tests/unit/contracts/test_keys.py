"""Every S3 key is built and read back in one place, and no provider-sent id escapes its prefix."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest

from clearance.contracts import keys
from clearance.contracts.schemas import load_schema

HOSTILE_IDS = [
    "../../etc/passwd",
    "%2e%2e/x",
    "a\x00b",
    "line\r\nbreak",
    "\u202eevil",
    "x" * 5000,
    "",
]


def test_provider_id_pattern_is_the_one_every_schema_shares() -> None:
    # Given the shared definition the article, policy and cleared schemas refer to
    shared = load_schema("common.schema.json")["$defs"]["provider_id"]["pattern"]
    # Then the key layout checks provider ids with exactly that pattern
    assert keys.PROVIDER_ID.pattern == shared
    for name in ("article", "cleared", "policy"):
        text = str(load_schema(f"{name}.schema.json"))
        assert "common.schema.json#/$defs/provider_id" in text
        assert "[a-z0-9][a-z0-9-]" not in text


@pytest.mark.parametrize("value", ["menafn", "the-conversation", "a", "ap2"])
def test_provider_ids_are_accepted(value: str) -> None:
    assert keys.is_provider_id(value)


@pytest.mark.parametrize("value", ["", "-x", "MENAFN", "a/b", "menafn\n", "a" * 64, "a_b"])
def test_anything_else_is_not_a_provider_id(value: str) -> None:
    assert not keys.is_provider_id(value)


def test_inbound_key_names_its_provider_day_and_extension() -> None:
    # When a delivery's key is built
    delivery = keys.delivery_id("urn:menafn:123", "2", "ab" * 32)
    key = keys.inbound_key("menafn", date(2026, 11, 30), delivery, "txt")
    # Then it reads back as that provider's, with the extension it was given
    assert key == f"inbound/menafn/2026/11/30/{delivery}.txt"
    assert keys.is_inbound(key)
    assert keys.provider_of_inbound(key) == "menafn"
    assert keys.extension_of(key) == "txt"
    assert delivery.startswith("123-")
    assert "-v2-abababababababab" in delivery


@pytest.mark.parametrize(
    "key", ["inbound/stray.json", "inbound/NOT_A_PROVIDER/x.json", "cleared/menafn/x.json"]
)
def test_a_key_that_names_no_provider_gives_none(key: str) -> None:
    assert keys.provider_of_inbound(key) is None


def test_cleared_copies_of_every_version_lie_under_the_article_prefix() -> None:
    article = keys.article_id("menafn", "urn:menafn:123")
    prefix = keys.cleared_prefix("menafn", article)
    for version in ("1", "2"):
        key = keys.cleared_key("menafn", article, version, "cd" * 32, "html")
        assert key.startswith(prefix)
        assert key.endswith(f"/v{version}-{'cd' * 8}.html")
    other = keys.article_id("menafn", "urn:menafn:1234")
    assert not keys.cleared_key("menafn", other, "1", "cd" * 32, "html").startswith(prefix)


def test_the_same_uri_from_two_providers_is_two_articles() -> None:
    # Given one uri, sent by dpa and by NTB
    dpa, ntb = keys.article_id("dpa", "urn:x:1"), keys.article_id("ntb", "urn:x:1")
    # Then they are two articles, with their own copies and tombstones
    assert dpa != ntb
    assert dpa.startswith("1-")
    assert keys.cleared_prefix("dpa", dpa) != keys.cleared_prefix("ntb", ntb)
    assert keys.tombstone_key("dpa", dpa) != keys.tombstone_key("ntb", ntb)


def test_tombstone_and_quarantine_keys_are_stable_and_apart() -> None:
    article = keys.article_id("menafn", "urn:x")
    assert keys.tombstone_key("menafn", article) == f"tombstones/menafn/{article}.json"
    held, findings = keys.quarantine_keys(None, date(2026, 11, 30), "ef" * 32, "")
    assert held == f"quarantine/unknown/2026-11-30/{'ef' * 32}.bin"
    assert findings == f"quarantine/unknown/2026-11-30/{'ef' * 32}.findings.json"


@pytest.mark.reliability
@pytest.mark.parametrize("hostile", HOSTILE_IDS)
def test_hostile_ids_never_leave_their_prefix(hostile: str) -> None:
    # When provider-sent values reach keys
    built = [
        keys.cleared_key("menafn", hostile, hostile, "ab" * 32, "json"),
        keys.tombstone_key("menafn", hostile),
        keys.article_pointer_key(keys.article_id(hostile, hostile), "d1", "held"),
        keys.receipt_key("menafn", hostile),
        keys.quarantine_keys(hostile, date(2026, 1, 1), "ab" * 32, hostile)[0],
    ]
    # Then only allowed characters reach any segment, and no segment climbs out
    for key in built:
        segments = key.split("/")
        assert all(re.fullmatch(r"[A-Za-z0-9_.=-]+", s) for s in segments), key
        assert ".." not in segments
        assert "." not in segments


def test_decision_keys_read_back_into_their_parts() -> None:
    record = {
        "decided_at": "2026-11-30T09:15:00+00:00",
        "provider": "dpa",
        "outcome": "held",
        "decision_id": "abc-123",
    }
    key = keys.record_key(record)
    assert key == "audit/decisions/dt=2026-11-30/dpa/held/abc-123.json"
    assert keys.parse_decision_key(key) == keys.DecisionKey("2026-11-30", "dpa", "held", "abc-123")
    assert keys.day_of_decision_key(key) == "2026-11-30"
    assert keys.day_of_partition(keys.decision_day_prefix("2026-11-30")) == "2026-11-30"
    unknown = keys.record_key({**record, "provider": None})
    assert keys.parse_decision_key(unknown) == keys.DecisionKey(
        "2026-11-30", "unknown", "held", "abc-123"
    )


@pytest.mark.parametrize(
    "key",
    [
        "audit/decisions/dt=2026-11-30/dpa/held.json",
        "audit/decisions/dt=2026-13/dpa/held/x.json",
        "audit/decisions/dt=2026-11-30/dpa/held/x.txt",
        "audit/articles/x/y.json",
    ],
)
def test_other_keys_are_not_decision_keys(key: str) -> None:
    assert keys.parse_decision_key(key) is None


def test_digest_keys_name_their_hour_and_nothing_else() -> None:
    hour = datetime(2026, 11, 30, 7, tzinfo=UTC)
    key = keys.digest_key(hour)
    assert key == "audit/digests/2026/11/30/07.json"
    assert keys.hour_of_digest_key(key) == hour
    assert keys.hour_of_digest_key("audit/digests/2026/02/30/07.json") is None
    assert keys.hour_of_digest_key("audit/digests/2026/11/30/07.json.bak") is None


def test_the_audit_record_schema_names_exactly_the_outcomes_decisions_have() -> None:
    # The audit record schema stands alone for readers outside the project, so it lists the
    # outcomes itself; they must be the engine's.
    from clearance.decide.findings import Outcome  # noqa: PLC0415

    outcomes = load_schema("audit-record.schema.json")["properties"]["outcome"]["enum"]
    assert outcomes == [outcome.value for outcome in Outcome]
