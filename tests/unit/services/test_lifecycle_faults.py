"""A crash at any AWS call of a timer, a verdict or a kill, then the retry a sweep, a reviewer
or a provider makes, ends in the same objects and state as a run without the crash."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from clearance.contracts import keys
from clearance.lifecycle.events import KillOrdered
from clearance.local.resources import Names
from clearance.terms.policy import PolicySet
from tests.conftest import dpa_article
from tests.fakes import OUTPUTS, Faults
from tests.unit.services.container import DELIVERED, LATER, Container, day_of

pytestmark = pytest.mark.reliability

URI = "urn:newsml:dpa.com:20261123:faults"


def deliver(world: Container, data: bytes, provider: str = "dpa") -> None:
    world.deliver(f"inbound/{provider}/{keys.article_slug(URI)}.json", data, DELIVERED, "req-1")


def seen(world: Container) -> dict[str, Any]:
    """What a user could look at: every object (removal times aside) and the state."""
    names = world.cloud.names
    objects = {
        f"{role}:{key}": _comparable(data, names)
        for role in OUTPUTS
        for key, data in world.cloud.bucket(role).objects().items()
    }
    state = world.articles.states.get(keys.article_id("dpa", URI))
    assert state is not None
    found = state.to_dict()
    found.pop("revision")
    for copy in (copy for version in found["versions"] for copy in version["copies"]):
        # Each copy's S3 version is kept (its id differs from run to run).
        assert copy["version_id"] is not None, copy["key"]
        copy["version_id"] = "(this run's)"
    return {
        "objects": objects,
        "state": json.loads(_comparable(json.dumps(found).encode(), names)),
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


def _published_then_killed(world: Container) -> None:
    deliver(world, dpa_article(URI))
    kill = KillOrdered("api:editor", "req-kill")
    world.articles.apply(keys.article_id("dpa", URI), lambda _: kill, DELIVERED)


Scenario = tuple[Callable[[Container], None], Callable[[Container], object]]
SCENARIOS: dict[str, Scenario] = {
    "embargo released": (
        lambda w: deliver(
            w, dpa_article(URI, embargo=(DELIVERED + timedelta(hours=1)).isoformat())
        ),
        lambda w: w.lifecycle.sweep(),
    ),
    "held version approved": (
        lambda w: deliver(w, dpa_article(URI, copyrightNotice="(c) somebody else")),
        lambda w: w.reviews.verdict(
            keys.article_id("dpa", URI),
            {"version": "1", "verdict": "approve", "reason": "checked"},
            "arn:aws:iam::123456789012:user/reviewer",
            "req-review",
        ),
    ),
    "published version killed": (
        lambda w: deliver(w, dpa_article(URI)),
        lambda w: w.articles.apply(
            keys.article_id("dpa", URI), lambda _: KillOrdered("api:editor", "req-kill"), LATER
        ),
    ),
    "kill deadline checked": (_published_then_killed, lambda w: w.lifecycle.sweep()),
}


def carried_out(
    policies: PolicySet, scenario: Scenario, fail_at: int | None, *, after: bool = False
) -> tuple[dict[str, Any], Faults]:
    """In a cloud of its own: the scenario's setup, then its event, crashing once at call
    `fail_at` (before it is made, or after it succeeded) and tried again; what a user sees
    afterwards, and the event's AWS calls."""
    before, event = scenario
    services = day_of(policies)
    before(services)
    faults = Faults(fail_at, after=after)
    with faults.installed(services.cloud):
        try:
            event(services)
        except ConnectionError:
            event(services)
    return seen(services), faults


@pytest.mark.parametrize("after", [False, True], ids=["before-the-call", "after-it-succeeds"])
def test_a_crash_at_any_call_then_a_retry_ends_as_a_clean_run(
    policies: PolicySet, after: bool, figure: Callable[[str], None]
) -> None:
    calls: Counter[str] = Counter()
    for scenario in SCENARIOS.values():
        # Given the event carried out once without any fault, counting its AWS calls
        expected, clean = carried_out(policies, scenario, None)
        assert clean.calls > 3
        calls.update(name.split(".")[-1] for name in clean.names)
        for fail_at in range(1, clean.calls + 1):
            # When the same event crashes at call `fail_at`, and is then tried again
            found, _ = carried_out(policies, scenario, fail_at, after=after)
            # Then what a user can see is what the clean run left
            where = f"fault {'after' if after else 'at'} call {fail_at} of {clean.calls}"
            assert sorted(found["objects"]) == sorted(expected["objects"]), where
            for key, value in expected["objects"].items():
                assert found["objects"][key] == value, f"{where}: {key}"
            assert found["state"] == expected["state"], where
    total = calls.total()
    figure(
        f"timers, verdicts and kills ({len(SCENARIOS)} events), a fault"
        f" {'after each' if after else 'before each'} of their {total} AWS calls"
        f" ({', '.join(f'{n} {m}' for m, n in sorted(calls.items()))}) then a retry:"
        f" {total} of {total} end as the clean run"
    )
