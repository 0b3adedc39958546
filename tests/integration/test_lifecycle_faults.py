"""A crash at any AWS call of a timer, a verdict or a kill, then the retry a sweep, a reviewer
or a provider makes, ends in the same objects and state as a run without the crash."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from clearance.aws.store import Bucket
from clearance.contracts import keys
from clearance.decide.licensee import Licensee
from clearance.lifecycle.events import KillOrdered
from clearance.lifecycle.record import Source
from clearance.local.resources import Names
from clearance.services.lifecycle import Lifecycle
from clearance.services.processor import Processor
from clearance.services.review import Reviews
from clearance.terms.policy import PolicySet
from tests.conftest import dpa_article
from tests.integration.conftest import OUTPUTS, Faults, moto_articles, provision_state_stack

pytestmark = pytest.mark.reliability

CREDENTIALS = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
DELIVERED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LATER = DELIVERED + timedelta(hours=2)
URI = "urn:newsml:dpa.com:20261123:faults"


class World:
    """One run's own buckets, table and bus, and the services over them."""

    def __init__(self, policies: PolicySet) -> None:
        self.names = Names()
        provision_state_stack(self.names)
        self.articles = moto_articles(policies, names=self.names, clock=lambda: LATER)
        s3 = boto3.client("s3", region_name=self.names.region)
        self.inbound = Bucket(s3, self.names.bucket("inbound"))
        self.processor = Processor(
            self.inbound, self.articles, Licensee(), clock=lambda: DELIVERED + timedelta(seconds=5)
        )
        self.lifecycle = Lifecycle(self.articles, self.inbound, Licensee(), clock=lambda: LATER)
        self.reviews = Reviews(self.lifecycle, clock=lambda: LATER)

    def deliver(self, data: bytes, provider: str = "dpa") -> None:
        key = f"inbound/{provider}/{keys.article_slug(URI)}.json"
        self.inbound.client.put_object(Bucket=self.inbound.name, Key=key, Body=data)
        self.processor.process(Source(self.inbound.name, key, None, DELIVERED, "req-1"))

    def seen(self) -> dict[str, Any]:
        """What a user could look at: every object (removal times aside) and the state."""
        objects: dict[str, Any] = {}
        for role in OUTPUTS:
            bucket = self.articles.buckets[role]
            for key in bucket.keys(""):
                stored = bucket.get(key)
                assert stored is not None
                objects[f"{role}:{key}"] = _comparable(stored.data, self.names)
        state = self.articles.states.get(keys.article_id("dpa", URI))
        assert state is not None
        found = state.to_dict()
        found.pop("revision")
        return {
            "objects": objects,
            "state": json.loads(_comparable(json.dumps(found).encode(), self.names)),
        }


def _comparable(data: bytes, names: Names) -> Any:
    text = data.decode()
    for role in (*OUTPUTS, "inbound"):
        text = text.replace(names.bucket(role), f"<{role}>")
    if not text.startswith("{"):
        return text
    document = json.loads(text)
    for item in document.get("removed", []) if isinstance(document, dict) else []:
        item["version_id"] = item["removed_at"] = "(this run's)"
    return json.dumps(document, sort_keys=True)


def _published_then_killed(world: World) -> None:
    world.deliver(dpa_article(URI))
    kill = KillOrdered("api:editor", "req-kill")
    world.articles.apply(keys.article_id("dpa", URI), lambda _: kill, DELIVERED)


Scenario = tuple[Callable[[World], None], Callable[[World], object]]
SCENARIOS: dict[str, Scenario] = {
    "embargo released": (
        lambda w: w.deliver(dpa_article(URI, embargo=(DELIVERED + timedelta(hours=1)).isoformat())),
        lambda w: w.lifecycle.sweep(),
    ),
    "held version approved": (
        lambda w: w.deliver(dpa_article(URI, copyrightNotice="(c) somebody else")),
        lambda w: w.reviews.verdict(
            keys.article_id("dpa", URI),
            {"version": "1", "verdict": "approve", "reason": "checked"},
            "arn:aws:iam::123456789012:user/reviewer",
            "req-review",
        ),
    ),
    "published version killed": (
        lambda w: w.deliver(dpa_article(URI)),
        lambda w: w.articles.apply(
            keys.article_id("dpa", URI), lambda _: KillOrdered("api:editor", "req-kill"), LATER
        ),
    ),
    "kill deadline checked": (_published_then_killed, lambda w: w.lifecycle.sweep()),
}


def carried_out(
    policies: PolicySet, scenario: Scenario, fail_at: int | None, *, after: bool = False
) -> tuple[dict[str, Any], Faults]:
    """In a moto of its own: the scenario's setup, then its event, crashing once at call
    `fail_at` (before it is made, or after it succeeded) and tried again; what a user sees
    afterwards, and the event's AWS calls."""
    before, event = scenario
    with mock_aws():
        world = World(policies)
        before(world)
        faults = Faults(fail_at, after=after)
        with pytest.MonkeyPatch.context() as patch:
            faults.install(patch)
            try:
                event(world)
            except ConnectionError:
                event(world)
        return world.seen(), faults


@pytest.mark.parametrize("after", [False, True], ids=["before-the-call", "after-it-succeeds"])
def test_a_crash_at_any_call_then_a_retry_ends_as_a_clean_run(
    policies: PolicySet,
    monkeypatch: pytest.MonkeyPatch,
    after: bool,
    figure: Callable[[str], None],
) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    calls: Counter[str] = Counter()
    for scenario in SCENARIOS.values():
        # Given the event carried out once without any fault, counting its AWS calls
        expected, clean = carried_out(policies, scenario, None)
        assert clean.calls > 3
        calls.update(name.split(".")[-1] for name in clean.names)
        for fail_at in range(1, clean.calls + 1):
            # When the same event crashes at call `fail_at`, and is then tried again
            seen, _ = carried_out(policies, scenario, fail_at, after=after)
            # Then what a user can see is what the clean run left
            where = f"fault {'after' if after else 'at'} call {fail_at} of {clean.calls}"
            assert sorted(seen["objects"]) == sorted(expected["objects"]), where
            for key, value in expected["objects"].items():
                assert seen["objects"][key] == value, f"{where}: {key}"
            assert seen["state"] == expected["state"], where
    total = calls.total()
    figure(
        f"timers, verdicts and kills ({len(SCENARIOS)} events), a fault"
        f" {'after each' if after else 'before each'} of their {total} AWS calls"
        f" ({', '.join(f'{n} {m}' for m, n in sorted(calls.items()))}) then a retry:"
        f" {total} of {total} end as the clean run"
    )
