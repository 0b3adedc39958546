"""The one transition: supersession, embargo release, expiry, kills and reviewers' verdicts, as
plain data in and plain data out."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from clearance.contracts import keys
from clearance.contracts.vocabulary import TimerKind
from clearance.decide.engine import Approval, Decision, Prior, decide, identify
from clearance.decide.findings import Outcome
from clearance.decide.licensee import Licensee
from clearance.lifecycle.events import Change, Delivered, KillOrdered, Refused, TimerFired, Verdict
from clearance.lifecycle.plan import Plan
from clearance.lifecycle.record import Source
from clearance.lifecycle.state import ArticleState, Hold, Status
from clearance.lifecycle.transition import transition
from clearance.terms.policy import PolicySet
from tests.conftest import PROJECT, dpa_article

POLICIES = PolicySet.load()
DPA = POLICIES.policies["dpa"]
BUCKETS = {"cleared": "cleared-b", "quarantine": "quarantine-b", "audit": "audit-b"}
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
URI = "urn:newsml:dpa.com:20261123:nachtzug"


def decided(
    data: bytes, state: ArticleState | None, now: datetime, approval: Approval | None = None
) -> Decision:
    identified = identify(data, policies=POLICIES, provider="dpa", media_type="application/json")
    assert not isinstance(identified, Decision), identified
    prior = Prior(withdrawn=state is not None and state.kill is not None, approval=approval)
    return decide(identified, now=now, licensee=Licensee(), prior=prior)


def deliver(state: ArticleState | None, data: bytes, now: datetime = NOW) -> Change:
    source = Source(
        "inbound-b", f"inbound/dpa/{hashlib.sha256(data).hexdigest()[:8]}.json", None, now, "req-1"
    )
    decision = decided(data, state, now)
    return transition(state, Delivered(decision, source, data), now, DPA, BUCKETS)  # type: ignore[arg-type]


def committed(change: Change, before: ArticleState | None) -> ArticleState:
    assert change.state is not None
    return replace(change.state, revision=(before.revision if before else 0) + 1)


def record_outcomes(plan: Plan) -> list[tuple[str, str]]:
    return [(record["event"]["kind"], record["outcome"]) for record, _ in plan.records]


def test_a_first_version_that_clears_is_published_with_its_copies() -> None:
    change = deliver(None, dpa_article(URI, "1"))
    state = committed(change, None)
    [entry] = state.versions
    assert entry.status is Status.PUBLISHED
    assert {copy.kind for copy in entry.copies} == {"json", "html", "text"}
    assert sorted(w.key for w in change.plan.writes) == sorted(c.key for c in entry.copies)
    assert record_outcomes(change.plan) == [("delivery", "cleared")]
    assert [n.detail_type for n in change.plan.notifications] == ["Article Cleared"]


def test_a_newer_version_supersedes_the_published_one_and_takes_its_copies_down() -> None:
    # Given version 1 published
    first = committed(deliver(None, dpa_article(URI, "1")), None)
    old_copies = {copy.key for copy in first.versions[0].copies}
    # When version 2 clears
    change = deliver(first, dpa_article(URI, "2", text="Korrigiert."))
    state = committed(change, first)
    # Then version 2 is up, version 1 superseded, and every copy of version 1 is removed
    assert [(v.version, v.status) for v in state.versions] == [
        ("1", Status.SUPERSEDED),
        ("2", Status.PUBLISHED),
    ]
    assert {r.key for r in change.plan.removals} == old_copies
    assert record_outcomes(change.plan) == [("delivery", "cleared"), ("supersede", "superseded")]
    _, removes = change.plan.records[1]
    assert set(removes) == old_copies
    types = [n.detail_type for n in change.plan.notifications]
    assert types == ["Article Superseded", "Article Cleared"]


def test_an_older_version_arriving_after_a_newer_one_is_never_published() -> None:
    # Given version 2 published
    second = committed(deliver(None, dpa_article(URI, "2")), None)
    # When version 1 arrives late
    change = deliver(second, dpa_article(URI, "1"))
    state = committed(change, second)
    # Then version 1 is recorded superseded; nothing of it is written to the cleared bucket
    assert state.version("1").status is Status.SUPERSEDED  # type: ignore[union-attr]
    assert state.published.version == "2"  # type: ignore[union-attr]
    assert not [w for w in change.plan.writes if w.bucket == "cleared"]
    assert record_outcomes(change.plan) == [("delivery", "superseded")]
    record, removes = change.plan.records[0]
    assert "article.superseded" in [f["rule_id"] for f in record["findings"]]
    # And whatever an interrupted attempt may have written for it is removed
    assert removes
    assert all("/v1-" in key for key in removes)


def test_versions_compare_as_numbers_not_text() -> None:
    ninth = committed(deliver(None, dpa_article(URI, "9")), None)
    tenth = committed(deliver(ninth, dpa_article(URI, "10")), ninth)
    assert tenth.published.version == "10"  # type: ignore[union-attr]


def test_the_same_delivery_again_changes_nothing() -> None:
    first = committed(deliver(None, dpa_article(URI, "1")), None)
    again = deliver(first, dpa_article(URI, "1"))
    assert again.state == first
    assert again.plan == Plan()


def test_an_embargoed_version_is_held_until_its_timer_decides_it_again() -> None:
    # Given a version under embargo for one more hour
    until = NOW + timedelta(hours=1)
    data = dpa_article(URI, "1", embargo=until.isoformat())
    change = deliver(None, data)
    state = committed(change, None)
    entry = state.versions[0]
    assert (entry.status, entry.hold) == (Status.HELD, Hold.EMBARGO)
    [timer] = state.timers
    assert (timer.kind, timer.due) == (TimerKind.EMBARGO, until.isoformat())
    assert [n.detail_type for n in change.plan.notifications] == ["Article Held"]
    # When the timer comes due and the version is decided again at that time
    redecided = decided(data, state, until)
    fired = transition(state, TimerFired(timer, redecided), until, DPA, BUCKETS)  # type: ignore[arg-type]
    after = committed(fired, state)
    # Then it is published, and the timer is gone
    assert after.versions[0].status is Status.PUBLISHED
    assert after.timers == ()
    assert record_outcomes(fired.plan) == [("timer", "cleared")]
    assert fired.plan.records[0][0]["decided_at"] == until.isoformat()
    # And the same timer firing again does nothing
    assert transition(after, TimerFired(timer, redecided), until, DPA, BUCKETS).plan == Plan()  # type: ignore[arg-type]


def test_an_embargo_timer_taken_up_late_is_decided_and_dated_when_taken_up() -> None:
    # Given a version under embargo for one more hour, and a sweep that runs two hours late
    until = NOW + timedelta(hours=1)
    data = dpa_article(URI, "1", embargo=until.isoformat())
    state = committed(deliver(None, data), None)
    [timer] = state.timers
    late = until + timedelta(hours=2)
    # When the timer fires then
    fired = transition(state, TimerFired(timer, decided(data, state, late)), late, DPA, BUCKETS)  # type: ignore[arg-type]
    # Then the record is dated when it was decided, not in the hour the embargo ended
    assert record_outcomes(fired.plan) == [("timer", "cleared")]
    assert fired.plan.records[0][0]["decided_at"] == late.isoformat()


def test_a_time_limited_exclusion_holds_until_it_ends_then_publishes() -> None:
    # Given terms that exclude the UK for 30 days from publication (an example policy), and a
    # British licensee deciding a story ten days after it was published
    policies = PolicySet.load(PROJECT / "schemas" / "examples" / "territory-window" / "policies")
    wire = policies.policies["wire"]
    data = (PROJECT / "schemas/examples/territory-window/articles/harbour.json").read_bytes()
    day_10 = datetime(2026, 11, 11, 8, 0, tzinfo=UTC)
    ends = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

    def decided_at(now: datetime) -> Decision:
        identified = identify(data, policies=policies, media_type="application/json")
        assert not isinstance(identified, Decision), identified
        return decide(identified, now=now, licensee=Licensee("GB"), prior=Prior())

    source = Source("inbound-b", "inbound/wire/harbour.json", None, day_10, "req-1")
    change = transition(None, Delivered(decided_at(day_10), source, data), day_10, wire, BUCKETS)  # type: ignore[arg-type]
    state = committed(change, None)
    # Then it is held for time alone, with a timer at the exclusion's end
    entry = state.versions[0]
    assert (entry.status, entry.hold) == (Status.HELD, Hold.EMBARGO)
    [timer] = state.timers
    assert (timer.kind, timer.due) == (TimerKind.EMBARGO, ends.isoformat())
    # When the timer fires and the story is decided again at that moment
    fired = transition(state, TimerFired(timer, decided_at(ends)), ends, wire, BUCKETS)  # type: ignore[arg-type]
    # Then it is published
    assert committed(fired, state).versions[0].status is Status.PUBLISHED
    assert record_outcomes(fired.plan) == [("timer", "cleared")]


def test_an_article_past_its_expiry_is_withdrawn_when_its_timer_fires() -> None:
    tt = POLICIES.policies["tt"]
    expires = NOW + timedelta(days=1)
    data = json.dumps(
        {
            "uri": "urn:tt:expiring",
            "version": "1",
            "pubStatus": "usable",
            "copyrightHolder": "TT",
            "expires": expires.isoformat(),
            "headlines": [{"role": "main", "value": "Rubrik"}],
            "bodies": [{"role": "text", "contentType": "text/plain", "value": "Text."}],
        }
    ).encode()
    identified = identify(data, policies=POLICIES, provider="tt", media_type="application/json")
    assert not isinstance(identified, Decision)
    decision = decide(identified, now=NOW, licensee=Licensee(), prior=Prior())
    source = Source("inbound-b", "inbound/tt/x.json", None, NOW, "req")
    published = transition(None, Delivered(decision, source, data), NOW, tt, BUCKETS)  # type: ignore[arg-type]
    assert decision.outcome is Outcome.CLEARED, decision.findings
    state = committed(published, None)
    [timer] = state.timers
    assert (timer.kind, timer.due) == (TimerKind.EXPIRY, expires.isoformat())
    fired = transition(state, TimerFired(timer), expires, tt, BUCKETS)  # type: ignore[arg-type]
    after = committed(fired, state)
    assert after.versions[0].status is Status.WITHDRAWN
    assert {r.key for r in fired.plan.removals} == {c.key for c in state.versions[0].copies}
    [notice] = fired.plan.notifications
    assert (notice.detail_type, notice.detail["reason"]) == ("Article Withdrawn", "expiry")


def test_a_kill_takes_every_copy_down_keeps_a_tombstone_and_starts_the_deadline() -> None:
    # Given version 1 published
    first = committed(deliver(None, dpa_article(URI, "1")), None)
    # When the provider kills it through the API
    change = transition(first, KillOrdered("api:editor", "req-kill"), NOW, DPA, BUCKETS)  # type: ignore[arg-type]
    state = committed(change, first)
    # Then every version is down, the tombstone is written, the prefix swept and a deadline set
    assert {v.status for v in state.versions} == {Status.WITHDRAWN}
    assert state.kill is not None
    assert [w.kind for w in change.plan.writes] == ["tombstone"]
    assert change.plan.prefixes == (keys.cleared_prefix("dpa", keys.article_id("dpa", URI)),)
    assert {r.key for r in change.plan.removals} == {c.key for c in first.versions[0].copies}
    record, _ = change.plan.records[0]
    assert (record["event"]["kind"], record["outcome"]) == ("kill", "withdrawn")
    # dpa's terms: every copy down within the hour
    assert DPA.constraints["kill"]["within_hours"] == 1
    assert record["deadline"] == (NOW + timedelta(hours=1)).isoformat()
    assert [t.kind for t in state.timers] == [TimerKind.KILL_DEADLINE]
    [notice] = change.plan.notifications
    assert (notice.detail_type, notice.detail["reason"]) == ("Article Withdrawn", "kill")
    # And a second kill changes nothing
    assert transition(state, KillOrdered("api:editor", "req-2"), NOW, DPA, BUCKETS).plan == Plan()  # type: ignore[arg-type]


def test_a_cancel_in_the_feed_is_a_kill_and_later_deliveries_stay_down() -> None:
    first = committed(deliver(None, dpa_article(URI, "1")), None)
    kill = deliver(first, dpa_article(URI, "2", pubStatus="canceled"))
    killed = committed(kill, first)
    assert killed.kill is not None
    assert killed.kill.by == "feed"
    later = deliver(killed, dpa_article(URI, "3"))
    after = committed(later, killed)
    assert after.version("3").status is Status.REJECTED  # type: ignore[union-attr]
    assert not [w for w in later.plan.writes if w.bucket == "cleared"]


def held_for_review() -> tuple[ArticleState, bytes]:
    data = dpa_article(URI, "1", copyrightNotice="(c) someone else")
    change = deliver(None, data)
    state = committed(change, None)
    return state, data


def test_a_reviewer_approves_a_version_held_for_review_and_it_is_published() -> None:
    state, data = held_for_review()
    entry = state.versions[0]
    assert (entry.status, entry.hold) == (Status.HELD, Hold.REVIEW), entry.findings
    approval = Approval("arn:aws:iam::123456789012:user/reviewer", "notice checked with dpa")
    redecided = decided(data, state, NOW, approval)
    verdict = Verdict("1", True, approval.reviewer, approval.reason, "req-review", redecided)
    change = transition(state, verdict, NOW, DPA, BUCKETS)  # type: ignore[arg-type]
    after = committed(change, state)
    assert after.versions[0].status is Status.PUBLISHED
    record, _ = change.plan.records[0]
    assert record["review"]["reviewer"] == approval.reviewer
    assert record["review"]["held_decision"] == entry.decision_id
    assert record["event"]["kind"] == "review"
    assert record["outcome"] == "cleared"


def test_holds_no_person_may_lift_are_refused_with_the_reason() -> None:
    embargoed = committed(
        deliver(None, dpa_article(URI, "1", embargo=(NOW + timedelta(hours=1)).isoformat())), None
    )
    with pytest.raises(Refused) as refused:
        transition(embargoed, Verdict("1", True, "r", "why", "q"), NOW, DPA, BUCKETS)  # type: ignore[arg-type]
    assert (refused.value.status, refused.value.code) == (409, "hold.embargo")
    published = committed(deliver(None, dpa_article(URI, "1")), None)
    with pytest.raises(Refused) as refused:
        transition(published, Verdict("1", False, "r", "why", "q"), NOW, DPA, BUCKETS)  # type: ignore[arg-type]
    assert (refused.value.status, refused.value.code) == (409, "version.published")
    killed = committed(transition(published, KillOrdered("api", "k"), NOW, DPA, BUCKETS), published)  # type: ignore[arg-type]
    with pytest.raises(Refused) as refused:
        transition(killed, Verdict("1", True, "r", "why", "q"), NOW, DPA, BUCKETS)  # type: ignore[arg-type]
    assert (refused.value.status, refused.value.code) == (409, "article.killed")
    with pytest.raises(Refused) as refused:
        transition(None, KillOrdered("api", "k"), NOW, DPA, BUCKETS)  # type: ignore[arg-type]
    assert refused.value.status == 404


def test_the_state_survives_its_stored_form() -> None:
    state = committed(
        deliver(None, dpa_article(URI, "1", embargo=(NOW + timedelta(hours=1)).isoformat())), None
    )
    assert ArticleState.from_dict(json.loads(json.dumps(state.to_dict()))) == state


def test_a_delivery_from_another_provider_never_changes_an_article() -> None:
    # Given dpa's published article
    state = committed(deliver(None, dpa_article(URI, "1")), None)
    # When a decision from another provider reaches its state (a second line of defence: ids
    # already carry the provider)
    decision = replace(decided(dpa_article(URI, "2"), state, NOW), provider="ntb")
    source = Source("inbound-b", "inbound/ntb/x.json", None, NOW, "req-ntb")
    change = transition(state, Delivered(decision, source, b"x"), NOW, DPA, BUCKETS)  # type: ignore[arg-type]
    # Then the state is untouched, and the attempt is rejected on the record naming both
    assert change.state == state
    ((record, _),) = change.plan.records
    assert record["outcome"] == "rejected"
    (finding,) = [f for f in record["findings"] if f["rule_id"] == "tenancy.provider"]
    assert "dpa's" in finding["message"]
    assert "from ntb" in finding["message"]
    assert not [w for w in change.plan.writes if w.bucket == "cleared"]


def test_a_kill_before_any_delivery_keeps_a_tombstone_and_its_deadline() -> None:
    # Given no state yet for the article a kill names, with its uri
    article = keys.article_id("dpa", URI)
    kill = KillOrdered("api:editor", "req-kill", provider="dpa", article=article, uri=URI)
    # When the kill is carried out
    change = transition(None, kill, NOW, DPA, BUCKETS)  # type: ignore[arg-type]
    # Then the article is killed with the duty's deadline, a tombstone written and recorded
    assert change.state is not None
    assert change.state.kill is not None
    assert change.state.kill.deadline == (NOW + timedelta(hours=1)).isoformat()
    assert [t.kind for t in change.state.timers] == [TimerKind.KILL_DEADLINE]
    (tombstone,) = change.plan.writes
    assert tombstone.key == keys.tombstone_key("dpa", article)
    ((record, _),) = change.plan.records
    assert (record["outcome"], record["event"]["kind"]) == ("withdrawn", "kill")
    assert record["source"]["key"] == tombstone.key
    assert record["article"] == {"uri": URI, "version": None, "id": article, "headline": None}
    # And the delivery that follows is never published
    then = deliver(committed(change, None), dpa_article(URI, "1"))
    assert not [w for w in then.plan.writes if w.bucket == "cleared"]
    assert record_outcomes(then.plan) == [("delivery", "rejected")]
