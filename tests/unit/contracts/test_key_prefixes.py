"""Every key a builder in `contracts/keys.py` makes lies under the prefix the IAM policies grant.

`tests/integration/test_template.py` derives each function's S3 permissions from the prefix
constants; this holds the builders to those constants, so a layout change made in a builder alone
cannot reach AWS with policies that refuse it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from clearance.contracts import keys

HOUR = datetime(2026, 11, 23, 9, tzinfo=UTC)
SHA = "ab" * 32
ARTICLE = keys.article_id("menafn", "urn:menafn:1")
RECORD = {
    "decided_at": "2026-11-23T09:14:02+00:00",
    "provider": "menafn",
    "outcome": "cleared",
    "decision_id": "d-1",
}

BUILT: dict[str, tuple[str, Callable[[], str | tuple[str, ...]]]] = {
    "inbound_key": (keys.INBOUND, lambda: keys.inbound_key("menafn", HOUR.date(), "d", "txt")),
    "pulled_key": (keys.INBOUND, lambda: keys.pulled_key("the-conversation", "d", "xml")),
    "receipt_key": (keys.RECEIPTS, lambda: keys.receipt_key("menafn", "msg_1")),
    "cleared_prefix": (keys.CLEARED, lambda: keys.cleared_prefix("menafn", ARTICLE)),
    "cleared_version_prefix": (
        keys.CLEARED,
        lambda: keys.cleared_version_prefix("menafn", ARTICLE, "1"),
    ),
    "cleared_key": (keys.CLEARED, lambda: keys.cleared_key("menafn", ARTICLE, "1", SHA, "html")),
    "tombstone_key": (keys.TOMBSTONES, lambda: keys.tombstone_key("menafn", ARTICLE)),
    "quarantine_keys": (
        keys.QUARANTINE,
        lambda: keys.quarantine_keys("menafn", date(2026, 11, 23), SHA, "txt"),
    ),
    "decision_key": (
        keys.DECISIONS,
        lambda: keys.decision_key("2026-11-23", "menafn", "cleared", "d-1"),
    ),
    "record_key": (keys.DECISIONS, lambda: keys.record_key(RECORD)),
    "decision_day_prefix": (keys.DECISIONS, lambda: keys.decision_day_prefix("2026-11-23")),
    "article_pointers_prefix": (keys.ARTICLE_POINTERS, lambda: keys.article_pointers_prefix("a")),
    "article_pointer_key": (
        keys.ARTICLE_POINTERS,
        lambda: keys.article_pointer_key(ARTICLE, "d-1", "cleared"),
    ),
    "digest_key": (keys.DIGESTS, lambda: keys.digest_key(HOUR)),
    "segment_key": (keys.SEGMENTS, lambda: keys.segment_key(HOUR)),
    "segment_day_prefix": (keys.SEGMENTS, lambda: keys.segment_day_prefix("2026-11-23")),
    "policy_text_key": (keys.POLICIES, lambda: keys.policy_text_key("menafn", SHA)),
}
"""Each builder of a key or a prefix of keys, the prefix its keys lie under, and one call."""


def test_every_builder_of_keys_is_held_to_a_prefix() -> None:
    # Given every public function of the layout that builds a key or a prefix of keys (the
    # readers of a key, such as `parse_decision_key`, return something else)
    builders = {
        name
        for name, function in inspect.getmembers(keys, inspect.isfunction)
        if function.__module__ == keys.__name__
        and not name.startswith("_")
        and name.endswith(("_key", "_keys", "_prefix"))
        and inspect.signature(function).return_annotation in {"str", "tuple[str, str]"}
    }

    # Then each is checked below: a new part of the layout cannot go unchecked
    assert builders == set(BUILT)


@pytest.mark.parametrize("builder", sorted(BUILT))
def test_a_builders_keys_lie_under_its_prefix(builder: str) -> None:
    # Given a builder and the prefix the functions' policies grant for what it builds
    prefix, build = BUILT[builder]

    # When it builds a key (or a pair of keys)
    built = build()

    # Then every key lies under that prefix, and the audit log's under the audit prefix
    for key in built if isinstance(built, tuple) else (built,):
        assert key.startswith(prefix), key
        assert key.startswith(keys.AUDIT) == prefix.startswith(keys.AUDIT), key
