"""Senders side by side: each request gets its own answer, and every 202 is stored and decided.

The local stack runs every function in one process, each function's invocations one at a time;
requests to different functions run side by side, and each is answered from its own request.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from clearance.contracts import keys
from clearance.ingest.signature import signed_headers
from clearance.local.stack import LocalStack
from clearance.local.usage import development_api_key
from tests.e2e.conftest import (
    TEXT,
    Response,
    decisions,
    deliver,
    menafn_article,
    objects,
    request,
    settled,
)

pytestmark = pytest.mark.reliability

SENDERS = 20
ARTICLES = 100
CONNECTIONS = 50
KILLS_PER_PROVIDER = 3
"""Within each provider's kill budget (5 at once), so none is throttled."""


def test_twenty_concurrent_senders_each_get_their_own_answer_and_every_202_is_decided(
    fresh: LocalStack, figure: Callable[[str], None]
) -> None:
    # Given 100 distinct signed MENAFN articles
    bodies = {f"msg-burst-{i:03d}": menafn_article(f"burst {i:03d}") for i in range(ARTICLES)}

    # When 20 threads post them at once
    def send(delivery: str) -> tuple[str, Response]:
        return delivery, deliver(fresh, bodies[delivery], delivery)

    with ThreadPoolExecutor(max_workers=SENDERS) as senders:
        answers = dict(senders.map(send, bodies))
    # Then every delivery is accepted with an answer naming its own delivery
    assert sorted(answer.status for answer in answers.values()) == [202] * ARTICLES
    assert all(answer.json["delivery"] == delivery for delivery, answer in answers.items())
    # And the key each answer names holds exactly the bytes that delivery sent
    stored = objects(fresh, "inbound", "inbound/")
    assert {answers[d].json["key"]: bodies[d] for d in bodies}.items() <= stored.items()
    # And each article is decided once
    settled(fresh, ARTICLES, timeout=90)
    decided = {record["source"]["key"] for record in decisions(fresh)}
    assert decided == {answer.json["key"] for answer in answers.values()}
    figure(f"{SENDERS} concurrent senders: {ARTICLES} accepted, {len(decided)} decided, 0 lost")


def test_fifty_simultaneous_connections_are_all_answered(
    fresh: LocalStack, figure: Callable[[str], None]
) -> None:
    # Given 50 clients that connect at the same moment
    ready = threading.Barrier(CONNECTIONS)
    body = menafn_article("connections")

    def connect_and_post(index: int) -> int:
        headers = signed_headers(fresh.secrets["menafn"], "msg-conn", int(time.time()), body)
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = (
            f"POST /v1/providers/menafn/articles HTTP/1.1\r\nHost: local\r\n{head}"
            f"Content-Type: {TEXT}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        ).encode() + body
        ready.wait()
        with socket.create_connection(("127.0.0.1", fresh.port), timeout=60) as client:
            client.sendall(request)
            status_line = client.makefile("rb").readline()
        return int(status_line.split()[1])

    # When they all send the same signed delivery
    with ThreadPoolExecutor(max_workers=CONNECTIONS) as clients:
        statuses = list(clients.map(connect_and_post, range(CONNECTIONS)))
    # Then no connection is reset: every one is answered 202 (one delivery, replayed)
    assert statuses == [202] * CONNECTIONS
    settled(fresh, 1)
    # And the one delivery, replayed fifty times at once, is stored and decided once
    assert len(objects(fresh, "inbound", "inbound/")) == 1
    assert len(decisions(fresh)) == 1
    figure(
        f"{CONNECTIONS} simultaneous connections replaying one signed delivery:"
        f" {statuses.count(202)} answered 202, 0 reset; stored once, decided once"
    )


def order_kill(stack: LocalStack, provider: str, uri: str) -> Response:
    """A provider's signed kill of an article not yet delivered, naming its uri."""
    body = json.dumps({"reason": "withdrawn", "uri": uri}).encode()
    article_id = keys.article_id(provider, uri)
    url = f"{stack.base_url}/v1/providers/{provider}/articles/{article_id}/kill"
    headers = signed_headers(stack.secrets[provider], f"kill-{article_id}", int(time.time()), body)
    extra = {"Content-Type": "application/json", "x-api-key": development_api_key(provider)}
    return request(url, body, {**headers, **extra})


def test_deliveries_and_kills_at_once_are_each_answered_from_their_own_request(
    fresh: LocalStack,
) -> None:
    # Given deliveries to the webhook and kill orders to the kill function, from two providers
    deliveries = {f"msg-mixed-{i:02d}": menafn_article(f"mixed {i:02d}") for i in range(12)}
    kills = {
        f"urn:e2e:{provider}:mixed-{i}": provider
        for provider in ("dpa", "menafn")
        for i in range(KILLS_PER_PROVIDER)
    }

    # When they are all sent at once
    def send(item: str) -> tuple[str, Response]:
        if item in deliveries:
            return item, deliver(fresh, deliveries[item], item)
        return item, order_kill(fresh, kills[item], item)

    with ThreadPoolExecutor(max_workers=len(deliveries) + len(kills)) as senders:
        answers = dict(senders.map(send, [*deliveries, *kills]))

    # Then each delivery is accepted, its answer naming its own delivery
    for delivery in deliveries:
        assert answers[delivery].status == 202, answers[delivery].body
        assert answers[delivery].json["delivery"] == delivery
    # And each kill is carried out, its answer naming its own article and provider
    for uri, provider in kills.items():
        assert answers[uri].status == 202, answers[uri].body
        killed = answers[uri].json
        assert (killed["article"], killed["provider"]) == (keys.article_id(provider, uri), provider)
