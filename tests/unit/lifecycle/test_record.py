"""When a delivery is decided: at its arrival when taken up on time, when taken up when late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clearance.lifecycle.record import LATE, Source, taken_up
from clearance.services.digester import SEAL_GRACE

ARRIVED = datetime(2026, 11, 23, 9, 10, tzinfo=UTC)
SOURCE = Source("inbound", "inbound/dpa/a.json", None, ARRIVED, "req-1")


def test_a_delivery_taken_up_on_time_is_decided_as_at_its_arrival() -> None:
    # Given a delivery taken up no later than the lateness allowance after it arrived
    # When it is decided, then it is decided as at its arrival, unchanged
    assert taken_up(SOURCE, ARRIVED + LATE) == SOURCE


def test_a_delivery_taken_up_late_is_decided_when_taken_up() -> None:
    # Given a delivery taken up one second past the lateness allowance
    later = ARRIVED + LATE + timedelta(seconds=1)
    # When it is decided, then it is dated when it was taken up
    assert taken_up(SOURCE, later).arrived_at == later
    # And it is still the same stored delivery
    assert taken_up(SOURCE, later).key == SOURCE.key


def test_an_on_time_delivery_is_recorded_before_its_hour_is_sealed() -> None:
    # Given how late a delivery may be taken up and still be dated at its arrival
    # A record dated at its arrival must be written before the digest seals that hour
    # Then that allowance is shorter than the grace before an hour's digest is sealed
    assert LATE < SEAL_GRACE
