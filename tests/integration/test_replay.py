"""`clearance replay DECISION_ID` against moto: a stored decision made again from what it saw.

The processor decides deliveries and writes their records; the replay reads the record, the
delivery at the object version recorded and the terms text by its hash, and must come out
identical, also after a newer version of the provider's terms has taken effect.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from clearance.cli.main import main
from clearance.contracts import keys
from clearance.decide.licensee import Licensee
from tests.conftest import dpa_article
from tests.integration.harness import NAMES, Harness

AUDIT = ["--bucket", NAMES.bucket("audit")]
# AP's 2019 terms were in force then; its 2026 terms (effective 2026-06-01) came later.
IN_2025 = datetime(2025, 9, 1, 12, 0, tzinfo=UTC)
IN_2026 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def ap_article(uri: str) -> bytes:
    """An AP ninjs 2.x item of our own writing, with AP's territorial editor's note."""
    return json.dumps(
        {
            "uri": uri,
            "type": "text",
            "version": "1",
            "versioncreated": "2025-09-01T10:00:00Z",
            "pubstatus": "usable",
            "headline": "Ferry operators add winter crossings",
            "ednote": "TURKEY OUT",
            "body_text": "Two ferry operators said they would add winter crossings next month.",
            "usageterms": "This content is intended for editorial use only.",
        }
    ).encode()


@pytest.fixture
def service(harness: Harness) -> Harness:
    """The processor over moto, deciding for a licensee in Turkey."""
    return harness.stack().wire(licensee=Licensee("TR"))


def deliver(
    service: Harness, provider: str, name: str, data: bytes, at: datetime
) -> dict[str, Any]:
    """Decide one delivery; the record the processor wrote for it."""
    key = service.drop(f"inbound/{provider}/{name}.json", data)
    service.processor.clock = lambda: at
    service.process(key, at, f"req-{name}")
    sha256 = hashlib.sha256(data).hexdigest()
    for record in service.records():
        if record["source"]["sha256"] == sha256:
            return record
    raise AssertionError(f"no record for {key}")


def test_a_cleared_decision_replays_identical_and_exits_0(
    service: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a dpa delivery the processor cleared for a licensee in Turkey
    record = deliver(
        service, "dpa", "bahn", dpa_article("urn:newsml:dpa.com:20261123:bahn"), IN_2026
    )
    assert record["outcome"] == "cleared"
    # Then the record states the licensee the decision was made for
    assert record["licensee"] == {"territory": "TR", "use": "editorial", "channel": "web"}
    # When it is replayed
    code = main(["replay", record["decision_id"], *AUDIT])
    # Then the replay is identical
    out = capsys.readouterr().out
    assert code == 0, out
    assert "replayed: identical" in out
    assert "TR/editorial/web" in out


def test_the_terms_text_a_decision_used_is_kept_in_the_audit_bucket_by_its_hash(
    service: Harness,
) -> None:
    record = deliver(
        service, "dpa", "kept", dpa_article("urn:newsml:dpa.com:20261123:kept"), IN_2026
    )
    ref = record["policy"]
    stored = service.articles.buckets["audit"].get(keys.policy_text_key("dpa", ref["sha256"]))
    assert stored is not None
    assert hashlib.sha256(stored.data).hexdigest() == ref["sha256"]


def test_a_decision_under_superseded_terms_replays_against_those_terms(
    service: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an AP story with a 'TURKEY OUT' note, decided in 2025 under AP's 2019 terms: the
    # terms hold any story with a territory note, and the note itself excludes this licensee
    record = deliver(service, "ap", "ferries", ap_article("https://api.ap.org/ferries"), IN_2025)
    assert record["policy"]["version"] == "2019.1"
    assert record["outcome"] == "rejected"
    assert {f["rule_id"] for f in record["findings"]} == {
        "ap.no-territory-restriction",
        "wording.territory-out.tr",
    }
    # When it is replayed today, with AP's 2026 terms in force and shipped
    code = main(["replay", record["decision_id"], *AUDIT, "--json"])
    # Then it is decided again under the 2019 text it names, and comes out the same
    result = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert code == 0, result
    assert result["identical"] is True
    assert result["replayed"]["policy"] == record["policy"]
    assert result["replayed"]["outcome"] == "rejected"


def test_the_same_story_under_the_newer_terms_is_rejected_only_for_turkey(
    service: Harness,
) -> None:
    record = deliver(
        service, "ap", "ferries-2", ap_article("https://api.ap.org/ferries-2"), IN_2026
    )
    assert record["policy"]["version"] == "2026.1"
    assert record["outcome"] == "rejected"
    assert [f["rule_id"] for f in record["findings"]] == ["feed.ap.territory-out.tr"]


def test_a_decision_whose_delivery_is_gone_cannot_be_replayed_and_exits_2(
    service: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    record = deliver(
        service, "dpa", "gone", dpa_article("urn:newsml:dpa.com:20261123:gone"), IN_2026
    )
    service.s3.delete_object(Bucket=service.inbound.name, Key=record["source"]["key"])
    assert main(["replay", record["decision_id"], *AUDIT]) == 2
    assert "is gone" in capsys.readouterr().err


def test_an_unknown_decision_id_exits_2_naming_it(
    service: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["replay", "0" * 64 + "-none", *AUDIT]) == 2
    assert f"no decision {'0' * 64}-none" in capsys.readouterr().err
