"""The processor crashing at any of its AWS calls, then the queue redelivering its event, ends in
the objects a run without the crash leaves: over the fakes, every call counted."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from clearance.terms.policy import PolicySet
from tests.conftest import DEMO_ARTICLES
from tests.fakes import OUTPUTS, FakeCloud, Faults

pytestmark = pytest.mark.reliability

MENAFN = (DEMO_ARTICLES / "menafn-ports.txt").read_bytes()
NTB_KILL = json.loads((DEMO_ARTICLES / "ntb-kill.json").read_bytes())
FAULT_FILES = {
    "inbound/menafn/a.txt": MENAFN,
    "inbound/menafn/b.txt": (DEMO_ARTICLES / "menafn-ports-disclaimer-altered.txt").read_bytes(),
    "inbound/ntb/usable.json": json.dumps(
        {**NTB_KILL, "pubstatus": "usable", "version": "1"}
    ).encode(),
    "inbound/ntb/kill.json": json.dumps(NTB_KILL).encode(),
}
# Per run, every AWS call the processor makes: one GetObject per input (its length checked
# before its body is read), a read of each article's state, the copies, the conditional commits,
# the outbox's records and events, and clearing it (each terms text kept once); the kill of the
# published NTB article deletes its three cleared copies in one request, by the versions the
# state kept (no HeadObject first).
FAULT_FREE_CALLS = 40
ARRIVED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TAKEN_UP = ARRIVED + timedelta(seconds=5)
REDELIVERIES = 20


def redelivered(work: Callable[[], object]) -> None:
    """What SQS does with a message whose invocation failed: deliver it again, until it
    succeeds (the dead-letter queue's bound aside)."""
    for _ in range(REDELIVERIES):
        try:
            work()
        except Exception:  # noqa: BLE001, S112 - any failure fails the message, and it comes back
            continue
        return
    raise AssertionError("the event was never processed")


def run(policies: PolicySet, faults: Faults) -> dict[str, dict[str, bytes]]:
    """The files' events, in order, delivered to a processor over fresh outputs; every object a
    user can then see, by bucket role."""
    cloud = FakeCloud()
    sources = [
        cloud.drop(key, data, ARRIVED + timedelta(seconds=n), f"req-{n}")
        for n, (key, data) in enumerate(FAULT_FILES.items())
    ]
    articles = cloud.articles(policies, clock=lambda: TAKEN_UP)
    processor = cloud.processor(articles, clock=lambda: TAKEN_UP)
    with faults.installed(cloud):
        for source in sources:
            redelivered(partial(processor.process, source))
    return {
        role: {key: _same_removal_times(data) for key, data in cloud.bucket(role).objects().items()}
        for role in OUTPUTS
    }


def _same_removal_times(data: bytes) -> bytes:
    """A record's removals name object versions and times that differ from run to run."""
    if not data.startswith(b"{") or b'"removed"' not in data:
        return data
    record = json.loads(data)
    for item in record["removed"]:
        item["version_id"] = item["removed_at"] = "(this run's)"
    return json.dumps(record, sort_keys=True).encode()


@pytest.mark.parametrize("after", [False, True], ids=["before-the-call", "after-it-succeeds"])
def test_a_fault_at_any_aws_call_then_redelivery_reaches_the_fault_free_state(
    policies: PolicySet, after: bool, figure: Callable[[str], None]
) -> None:
    # Given the same S3 events delivered to a fault-free run, counting its AWS calls
    reference = Faults(None)
    expected = run(policies, reference)
    assert reference.calls == FAULT_FREE_CALLS
    differing = []
    for fail_at in range(1, FAULT_FREE_CALLS + 1):
        # When the nth call fails (before it is made, or after it succeeded) and SQS
        # redelivers the failed message
        faults = Faults(fail_at, after=after)
        actual = run(policies, faults)
        assert faults.calls > fail_at
        # Then the final keys and bytes are those of the fault-free run
        if actual != expected:
            differing.append(f"{reference.names[fail_at - 1]} (call {fail_at})")
    assert differing == []
    calls = Counter(name.split(".")[-1] for name in reference.names)
    figure(
        f"processor, a fault {'after each' if after else 'before each'} of its"
        f" {FAULT_FREE_CALLS} AWS calls ({', '.join(f'{n} {m}' for m, n in sorted(calls.items()))})"
        f" then redelivery: {FAULT_FREE_CALLS} of {FAULT_FREE_CALLS} runs end in the fault-free"
        " run's objects"
    )
