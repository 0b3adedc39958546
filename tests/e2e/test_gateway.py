"""HTTP in, API Gateway REST proxy event out, and the function's answer back as HTTP."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest

from clearance.local import gateway as local_gateway
from clearance.local.gateway import (
    MAX_HEADER_BYTES,
    MAX_PAYLOAD_BYTES,
    Gateway,
    Route,
    Throttle,
)
from clearance.local.usage import INVALID_API_KEY, THROTTLED, ApiKeys, development_api_key
from tests.e2e.conftest import Response, request

EVENTS: list[dict[str, Any]] = []
PNG = b"\x89PNG\r\n\x1a\n\x00\xff"


def echo(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Keeps the event; answers with a binary body and a repeated header."""
    EVENTS.append({**event, "function": context.function_name, "request": context.aws_request_id})
    return {
        "statusCode": 201,
        "headers": {"Content-Type": "image/png", "X-Seen": event["httpMethod"]},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": base64.b64encode(PNG).decode(),
        "isBase64Encoded": True,
    }


def crash(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise RuntimeError("the function crashed")


def garbage(event: dict[str, Any], context: Any) -> Any:
    return ["not", "a", "proxy", "response"]


ROUTES = [
    Route("/v1/echo/{name}/items", "tests.e2e.test_gateway:echo", "EchoFunction"),
    Route("/v1/crash", "tests.e2e.test_gateway:crash", "CrashFunction"),
    Route("/v1/garbage", "tests.e2e.test_gateway:garbage", "GarbageFunction"),
]


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    server = Gateway("127.0.0.1", 0, ROUTES)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def raw_request(
    gateway: Gateway, method: str, path: str, headers: list[tuple[str, str]], body: bytes = b""
) -> Response:
    """A request with repeated headers, which urllib cannot send."""
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    try:
        connection.putrequest(method, path)
        for name, value in [*headers, ("Content-Length", str(len(body)))]:
            connection.putheader(name, value)
        connection.endheaders(body)
        answer = connection.getresponse()
        return Response(answer.status, dict(answer.getheaders()), answer.read())
    finally:
        connection.close()


def test_request_becomes_the_rest_proxy_event_the_deployed_function_gets(
    gateway: Gateway,
) -> None:
    EVENTS.clear()
    # When a client POSTs text with a repeated header and a query string
    raw_request(
        gateway,
        "POST",
        "/v1/echo/caf%C3%A9%20bar/items?page=2&tag=a&tag=b",
        [("Content-Type", "text/plain"), ("X-Repeat", "one"), ("X-Repeat", "two")],
        "héllo".encode(),
    )
    # Then the function gets API Gateway's REST proxy event for it
    [event] = EVENTS
    assert event["resource"] == "/v1/echo/{name}/items"
    assert event["path"] == "/v1/echo/caf%C3%A9%20bar/items"
    assert event["httpMethod"] == "POST"
    assert event["pathParameters"] == {"name": "café bar"}
    assert event["queryStringParameters"] == {"page": "2", "tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"page": ["2"], "tag": ["a", "b"]}
    assert event["headers"]["X-Repeat"] == "two"
    assert event["multiValueHeaders"]["X-Repeat"] == ["one", "two"]
    assert (event["body"], event["isBase64Encoded"]) == ("héllo", False)
    context = event["requestContext"]
    assert context["resourcePath"] == "/v1/echo/{name}/items"
    assert context["stage"] == "dev"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"]
    assert event["function"] == "EchoFunction"


def test_binary_body_arrives_base64_encoded(gateway: Gateway) -> None:
    EVENTS.clear()
    # When the body is not UTF-8 text
    raw_request(gateway, "PUT", "/v1/echo/x/items", [("Content-Type", "image/png")], PNG)
    # Then the event carries it base64-encoded, byte for byte
    [event] = EVENTS
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == PNG


def test_function_answer_is_written_back_with_its_headers_and_decoded_body(
    gateway: Gateway,
) -> None:
    EVENTS.clear()
    # When the function answers with a base64 body and a repeated header
    answer = raw_request(gateway, "GET", "/v1/echo/x/items", [])
    # Then the client gets the status, the decoded bytes and every header
    assert answer.status == 201
    assert answer.body == PNG
    assert answer.headers["Content-Type"] == "image/png"
    assert answer.headers["X-Seen"] == "GET"
    assert answer.headers["x-amzn-RequestId"] == EVENTS[0]["requestContext"]["requestId"]
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    connection.request("GET", "/v1/echo/x/items")
    cookies = connection.getresponse().headers.get_all("Set-Cookie")
    connection.close()
    assert cookies == ["a=1", "b=2"]


def test_fresh_request_id_for_every_invocation(gateway: Gateway) -> None:
    EVENTS.clear()
    # When the same function is invoked three times
    for _ in range(3):
        raw_request(gateway, "GET", "/v1/echo/x/items", [])
    # Then each invocation has its own Lambda request id
    assert len({event["request"] for event in EVENTS}) == 3


@pytest.mark.parametrize("path", ["/v1/crash", "/v1/garbage"])
def test_function_that_crashes_or_answers_garbage_is_a_502(gateway: Gateway, path: str) -> None:
    # When the function raises, or returns something that is not a proxy response
    answer = request(f"http://127.0.0.1:{gateway.port}{path}", method="GET")
    # Then the client gets API Gateway's own 502, and no trace of the error
    assert answer.status == 502
    assert answer.json == {"message": "Internal server error"}


def test_unknown_path_is_a_json_404(gateway: Gateway) -> None:
    # When the path matches no route (a prefix of one is not a match)
    answer = request(f"http://127.0.0.1:{gateway.port}/v1/echo/x", method="GET")
    # Then the answer is a JSON 404
    assert answer.status == 404
    assert answer.json["error"]["code"] == "route.not-found"


@pytest.mark.reliability
def test_body_over_api_gateways_limit_is_refused_unread(gateway: Gateway) -> None:
    # When a client announces a body larger than API Gateway's 10 MB, and sends none of it
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    connection.putrequest("POST", "/v1/echo/x/items")
    connection.putheader("Content-Length", str(11 * 1024 * 1024))
    connection.endheaders()
    answer = connection.getresponse()
    body = json.loads(answer.read())
    connection.close()
    # Then it is refused at once, before the function is involved, in the functions' error body
    assert answer.status == 413
    assert body == {
        "error": {
            "code": "body.too-large",
            "message": f"The body is larger than the {MAX_PAYLOAD_BYTES} bytes accepted.",
            "limit": MAX_PAYLOAD_BYTES,
        }
    }


@pytest.mark.reliability
def test_chunked_body_over_the_limit_is_refused_with_the_json_error_body(
    gateway: Gateway,
) -> None:
    # When a chunked body grows past API Gateway's 10 MB
    connection = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=10)
    connection.putrequest("POST", "/v1/echo/x/items")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.endheaders()
    size = MAX_PAYLOAD_BYTES + 1
    connection.send(f"{size:x}\r\n".encode())
    answer = connection.getresponse()
    body = json.loads(answer.read())
    connection.close()
    # Then the answer is the same 413 body
    assert answer.status == 413
    assert body["error"]["code"] == "body.too-large"


@pytest.mark.reliability
@pytest.mark.parametrize(
    "headers",
    [
        [("X-Big", "a" * (MAX_HEADER_BYTES + 1))],
        [(f"X-Part-{i}", "b" * 200) for i in range(60)],
        [(f"X-Many-{i}", "c") for i in range(120)],
        [("X-Line", "d" * 70_000)],
    ],
    ids=["one-large-header", "headers-adding-up", "too-many-headers", "line-past-http-server"],
)
def test_headers_over_api_gateways_limit_are_a_json_431(
    gateway: Gateway, headers: list[tuple[str, str]]
) -> None:
    # When the request line and headers together exceed API Gateway's 10 KB
    before = len(EVENTS)
    answer = raw_request(gateway, "GET", "/v1/echo/x/items", headers)
    # Then the answer is a 431 in the functions' JSON error body, and no function ran
    assert answer.status == 431
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.json == {
        "error": {
            "code": "headers.too-large",
            "message": (
                f"The request line and headers are larger than the {MAX_HEADER_BYTES}"
                " bytes accepted."
            ),
            "limit": MAX_HEADER_BYTES,
        }
    }
    assert len(EVENTS) == before


def test_malformed_request_line_is_a_json_400(gateway: Gateway) -> None:
    # When the request line names no HTTP version
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as client:
        client.sendall(b"GET /v1/echo/x/items HTTP/1.x\r\n\r\n")
        raw = client.makefile("rb").read()
    head, _, body = raw.partition(b"\r\n\r\n")
    # Then the answer is a 400 with a JSON error body
    assert head.startswith(b"HTTP/1.1 400")
    assert json.loads(body)["error"]["code"] == "request.malformed"


# ------------------------------------------------------- API keys and budgets

KEYS = {"key-of-a": "provider-a", "key-of-b": "provider-b"}
KILL = next(route for route in local_gateway.ROUTES if route.function_name == "KillFunction")
SHARED_BUDGET = Route(
    KILL.template, "tests.e2e.test_gateway:kill_stand_in", "KillFunction", throttle=Throttle(5, 10)
)
"""The kill route as it was: one budget of 5 a second for every caller, before any check."""
PER_KEY_BUDGETS = replace(KILL, handler="tests.e2e.test_gateway:kill_stand_in")
"""The kill route as the template has it now: an API key, its own budget, then a ceiling."""


def kill_stand_in(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The kill function's answer without its work: 202 when signed, 401 when not."""
    EVENTS.append(event)
    headers = {name.lower(): value for name, value in (event["headers"] or {}).items()}
    signed = headers.get("webhook-signature") == "v1,good"
    return {"statusCode": 202 if signed else 401, "body": "{}"}


@contextmanager
def serving(*routes: Route) -> Iterator[Gateway]:
    server = Gateway("127.0.0.1", 0, list(routes), api_keys=KEYS)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def kill_order(port: int, provider: str, key: str | None, signature: str) -> int:
    headers = {"webhook-signature": signature, **({"x-api-key": key} if key else {})}
    url = f"http://127.0.0.1:{port}/v1/providers/{provider}/articles/a-1/kill"
    return request(url, b"{}", headers).status


def flooded(route: Route, kills: int) -> tuple[list[int], Counter[int]]:
    """Provider b's signed kills, two a second, while two clients send provider a's junk (with
    a's key) and keyless junk as fast as they can; b's statuses and the junk's."""
    junk: Counter[int] = Counter()
    stop = threading.Event()

    def flood(key: str | None) -> None:
        while not stop.is_set():
            junk[kill_order(server.port, "provider-b", key, "v1,junk")] += 1

    with serving(route) as server:
        flooders = [threading.Thread(target=flood, args=(key,)) for key in ("key-of-a", None)]
        for flooder in flooders:
            flooder.start()
        statuses = []
        for _ in range(kills):
            time.sleep(0.5)
            statuses.append(kill_order(server.port, "provider-b", "key-of-b", "v1,good"))
        stop.set()
        for flooder in flooders:
            flooder.join()
    return statuses, junk


@pytest.mark.reliability
def test_junk_on_a_shared_kill_budget_starves_a_providers_kills_and_on_per_key_budgets_not(
    figure: Callable[[str], None],
) -> None:
    # When provider a and a keyless client flood the kill route while provider b sends 6 signed
    # kills, first behind one budget shared by every caller, then behind a budget per API key
    shared, shared_junk = flooded(SHARED_BUDGET, 6)
    per_key, per_key_junk = flooded(PER_KEY_BUDGETS, 6)

    # Then behind the shared budget the flood takes b's kills' places
    assert shared.count(202) < 6, shared
    # And behind per-key budgets every one of b's kills is answered 202
    assert per_key == [202] * 6
    # And there the junk is refused at the door (403) or spends a's own budget (429, then 401)
    assert set(per_key_junk) <= {401, 403, 429}
    figure(
        f"b's 6 signed kills under a flood of a's and keyless junk: shared route budget"
        f" {shared.count(202)} of 6 answered 202 ({sum(shared_junk.values())} junk requests);"
        f" per-key budgets 6 of 6 ({sum(per_key_junk.values())} junk: {per_key_junk[403]}"
        f" refused 403, {per_key_junk[429]} 429, {per_key_junk[401]} 401)"
    )


def test_a_route_needing_an_api_key_refuses_a_missing_or_unknown_key_before_the_function() -> None:
    EVENTS.clear()
    with serving(PER_KEY_BUDGETS) as server:
        url = f"http://127.0.0.1:{server.port}/v1/providers/provider-b/articles/a-1/kill"
        # When a kill order comes without a key, or with one the API does not know
        answers = [
            request(url, b"{}", headers)
            for headers in ({}, {"x-api-key": "key-of-nobody"}, {"X-Api-Key": ""})
        ]
    # Then each is refused 403 in the template's INVALID_API_KEY body, and no function ran
    assert [answer.status for answer in answers] == [403, 403, 403]
    assert {answer.body for answer in answers} == {INVALID_API_KEY}
    assert EVENTS == []


def test_a_keys_empty_budget_is_a_429_with_retry_after_and_its_calls_carry_the_key_id() -> None:
    EVENTS.clear()
    with serving(PER_KEY_BUDGETS) as server:
        # When one provider sends more kills at once than its budget holds
        statuses = [kill_order(server.port, "provider-b", "key-of-b", "v1,good") for _ in range(8)]
        url = f"http://127.0.0.1:{server.port}/v1/providers/provider-b/articles/a-1/kill"
        over = request(url, b"{}", {"x-api-key": "key-of-b", "webhook-signature": "v1,good"})
        # And another provider sends one meanwhile
        other = kill_order(server.port, "provider-a", "key-of-a", "v1,good")
    burst = PER_KEY_BUDGETS.key_throttle.burst if PER_KEY_BUDGETS.key_throttle else 0
    # Then its budget's worth are answered and the rest refused 429, saying when to retry
    assert statuses.count(202) == burst
    assert statuses.count(429) == 8 - burst
    assert (over.status, over.body, over.headers["Retry-After"]) == (429, THROTTLED, "1")
    # And the other provider's kill is answered: its budget is its own
    assert other == 202
    # And the function sees the caller's key and its id, as API Gateway passes them
    identity = EVENTS[0]["requestContext"]["identity"]
    assert (identity["apiKey"], identity["apiKeyId"]) == ("key-of-b", "provider-b")


def test_the_local_stacks_development_key_names_its_provider() -> None:
    # Given the gateway's keys when none are given: each provider's development key
    keys = ApiKeys()
    # Then a provider's own key names it, and nothing else passes for a key
    assert keys.identify(development_api_key("dpa")) == "dpa"
    assert keys.identify("clearance-local-key-") is None
    assert keys.identify("clearance-local-key-../x") is None
    assert keys.identify("dpa") is None
    assert keys.identify(None) is None


@pytest.mark.reliability
def test_three_hundred_simultaneous_connections_are_each_answered_by_a_few_workers(
    gateway: Gateway, figure: Callable[[str], None]
) -> None:
    # Given 300 clients connected at once, before any of them sends
    threads_before = threading.active_count()
    address = ("127.0.0.1", gateway.port)
    clients = [socket.create_connection(address, timeout=30) for _ in range(300)]
    # When each sends a request and half-closes
    for client in clients:
        client.sendall(b"GET /v1/echo/x/items HTTP/1.1\r\nHost: local\r\n\r\n")
        client.shutdown(socket.SHUT_WR)
    answers = []
    for client in clients:
        with client:
            answers.append(client.makefile("rb").read())
    # Then every one is answered by the function, none reset, with no thread per connection
    assert sum(answer.startswith(b"HTTP/1.1 201") for answer in answers) == 300
    assert threading.active_count() - threads_before < 5
    figure("300 simultaneous connections: 300 answered, 0 reset, 0 threads added")


# ------------------------------------------------------- one invocation at a time

RUNNING: Counter[str] = Counter()
MOST_AT_ONCE: Counter[str] = Counter()
_COUNTING = threading.Lock()
ANY_FUNCTION = "any function"


def one_invocation(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Notes how many invocations of its function, and of any function, run at once."""
    counters = (context.function_name, ANY_FUNCTION)
    with _COUNTING:
        for name in counters:
            RUNNING[name] += 1
            MOST_AT_ONCE[name] = max(MOST_AT_ONCE[name], RUNNING[name])
    time.sleep(0.05)
    with _COUNTING:
        for name in counters:
            RUNNING[name] -= 1
    return {"statusCode": 200, "body": "{}"}


def test_each_functions_invocations_run_one_at_a_time_as_in_a_lambda_container() -> None:
    # Given two functions behind the gateway
    routes = [
        Route("/v1/first", "tests.e2e.test_gateway:one_invocation", "FirstFunction"),
        Route("/v1/second", "tests.e2e.test_gateway:one_invocation", "SecondFunction"),
    ]
    MOST_AT_ONCE.clear()
    with serving(*routes) as server, ThreadPoolExecutor(max_workers=16) as clients:
        # When eight clients call each function at once
        paths = ["/v1/first", "/v1/second"] * 8
        urls = [f"http://127.0.0.1:{server.port}{path}" for path in paths]
        statuses = list(clients.map(lambda url: request(url, method="GET").status, urls))
    # Then every call is answered
    assert statuses == [200] * 16
    # And no function ever ran two invocations at once, while the two ran side by side
    assert MOST_AT_ONCE == {"FirstFunction": 1, "SecondFunction": 1, ANY_FUNCTION: 2}
