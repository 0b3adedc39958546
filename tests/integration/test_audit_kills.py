"""`clearance audit kills` against moto: kills carried out by the service, judged from the audit
log and the copies still under each killed article's prefix."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from clearance.cli.main import main
from clearance.contracts import keys
from clearance.lifecycle.events import KillOrdered
from tests.conftest import dpa_article
from tests.integration.harness import NAMES, Harness

DELIVERED = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
KILLED = DELIVERED + timedelta(minutes=10)
DEADLINE = KILLED + timedelta(hours=1)  # dpa's policy: every copy down within the hour
BUCKETS = ["--bucket", NAMES.bucket("audit"), "--cleared-bucket", NAMES.bucket("cleared")]


@pytest.fixture
def service(harness: Harness) -> Harness:
    """The processor, the kill path and the lifecycle sweep over moto's S3, DynamoDB and bus."""
    return harness.stack().wire(articles_clock=lambda: KILLED + timedelta(seconds=2))


def publish(service: Harness, name: str) -> str:
    """Deliver a dpa article that clears; its article id."""
    uri = f"urn:newsml:dpa.com:20261123:{name}"
    key = service.drop(f"inbound/dpa/{name}.json", dpa_article(uri))
    service.process(key, DELIVERED, f"req-{name}")
    article_id = keys.article_id("dpa", uri)
    assert len(copies(service, article_id)) == 3
    return article_id


def kill(service: Harness, article_id: str) -> None:
    service.articles.apply(article_id, lambda _: KillOrdered("api:editor", "req-kill"), KILLED)


def copies(service: Harness, article_id: str) -> list[str]:
    state = service.articles.states.get(article_id)
    assert state is not None
    return service.copies(state.provider, state.article_id)


def test_a_kill_whose_copies_went_before_its_deadline_is_complete_and_exits_0(
    service: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a published dpa article killed ten minutes later, and the sweep at its deadline
    article_id = publish(service, "nachtzug")
    kill(service, article_id)
    service.lifecycle(DEADLINE + timedelta(minutes=1)).sweep()
    assert copies(service, article_id) == []
    capsys.readouterr()  # the service's own logs and metrics
    # When the officer asks for the kills, as text and as JSON
    assert main(["audit", "kills", *BUCKETS]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert main(["audit", "kills", "--json", *BUCKETS]) == 0
    [status] = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    # Then the one kill is complete: all three copies removed seconds after it arrived
    assert line.split()[:2] == ["dpa", article_id]
    assert line.endswith("removed 3  complete")
    assert f"received {KILLED.isoformat()}  deadline {DEADLINE.isoformat()}" in line
    assert status["verdict"] == "complete"
    assert (status["received"], status["deadline"]) == (KILLED.isoformat(), DEADLINE.isoformat())
    assert status["completed"] == (KILLED + timedelta(seconds=2)).isoformat()
    assert (status["removed"], status["remaining"]) == (3, [])
    # And with --overdue nothing is listed
    assert main(["audit", "kills", "--overdue", *BUCKETS]) == 0
    assert capsys.readouterr().out == ""


def test_a_copy_left_under_the_prefix_after_the_deadline_is_overdue_and_exits_1(
    service: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two killed articles, one of which has a copy back under its prefix past its deadline
    done = publish(service, "nachtzug")
    left = publish(service, "fernbus")
    kill(service, done)
    kill(service, left)
    straggler = f"cleared/dpa/{left}/v1-late.html"
    service.s3.put_object(Bucket=NAMES.bucket("cleared"), Key=straggler, Body=b"<p>still up</p>")
    capsys.readouterr()  # the service's own logs and metrics
    # When the officer asks for the kills after the deadline
    code = main(["audit", "kills", *BUCKETS])
    lines = capsys.readouterr().out.splitlines()
    # Then the command fails, naming the article with a copy left as overdue
    assert code == 1
    verdicts = {line.split()[1]: line.rsplit("  ", 1)[-1] for line in lines}
    assert verdicts == {done: "complete", left: "overdue: 1 still present"}
    # And --overdue lists that article alone, with the copy named in JSON
    assert main(["audit", "kills", "--overdue", "--json", *BUCKETS]) == 1
    [status] = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert (status["article"], status["verdict"]) == (left, "overdue")
    assert status["remaining"] == [straggler]
    assert status["completed"] is None


def test_filters_bound_the_kills_and_a_bad_one_is_a_usage_error(
    service: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given one completed kill on 23 November
    kill(service, publish(service, "nachtzug"))
    capsys.readouterr()  # the service's own logs and metrics
    # When the officer asks for another provider, another day, or gives a bad time
    assert main(["audit", "kills", "--provider", "ap", *BUCKETS]) == 0
    assert main(["audit", "kills", "--from", "2026-11-24", *BUCKETS]) == 0
    assert capsys.readouterr().out == ""
    assert main(["audit", "kills", "--to", "yesterday", *BUCKETS]) == 2
    # Then nothing is listed for the first two, and the third is one line naming the parameter
    [error] = capsys.readouterr().err.splitlines()
    assert error.startswith("clearance: --to: ")
