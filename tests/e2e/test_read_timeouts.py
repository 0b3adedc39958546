"""Clients that send half a request and stall are cut off in bounded time, holding no worker
(issue 17: 400 half-sent requests were held open with no read timeout, a thread each)."""

from __future__ import annotations

import json
import select
import selectors
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, cast

import pytest

from clearance.local.connections import IDLE_SECONDS
from clearance.local.gateway import Gateway, Route
from clearance.local.stack import LocalStack
from tests.e2e.conftest import deliver, menafn_article

pytestmark = pytest.mark.reliability

HALF_SENT = 400


def accept(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"statusCode": 202, "body": json.dumps({"length": len(event["body"] or "")})}


@pytest.fixture
def quick() -> Iterator[Gateway]:
    """A gateway with short deadlines: 1 s of silence, 2 s for a whole request."""
    server = Gateway(
        "127.0.0.1",
        0,
        [Route("/v1/accept", "tests.e2e.test_read_timeouts:accept", "AcceptFunction")],
        idle_seconds=1.0,
        request_seconds=2.0,
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def half_sent(port: int, index: int, path: str) -> tuple[socket.socket, float]:
    """A connection that sends part of a request and then nothing: every other one stops in its
    headers, the rest after their headers, 10 bytes into a 1,000-byte body. When it stalled."""
    client = socket.create_connection(("127.0.0.1", port), timeout=30)
    if index % 2:
        client.sendall(f"POST {path} HTTP/1.1\r\nHost: local\r\nContent-Ty".encode())
    else:
        head = f"POST {path} HTTP/1.1\r\nHost: local\r\nContent-Length: 1000\r\n\r\n"
        client.sendall(head.encode() + b"0123456789")
    return client, time.monotonic()


def answers_of(
    clients: list[tuple[socket.socket, float]], timeout: float
) -> tuple[list[bytes], list[float]]:
    """What the server sends each client until it closes the connection, read side by side,
    and how long after it stalled each was closed."""
    waiting = {client: stalled for client, stalled in clients}
    received = {client: b"" for client in waiting}
    waits = []
    with selectors.DefaultSelector() as selector:
        for client in waiting:
            selector.register(client, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while waiting and time.monotonic() < deadline:
            for key, _ in selector.select(0.1):
                client = cast(socket.socket, key.fileobj)
                chunk = client.recv(65536)
                received[client] += chunk
                if not chunk:
                    waits.append(time.monotonic() - waiting.pop(client))
                    selector.unregister(client)
                    client.close()
    return [received[client] for client, _ in clients], waits


def answer_of(client: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    received = b""
    with client:
        while chunk := client.recv(65536):
            received += chunk
    return received


def first_answers(client: socket.socket, expected: int) -> bytes:
    """What the server sends until `expected` answers have arrived (or it closes)."""
    received = b""
    with client:
        while received.count(b"HTTP/1.1 ") < expected and (chunk := client.recv(65536)):
            received += chunk
    return received


def cut_off(answers: list[bytes]) -> int:
    """How many answers are a 408 in the functions' error body, the connection then closed."""
    return sum(
        raw.startswith(b"HTTP/1.1 408")
        and json.loads(raw.partition(b"\r\n\r\n")[2])["error"]["code"] == "request.timeout"
        for raw in answers
    )


def test_half_sent_requests_are_cut_off_without_a_thread_each_while_a_delivery_gets_its_202(
    fresh: LocalStack, figure: Callable[[str], None]
) -> None:
    # Given a webhook that has answered once, and 400 clients that each sent half a delivery to
    # it and stalled
    assert deliver(fresh, menafn_article("before the stalled"), "msg-before-stalled").status == 202
    threads_before = threading.active_count()
    clients = [half_sent(fresh.port, n, "/v1/providers/menafn/articles") for n in range(HALF_SENT)]

    # When a provider sends a whole signed delivery meanwhile
    started = time.monotonic()
    delivered = deliver(fresh, menafn_article("beside the stalled"), "msg-beside-stalled")
    answered_in = time.monotonic() - started
    threads_held = threading.active_count()

    # Then it is answered 202 at once, and the stalled clients hold no thread each
    assert delivered.status == 202, delivered.body
    assert answered_in < 5
    assert threads_held - threads_before < 10
    # And every stalled client is cut off with a 408 once it has been silent for the idle bound
    answers, waits = answers_of(clients, IDLE_SECONDS + 20)
    assert cut_off(answers) == HALF_SENT
    # (the client starts its clock after its last send; the server, when those bytes arrived)
    assert IDLE_SECONDS - 0.05 <= min(waits) <= max(waits) < IDLE_SECONDS + 2
    figure(
        f"{HALF_SENT} half-sent requests (half stalled in their headers, half in their bodies):"
        f" {cut_off(answers)} cut off with 408 request.timeout {min(waits):.1f} to"
        f" {max(waits):.1f} s after they stalled ({IDLE_SECONDS:.0f} s of silence allowed);"
        f" the process ran {threads_before} threads"
        f" before them and {threads_held} while they were held; a signed delivery meanwhile"
        f" answered 202 in {answered_in * 1000:.0f} ms"
    )


def test_a_request_trickled_a_byte_at_a_time_is_cut_off_at_the_request_deadline(
    quick: Gateway, figure: Callable[[str], None]
) -> None:
    # Given a client that never falls silent, but sends its request a byte every 0.2 s
    client = socket.create_connection(("127.0.0.1", quick.port), timeout=10)
    started = time.monotonic()
    request = b"POST /v1/accept HTTP/1.1\r\nHost: local\r\nContent-Length: 100\r\n\r\n" + b"x" * 100
    for byte in request:
        client.sendall(bytes([byte]))
        if select.select([client], [], [], 0.2)[0]:
            break
    # Then it is answered 408 once its request has taken the whole deadline
    raw = answer_of(client)
    elapsed = time.monotonic() - started
    assert cut_off([raw]) == 1
    assert 2.0 <= elapsed < 3.5
    figure(f"a request trickled a byte every 0.2 s: 408 after {elapsed:.1f} s (deadline 2 s)")


def test_an_idle_connection_is_closed_without_an_answer(quick: Gateway) -> None:
    # Given a client that connects and sends nothing
    client = socket.create_connection(("127.0.0.1", quick.port), timeout=10)
    started = time.monotonic()
    # Then the connection is closed after the idle bound, with nothing sent
    assert answer_of(client) == b""
    assert 1.0 <= time.monotonic() - started < 2.5


def test_a_kept_alive_connection_serves_requests_one_after_another_and_pipelined(
    quick: Gateway,
) -> None:
    # Given one connection
    client = socket.create_connection(("127.0.0.1", quick.port), timeout=10)
    one = b"POST /v1/accept HTTP/1.1\r\nHost: local\r\nContent-Length: 3\r\n\r\nabc"
    # When it sends a request, reads the answer, then sends two at once
    client.sendall(one)
    first = client.recv(65536)
    client.sendall(one + one)
    rest = first_answers(client, 2)
    # Then each request is answered 202, in order, on the same connection
    assert first.startswith(b"HTTP/1.1 202")
    assert rest.count(b"HTTP/1.1 202") == 2
    assert rest.count(b'{"length": 3}') == 2


def test_a_client_waiting_for_100_continue_gets_it_and_then_its_answer(quick: Gateway) -> None:
    # Given a client that sends its headers with Expect: 100-continue and waits
    client = socket.create_connection(("127.0.0.1", quick.port), timeout=10)
    client.sendall(
        b"POST /v1/accept HTTP/1.1\r\nHost: local\r\nContent-Length: 5\r\n"
        b"Expect: 100-continue\r\n\r\n"
    )
    # When the server says continue, and it sends the body
    interim = client.recv(65536)
    client.sendall(b"hello")
    client.shutdown(socket.SHUT_WR)
    final = answer_of(client)
    # Then the body reaches the function and the answer is the function's
    assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert final.startswith(b"HTTP/1.1 202")
    assert final.endswith(b'{"length": 5}')
