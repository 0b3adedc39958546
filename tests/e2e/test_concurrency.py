"""Senders side by side: each request gets its own answer, and every 202 is stored and decided."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from clearance.ingest.signature import signed_headers
from clearance.local.stack import LocalStack
from tests.e2e.conftest import (
    TEXT,
    Response,
    decisions,
    deliver,
    menafn_article,
    objects,
    settled,
)

pytestmark = pytest.mark.reliability

SENDERS = 20
ARTICLES = 100
CONNECTIONS = 50


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
