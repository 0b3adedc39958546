"""The audit record's vocabulary is the schema's: every word the lifecycle writes and the audit
reads is one the record schema allows, and every word it allows is spelled in the vocabulary."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import pytest

from clearance.contracts.schemas import load_schema
from clearance.contracts.vocabulary import (
    CopyKind,
    EventKind,
    ObjectRef,
    ReviewVerdict,
    TimerKind,
)
from clearance.decide.findings import Outcome

RECORD = load_schema("audit-record.schema.json")["properties"]


def _enum(*path: str) -> list[Any]:
    node: Any = RECORD
    for name in path:
        node = node[name]
    return list(node["enum"])


@pytest.mark.parametrize(
    ("words", "path"),
    [
        (EventKind, ("event", "properties", "kind")),
        (TimerKind, ("event", "properties", "timer")),
        (CopyKind, ("copies", "items", "properties", "kind")),
        (ReviewVerdict, ("review", "properties", "verdict")),
        (Outcome, ("outcome",)),
    ],
    ids=["event kinds", "timers", "copy kinds", "verdicts", "outcomes"],
)
def test_each_enum_of_the_record_schema_is_the_vocabulary(
    words: type[StrEnum], path: tuple[str, ...]
) -> None:
    # Given one enum of the audit-record schema
    allowed = _enum(*path)
    # When the vocabulary's words for it are listed
    spelled = [word.value for word in words]
    # Then they are the same words, in the same order
    assert spelled == allowed


def test_an_object_reference_gives_the_members_the_record_schema_names() -> None:
    # Given an object taken down, as a reference
    ref = ObjectRef(
        "cleared-b", "cleared/x.json", "a" * 64, CopyKind.JSON, "v1", "2026-11-23T12:00:00+00:00"
    )
    # When it is written as a record's copy and as a removal
    copy, removed = ref.as_copy(), ref.as_removed()
    # Then each has exactly the members the schema requires of it
    assert set(copy) == set(RECORD["copies"]["items"]["required"])
    assert set(removed) == set(RECORD["removed"]["items"]["required"])
