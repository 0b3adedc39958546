"""A delivery taken up hours after it arrived (a dead-letter redrive, an outage) is decided and
recorded when it is taken up, so the sealed hour it arrived in stays whole and `verify` is clean."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from clearance.cli.main import main
from tests.conftest import dpa_article
from tests.integration.harness import NAMES, Harness

ARRIVED = datetime(2026, 11, 23, 9, 10, tzinfo=UTC)
ON_TIME = ARRIVED + timedelta(seconds=3)
TAKEN_UP = ARRIVED + timedelta(hours=5)  # after a fix, the dead-letter queue is redriven


@pytest.fixture
def service(harness: Harness) -> Harness:
    return harness.stack().wire()


def test_a_delivery_taken_up_late_is_recorded_then_and_the_sealed_hour_stays_clean(
    service: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    key = service.signing_key()
    audit = service.articles.buckets["audit"]

    def digest(at: datetime) -> None:
        service.digest(at=at)

    def deliver(name: str, taken_up: datetime) -> None:
        object_key = f"inbound/dpa/{name}.json"
        data = dpa_article(f"urn:newsml:dpa.com:20261123:{name}")
        service.drop(object_key, data)
        service.processor.clock = lambda: taken_up
        service.process(object_key, ARRIVED, f"req-{name}")

    # Given one delivery decided on time, and the hour it arrived in sealed
    deliver("punctual", ON_TIME)
    digest(ARRIVED.replace(minute=0) + timedelta(hours=1, minutes=45))
    # When another delivery that arrived in that hour is taken up five hours later
    deliver("redriven", TAKEN_UP)
    digest(TAKEN_UP + timedelta(hours=2))
    # Then its record is dated when it was decided, in an hour sealed after it
    records = [json.loads(audit.get(k).data) for k in audit.keys("audit/decisions/")]  # type: ignore[union-attr]
    dated = {r["source"]["key"]: r["decided_at"] for r in records}
    assert dated == {
        "inbound/dpa/punctual.json": ARRIVED.isoformat(),
        "inbound/dpa/redriven.json": TAKEN_UP.isoformat(),
    }
    # And the log verifies with no problem
    period = ["--from", "2026-11-23T09:00:00Z", "--to", "2026-11-23T15:00:00Z"]
    code = main(["audit", "verify", "--bucket", NAMES.bucket("audit"), "--key", key, *period])
    out = capsys.readouterr().out.splitlines()[-1]
    assert code == 0, out
    assert out.startswith("verified 2 records in 6 digests"), out
