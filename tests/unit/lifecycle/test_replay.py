"""A decision made again from its record: identical when nothing changed, each difference named."""

from __future__ import annotations

from typing import Any

import pytest

from clearance.contracts.vocabulary import ObjectRef
from clearance.decide.engine import clear
from clearance.decide.licensee import Licensee
from clearance.lifecycle.record import Source, delivery_record
from clearance.lifecycle.replay import NotReplayable, licensee_of, replay
from clearance.terms.policy import PolicySet
from tests.conftest import NOW, dpa_article

DATA = dpa_article("urn:newsml:dpa.com:20261123:replay")
KEY = "inbound/dpa/2026/11/23/replay.json"


def record_for(policies: PolicySet, licensee: Licensee) -> dict[str, Any]:
    decision = clear(DATA, policies=policies, now=NOW, licensee=licensee)
    copies = [
        ObjectRef("cleared", f"cleared/{r.name}", r.sha256, r.name) for r in decision.renditions
    ]
    source = Source("inbound", KEY, None, NOW, "req-1")
    return delivery_record(decision, source, len(DATA), copies)


def test_a_record_replayed_from_its_own_input_terms_and_licensee_is_identical(
    policies: PolicySet,
) -> None:
    record = record_for(policies, Licensee("FR", "commercial", "print"))
    policy = policies.by_sha256(record["policy"]["sha256"])
    assert policy is not None
    licensee = licensee_of(record)
    assert licensee == Licensee("FR", "commercial", "print")
    result = replay(record, DATA, policy, licensee)
    assert result.identical, result.differences


def test_a_record_whose_outcome_and_findings_differ_names_each_difference(
    policies: PolicySet,
) -> None:
    # Given a record saying the delivery was held for a finding the decision never made
    record = record_for(policies, Licensee())
    record["outcome"] = "held"
    record["findings"] = [
        {"rule_id": "dpa.invented", "pointer": "", "severity": "major", "message": "invented"}
    ]
    policy = policies.by_sha256(record["policy"]["sha256"])
    assert policy is not None
    # When it is replayed
    result = replay(record, DATA, policy, Licensee())
    # Then the replay is not identical, and says what differs
    assert not result.identical
    assert "outcome: recorded held, replayed cleared" in result.differences
    assert "finding recorded, not replayed: major dpa.invented  invented" in result.differences


def test_other_input_bytes_are_named_as_a_different_input(policies: PolicySet) -> None:
    record = record_for(policies, Licensee())
    policy = policies.by_sha256(record["policy"]["sha256"])
    assert policy is not None
    result = replay(record, DATA + b" ", policy, Licensee())
    assert any(line.startswith("input: ") for line in result.differences)
    assert any(line.startswith("copies: ") for line in result.differences)


def test_a_kill_record_is_not_a_decision_to_replay(policies: PolicySet) -> None:
    record = record_for(policies, Licensee())
    record["event"] = {"kind": "kill", "by": "api"}
    policy = policies.by_sha256(record["policy"]["sha256"])
    assert policy is not None
    with pytest.raises(NotReplayable, match="kill event"):
        replay(record, DATA, policy, Licensee())
