"""POST /v1/providers/{provider}/articles through the Lambda handler, against moto S3 and Secrets.

The signing secret used throughout is a TEST secret, documented in events/README.md:
`whsec_` + base64 of b"clearance-development-secret-32b". It signs
events/webhook_menafn_signed.json and must never be configured in a real stage.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from clearance.aws import clients
from clearance.aws.store import Bucket
from clearance.contracts import keys
from clearance.handlers import webhook as webhook_module
from clearance.ingest.parse import read_article
from clearance.ingest.signature import sign, signed_headers
from clearance.local.resources import create_secrets
from clearance.services import observability
from clearance.services.wiring import build_webhook
from tests.conftest import DEMO_ARTICLES, PROJECT, lambda_context
from tests.integration.harness import NAMES, Harness

INBOUND = NAMES.bucket("inbound")
SECRET = "whsec_" + base64.b64encode(b"clearance-development-secret-32b").decode()
NEXT_SECRET = "whsec_" + base64.b64encode(b"clearance-rotation-next-secret-32").decode()
UNKNOWN_SECRET = "whsec_" + base64.b64encode(b"a secret nobody configured at all").decode()

SIGNED_EVENT = PROJECT / "events" / "webhook_menafn_signed.json"
SIGNED_AT = 1795435200  # 2026-11-23T12:00:00Z, the webhook-timestamp of SIGNED_EVENT
NOW = datetime.fromtimestamp(SIGNED_AT, UTC)
MENAFN = (DEMO_ARTICLES / "menafn-ports.txt").read_bytes()
MENAFN_KEY = (
    "inbound/menafn/2026/11/23/"
    "8d72dab2419c1209336a126df3baf94b-dbcf47eca5be5fba-v1-bf19f4a7d3fab3b4.txt"
)
MAX_BODY = 64 * 1024
KEY_SHAPE = re.compile(r"^inbound/menafn/\d{4}/\d{2}/\d{2}/[A-Za-z0-9_-]+\.(json|txt)$")
ROUTE = "/v1/providers/{}/articles"
TEXT = "text/plain; charset=utf-8"
JSON = "application/json"


def ninjs(**overrides: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "uri": "urn:newsml:menafn.com:20261123:ports-7781",
        "version": "2",
        "type": "text",
        "pubstatus": "usable",
        "versioncreated": "2026-11-23T10:00:00Z",
        "headline": "Gulf ports report busier third quarter",
        "body_text": "(MENAFN) Regional port operators reported a rise in container traffic.",
    }
    document.update(overrides)
    return document


def ninjs_bytes(**overrides: Any) -> bytes:
    return json.dumps(ninjs(**overrides)).encode()


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, Any]

    @property
    def code(self) -> str:
        return str(self.body["error"]["code"])

    @property
    def message(self) -> str:
        return str(self.body["error"]["message"])


def rest_event(
    *,
    provider: str = "menafn",
    path: str | None = None,
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
    multi: Mapping[str, list[str]] | None = None,
    body: str | None = None,
    base64_encoded: bool = False,
) -> dict[str, Any]:
    """A REST API proxy event as API Gateway sends it: repeats only in multiValueHeaders."""
    single = dict(headers or {})
    return {
        "resource": "/v1/providers/{provider}/articles",
        "path": path or ROUTE.format(provider),
        "httpMethod": method,
        "headers": single,
        "multiValueHeaders": dict(multi)
        if multi is not None
        else {k: [v] for k, v in single.items()},
        "pathParameters": {"provider": provider},
        "queryStringParameters": None,
        "requestContext": {"requestId": "req-0001", "stage": "dev", "httpMethod": method},
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


def http_event(
    *,
    provider: str = "menafn",
    method: str = "POST",
    headers: Mapping[str, str] | None = None,
    body: str | None = None,
    base64_encoded: bool = False,
) -> dict[str, Any]:
    """An HTTP API (payload 2.0) event: lowercase names, repeats joined by commas."""
    path = ROUTE.format(provider)
    return {
        "version": "2.0",
        "routeKey": "POST /v1/providers/{provider}/articles",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {k.lower(): v for k, v in (headers or {}).items()},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1"},
            "requestId": "req-v2-0001",
            "routeKey": "POST /v1/providers/{provider}/articles",
            "stage": "$default",
        },
        "pathParameters": {"provider": provider},
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


def signed(
    body: bytes,
    *,
    content_type: str | None = TEXT,
    msg_id: str = "msg_0001",
    timestamp: int = SIGNED_AT,
    secrets: tuple[str, ...] = (SECRET,),
) -> dict[str, str]:
    headers = signed_headers(secrets[0], msg_id, timestamp, body)
    headers["webhook-signature"] = " ".join(sign(s, msg_id, timestamp, body) for s in secrets)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return headers


@pytest.fixture
def stack(harness: Harness) -> Harness:
    """The buckets and the menafn secret in moto, and a webhook wired to them."""
    harness.now = NOW
    harness.buckets().secrets({"menafn": SECRET})
    return harness.wire_webhook(lambda: harness.now, MAX_BODY)


def send(stack: Harness, event: dict[str, Any]) -> Reply:
    """The webhook function invoked with an API Gateway event; its JSON answer."""
    response = webhook_module.handler(
        event, lambda_context("WebhookFunction"), webhook=stack.webhook
    )
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers.setdefault(name.lower(), ",".join(values))
    assert headers.get("content-type") == JSON
    return Reply(response["statusCode"], json.loads(response["body"]), headers)


def post(
    stack: Harness, body: bytes, headers: Mapping[str, str], provider: str = "menafn"
) -> Reply:
    return send(stack, rest_event(provider=provider, headers=headers, body=body.decode()))


def inbound_objects(stack: Harness, prefix: str = "inbound/") -> dict[str, bytes]:
    """The inbound bucket's objects under `prefix`."""
    return stack.objects("inbound", prefix)


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What the Powertools logger writes, one JSON record a line."""
    buffer = io.StringIO()
    monkeypatch.setattr(observability.logger.registered_handler, "stream", buffer)
    return buffer


def log_records(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def assert_refused(reply: Reply, status: int, code: str, *words: str) -> None:
    assert (reply.status, reply.code) == (status, code), reply.body
    for word in words:
        assert word.lower() in reply.message.lower(), reply.message


# --------------------------------------------------------------- accepted


def test_signed_menafn_event_is_stored_once_under_provider_and_day(stack: Harness) -> None:
    # Given the sample REST event carrying the MENAFN article, signed with the test secret
    event = json.loads(SIGNED_EVENT.read_text(encoding="utf-8"))

    # When API Gateway delivers it
    reply = send(stack, event)

    # Then it is accepted with the article id, the key it is stored under and the delivery id
    assert reply.status == 202
    assert reply.body == {
        "id": MENAFN_KEY.rsplit("/", 1)[1].removesuffix(".txt"),
        "provider": "menafn",
        "key": MENAFN_KEY,
        "delivery": "msg_menafn-ports-20261123-0001",
        "article": keys.article_id("menafn", read_article(MENAFN, TEXT, ())["uri"]),
    }
    # And exactly the delivered bytes are stored, as text, at that key and nowhere else
    assert inbound_objects(stack) == {MENAFN_KEY: MENAFN}
    head = stack.s3.head_object(Bucket=INBOUND, Key=MENAFN_KEY)
    assert head["ContentType"] == "text/plain; charset=utf-8"
    # And a receipt for the delivery id sits outside inbound/, where the processor never looks
    (receipt,) = inbound_objects(stack, "receipts/").values()
    assert json.loads(receipt)["body_sha256"] == hashlib.sha256(MENAFN).hexdigest()


@pytest.mark.parametrize("content_type", ["application/ninjs+json", "application/json"])
def test_ninjs_article_is_stored_as_json(stack: Harness, content_type: str) -> None:
    # Given a signed ninjs article
    body = ninjs_bytes()

    # When it is delivered as JSON
    reply = post(stack, body, signed(body, content_type=content_type))

    # Then it is stored byte for byte under a .json key named for its uri and version
    assert reply.status == 202
    key = reply.body["key"]
    assert key.startswith("inbound/menafn/2026/11/23/ports-7781-")
    assert f"-v2-{hashlib.sha256(body).hexdigest()[:16]}.json" in key
    assert inbound_objects(stack) == {key: body}


def test_base64_encoded_body_is_decoded_before_it_is_verified_and_stored(stack: Harness) -> None:
    # Given a delivery that API Gateway passed on base64-encoded
    event = rest_event(
        headers=signed(MENAFN), body=base64.b64encode(MENAFN).decode(), base64_encoded=True
    )

    # When it arrives
    reply = send(stack, event)

    # Then the decoded bytes were signed and are what is stored
    assert reply.status == 202
    assert inbound_objects(stack) == {MENAFN_KEY: MENAFN}


def test_http_api_v2_event_is_accepted_like_a_rest_event(stack: Harness) -> None:
    # Given the same signed delivery in an HTTP API payload 2.0 event
    event = http_event(headers=signed(MENAFN), body=MENAFN.decode())

    # When it arrives
    reply = send(stack, event)

    # Then it is accepted and stored under the same key
    assert reply.status == 202
    assert reply.body["key"] == MENAFN_KEY
    assert inbound_objects(stack) == {MENAFN_KEY: MENAFN}


@pytest.mark.reliability
def test_http_api_v2_comma_joined_repeated_id_is_unauthorised(stack: Harness) -> None:
    # Given an HTTP API event where a proxy repeated webhook-id, joined by API Gateway
    headers = signed(MENAFN)
    headers["webhook-id"] = "msg_0001,msg_0001"

    # When it arrives
    reply = send(stack, http_event(headers=headers, body=MENAFN.decode()))

    # Then it is a 401 naming the header, and nothing is stored
    assert_refused(reply, 401, "signature.malformed-id", "webhook-id")
    assert inbound_objects(stack) == {}


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-8",
        'application/ninjs+json; charset="UTF-8"',
        "Application/JSON",
        "application/json; version=2",
    ],
)
def test_json_content_type_with_utf8_charset_or_other_parameters_is_accepted(
    stack: Harness, content_type: str
) -> None:
    body = ninjs_bytes()

    reply = post(stack, body, signed(body, content_type=content_type))

    assert reply.status == 202
    assert reply.body["key"].endswith(".json")


@pytest.mark.parametrize("content_type", ["text/plain", "text/plain;charset=utf8", "TEXT/PLAIN"])
def test_text_content_type_with_or_without_utf8_charset_is_accepted(
    stack: Harness, content_type: str
) -> None:
    reply = post(stack, MENAFN, signed(MENAFN, content_type=content_type))

    assert reply.status == 202
    assert reply.body["key"] == MENAFN_KEY


@pytest.mark.reliability
def test_body_of_exactly_the_limit_is_accepted(stack: Harness) -> None:
    # Given a text article padded to exactly MAX_BODY bytes
    body = MENAFN + b" " * (MAX_BODY - len(MENAFN))
    assert len(body) == MAX_BODY

    # When it is delivered
    reply = post(stack, body, signed(body))

    # Then it is accepted whole
    assert reply.status == 202
    assert list(inbound_objects(stack).values()) == [body]


# ---------------------------------------------------------------- replays


@pytest.mark.reliability
def test_replay_with_same_body_gets_the_first_answer_and_stores_nothing_new(
    stack: Harness, figure: Callable[[str], None]
) -> None:
    # Given a delivery that was accepted
    first = post(stack, MENAFN, signed(MENAFN))
    versions = stack.versions("inbound")

    # When the sender retries it a day later, re-signed with a new timestamp
    stack.now = NOW + timedelta(days=1)
    again = post(stack, MENAFN, signed(MENAFN, timestamp=SIGNED_AT + 86400))

    # Then the answer is exactly the first one (key dated by the first delivery)
    assert (again.status, again.body) == (first.status, first.body)
    assert again.body["key"] == MENAFN_KEY
    # And there is still one inbound object, with no new version of anything
    assert inbound_objects(stack) == {MENAFN_KEY: MENAFN}
    assert stack.versions("inbound") == versions
    figure("a delivery replayed a day later, re-signed: the first 202 answer, 0 new objects")


@pytest.mark.reliability
def test_same_delivery_id_with_a_different_body_is_a_conflict(stack: Harness) -> None:
    # Given a delivery that was accepted
    post(stack, MENAFN, signed(MENAFN))
    altered = MENAFN.replace(b"nine percent", b"ten percent")

    # When another body arrives, validly signed, under the same webhook-id
    reply = post(stack, altered, signed(altered))

    # Then it is a 409 naming the delivery id, and the new body is not stored
    assert_refused(reply, 409, "delivery.conflict", "webhook-id", "different body")
    assert reply.body["error"]["delivery"] == "msg_0001"
    assert inbound_objects(stack) == {MENAFN_KEY: MENAFN}


@pytest.mark.reliability
def test_replay_after_a_crash_between_receipt_and_article_stores_the_article(
    stack: Harness,
) -> None:
    # Given a first attempt that wrote its receipt and then died before the article
    post(stack, MENAFN, signed(MENAFN))
    stack.s3.delete_object(Bucket=INBOUND, Key=MENAFN_KEY)

    # When the sender retries
    reply = post(stack, MENAFN, signed(MENAFN))

    # Then it is answered as before and the article is there
    assert reply.status == 202
    assert inbound_objects(stack) == {MENAFN_KEY: MENAFN}


def test_same_delivery_id_from_another_provider_is_not_a_replay(stack: Harness) -> None:
    # Given dpa also holds a secret, and menafn's delivery msg_0001 was accepted
    create_secrets(stack.secretsmanager, NAMES, {"dpa": SECRET})
    post(stack, MENAFN, signed(MENAFN))
    body = ninjs_bytes()

    # When dpa uses the same delivery id for its own article
    reply = post(stack, body, signed(body, content_type=JSON), provider="dpa")

    # Then it is accepted under dpa's prefix
    assert reply.status == 202
    assert reply.body["key"].startswith("inbound/dpa/")


# -------------------------------------------------------------- signatures


@pytest.mark.reliability
def test_signature_made_with_an_unknown_secret_is_unauthorised(stack: Harness) -> None:
    reply = post(stack, MENAFN, signed(MENAFN, secrets=(UNKNOWN_SECRET,)))

    assert_refused(reply, 401, "signature.no-matching-signature", "webhook-signature")
    assert inbound_objects(stack) == {}


@pytest.mark.reliability
def test_tampered_body_is_unauthorised(stack: Harness) -> None:
    # Given a signature over the article, and a body changed in transit
    headers = signed(MENAFN)
    tampered = MENAFN.replace(b"(MENAFN)", b"(OTHER)")

    # When it arrives
    reply = post(stack, tampered, headers)

    # Then it is a 401 and nothing is stored
    assert_refused(reply, 401, "signature.no-matching-signature", "no valid v1 signature")
    assert inbound_objects(stack) == {}


MUTATIONS = 1000


def mutate(body: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One change a network, a proxy or a forger could make to a body; never no change."""
    at = rng.randrange(len(body))
    byte = bytes([rng.randrange(256)])
    kinds: dict[str, Callable[[], bytes]] = {
        "bit flipped": lambda: (
            body[:at] + bytes([body[at] ^ 1 << rng.randrange(8)]) + body[at + 1 :]
        ),
        "byte replaced": lambda: body[:at] + byte + body[at + 1 :],
        "byte inserted": lambda: body[:at] + byte + body[at:],
        "byte deleted": lambda: body[:at] + body[at + 1 :],
        "truncated": lambda: body[:at],
        "bytes appended": lambda: body + rng.randbytes(rng.randrange(1, 16)),
        "neighbours swapped": lambda: (
            body[:at] + body[at + 1 : at + 2] + body[at : at + 1] + body[at + 2 :]
        ),
        "slice repeated": lambda: body[:at] + body[at : at + 8] + body[at:],
        "line ending changed": lambda: body.replace(b"\n", b"\r\n", 1),
        "case changed": lambda: body[:at] + body[at : at + 1].swapcase() + body[at + 1 :],
    }
    while True:
        kind = rng.choice(sorted(kinds))
        mutated = kinds[kind]()
        if mutated != body:
            return kind, mutated


@pytest.mark.reliability
def test_a_thousand_mutated_bodies_are_each_refused_with_a_4xx_json_body(
    stack: Harness, figure: Callable[[str], None]
) -> None:
    # Given signed deliveries of a text and a ninjs article, each body then changed in one way
    rng = random.Random(20261123)  # noqa: S311 - repeatable mutations, not a secret
    originals = [(MENAFN, TEXT), (ninjs_bytes(), JSON)]
    kinds: Counter[str] = Counter()
    answers: Counter[tuple[int, str]] = Counter()
    for n in range(MUTATIONS):
        body, content_type = originals[n % 2]
        headers = signed(body, content_type=content_type, msg_id=f"msg_mutation_{n}")
        kind, mutated = mutate(body, rng)
        kinds[kind] += 1
        event = rest_event(
            headers=headers, body=base64.b64encode(mutated).decode(), base64_encoded=True
        )
        # When the changed body arrives under the original signature
        reply = send(stack, event)
        answers[reply.status, reply.code if reply.status != 202 else ""] += 1
    # Then every one is refused with a 4xx and a JSON error body, none is a server error, and
    # nothing is stored
    assert sum(answers.values()) == MUTATIONS
    assert all(400 <= status < 500 and code for status, code in answers), answers
    assert inbound_objects(stack, "") == {}
    assert len(kinds) == 10
    refused = ", ".join(f"{count:,} {status} {code}" for (status, code), count in answers.items())
    figure(
        f"{MUTATIONS:,} mutated bodies ({len(kinds)} kinds of change): {MUTATIONS:,} refused with"
        f" a 4xx JSON body ({refused}), 0 server errors, 0 stored"
    )


@pytest.mark.reliability
def test_signature_for_another_delivery_id_is_unauthorised(stack: Harness) -> None:
    headers = signed(MENAFN)
    headers["webhook-id"] = "msg_0002"

    reply = post(stack, MENAFN, headers)

    assert_refused(reply, 401, "signature.no-matching-signature")
    assert inbound_objects(stack) == {}


def test_known_provider_without_a_secret_is_unauthorised_like_a_bad_signature(
    stack: Harness,
) -> None:
    # Given dpa has a policy but no webhook secret was ever stored for it
    body = ninjs_bytes()

    # When a delivery for dpa arrives
    reply = post(stack, body, signed(body, content_type=JSON), provider="dpa")

    # Then it is refused as unverifiable, without saying whether a secret exists
    assert_refused(reply, 401, "signature.no-matching-signature")
    assert inbound_objects(stack) == {}


VALID = signed(MENAFN)
MALFORMED_HEADERS = {
    "id repeated, comma-joined": ("webhook-id", "msg_0001,msg_0001", "malformed-id"),
    "id with a space": ("webhook-id", "msg 0001", "malformed-id"),
    "id over 256 characters": ("webhook-id", "m" * 257, "malformed-id"),
    "id with a non-ASCII letter": ("webhook-id", "msg_ü", "malformed-id"),
    "timestamp repeated, comma-joined": (
        "webhook-timestamp",
        f"{SIGNED_AT},{SIGNED_AT}",
        "malformed-timestamp",
    ),
    "timestamp with a sign": ("webhook-timestamp", f"+{SIGNED_AT}", "malformed-timestamp"),
    "timestamp with a fraction": ("webhook-timestamp", f"{SIGNED_AT}.0", "malformed-timestamp"),
    "timestamp in ISO 8601": ("webhook-timestamp", "2026-11-23T12:00:00Z", "malformed-timestamp"),
    "timestamp of twelve digits": ("webhook-timestamp", "9" * 12, "malformed-timestamp"),
    "signature repeated, comma-joined": (
        "webhook-signature",
        f"{VALID['webhook-signature']},{VALID['webhook-signature']}",
        "malformed-signature",
    ),
    "signature without a version": (
        "webhook-signature",
        VALID["webhook-signature"].removeprefix("v1,"),
        "malformed-signature",
    ),
    "signature that is not base64": ("webhook-signature", "v1,not*base64!", "malformed-signature"),
    "signature of the wrong length": (
        "webhook-signature",
        "v1," + base64.b64encode(b"short").decode(),
        "malformed-signature",
    ),
    "signature list with a trailing space": (
        "webhook-signature",
        VALID["webhook-signature"] + " ",
        "malformed-signature",
    ),
    "only a version the service does not use": (
        "webhook-signature",
        "v1a," + base64.b64encode(b"x" * 64).decode(),
        "no-matching-signature",
    ),
}


@pytest.mark.reliability
@pytest.mark.parametrize(
    ("header", "value", "reason"), MALFORMED_HEADERS.values(), ids=MALFORMED_HEADERS.keys()
)
def test_malformed_signature_header_is_unauthorised(
    stack: Harness, header: str, value: str, reason: str
) -> None:
    # Given a signed delivery with one header replaced by a malformed value
    headers = {**signed(MENAFN), header: value}

    # When it arrives
    reply = post(stack, MENAFN, headers)

    # Then it is a 401 with the reason, never a 500, and nothing is stored
    assert_refused(reply, 401, f"signature.{reason}")
    if reason.startswith("malformed"):
        assert header in reply.message
    assert inbound_objects(stack) == {}


@pytest.mark.reliability
@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_two_values_of_a_signature_header_in_multi_value_headers_are_unauthorised(
    stack: Harness, header: str
) -> None:
    # Given a REST event whose multiValueHeaders repeat one signature header, even identically,
    # while its single-value headers show only one of them
    headers = signed(MENAFN)
    multi = {name: [value] for name, value in headers.items()}
    multi[header] = [headers[header], headers[header]]
    event = rest_event(headers=headers, multi=multi, body=MENAFN.decode())

    # When it arrives
    reply = send(stack, event)

    # Then it is a 401 naming the header, and nothing is stored
    assert reply.status == 401
    assert reply.code.startswith("signature.malformed-")
    assert header in reply.message
    assert inbound_objects(stack) == {}


@pytest.mark.reliability
def test_the_same_header_twice_in_different_case_is_unauthorised(stack: Harness) -> None:
    # Given single-value headers holding webhook-id under two spellings, no multiValueHeaders
    headers = {**signed(MENAFN), "Webhook-Id": "msg_0002"}
    event = rest_event(headers=headers, multi={}, body=MENAFN.decode())

    reply = send(stack, event)

    assert reply.status == 401
    assert reply.code.startswith("signature.")
    assert inbound_objects(stack) == {}


@pytest.mark.reliability
@pytest.mark.parametrize("header", ["webhook-id", "webhook-timestamp", "webhook-signature"])
@pytest.mark.parametrize("how", ["absent", "empty"])
def test_missing_signature_header_is_unauthorised(stack: Harness, header: str, how: str) -> None:
    # Given a signed delivery without one of the three headers
    headers = signed(MENAFN)
    if how == "absent":
        del headers[header]
    else:
        headers[header] = ""

    # When it arrives
    reply = post(stack, MENAFN, headers)

    # Then it is a 401 naming the missing header
    assert_refused(reply, 401, "signature.missing-header", header)
    assert inbound_objects(stack) == {}


def malformed_deliveries() -> dict[str, dict[str, Any]]:
    """Every malformed, missing or repeated signature header above, as the event that carries it."""
    events = {
        name: rest_event(headers={**signed(MENAFN), header: value}, body=MENAFN.decode())
        for name, (header, value, _) in MALFORMED_HEADERS.items()
    }
    for header in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        absent = {k: v for k, v in signed(MENAFN).items() if k != header}
        events[f"{header} absent"] = rest_event(headers=absent, body=MENAFN.decode())
        empty = {**signed(MENAFN), header: ""}
        events[f"{header} empty"] = rest_event(headers=empty, body=MENAFN.decode())
        repeated = {name: [value] for name, value in signed(MENAFN).items()}
        repeated[header] *= 2
        events[f"{header} twice"] = rest_event(
            headers=signed(MENAFN), multi=repeated, body=MENAFN.decode()
        )
    events["webhook-id under two spellings"] = rest_event(
        headers={**signed(MENAFN), "Webhook-Id": "msg_0002"}, multi={}, body=MENAFN.decode()
    )
    comma_joined = {**signed(MENAFN), "webhook-id": "msg_0001,msg_0001"}
    events["webhook-id comma-joined by an HTTP API"] = http_event(
        headers=comma_joined, body=MENAFN.decode()
    )
    return events


@pytest.mark.reliability
def test_every_malformed_missing_or_repeated_signature_header_is_a_json_401(
    stack: Harness, figure: Callable[[str], None]
) -> None:
    # Given the catalogue of malformed, missing and repeated signature headers
    catalogue = malformed_deliveries()
    # When each delivery arrives
    replies = {name: send(stack, event) for name, event in catalogue.items()}
    # Then each is a 401 with a JSON body giving a signature reason, and nothing is stored
    wrong = {name: (r.status, r.body) for name, r in replies.items() if r.status != 401}
    assert wrong == {}
    assert all(reply.code.startswith("signature.") and reply.message for reply in replies.values())
    assert inbound_objects(stack, "") == {}
    figure(
        f"{len(replies)} malformed, missing or repeated signature headers: {len(replies)} refused"
        " 401 with a JSON body naming the reason, 0 server errors, 0 stored"
    )


@pytest.mark.reliability
@pytest.mark.parametrize(
    ("offset", "reason", "words"),
    [(-301, "stale-timestamp", "in the past"), (301, "future-timestamp", "in the future")],
)
def test_timestamp_more_than_five_minutes_away_is_unauthorised(
    stack: Harness, offset: int, reason: str, words: str
) -> None:
    # Given a correctly signed delivery stamped 301 s from now
    headers = signed(MENAFN, timestamp=SIGNED_AT + offset)

    # When it arrives
    reply = post(stack, MENAFN, headers)

    # Then it is a 401 saying which way the timestamp is off
    assert_refused(reply, 401, f"signature.{reason}", "webhook-timestamp", words)
    assert inbound_objects(stack) == {}


@pytest.mark.reliability
@pytest.mark.parametrize("offset", [-300, 300])
def test_timestamp_exactly_five_minutes_away_is_accepted(stack: Harness, offset: int) -> None:
    reply = post(stack, MENAFN, signed(MENAFN, timestamp=SIGNED_AT + offset))

    assert reply.status == 202


# Seconds between webhook-timestamp and the clock, and whether the delivery is in the window.
WINDOW_EDGES = {-301: False, -300: True, -299: True, -1: True, 0: True, 1: True, 299: True}
WINDOW_EDGES |= {300: True, 301: False, -SIGNED_AT: False, 99_999_999_999 - SIGNED_AT: False}


@pytest.mark.reliability
def test_the_timestamp_window_is_five_minutes_either_way_to_the_second(
    stack: Harness, figure: Callable[[str], None]
) -> None:
    # Given correctly signed deliveries stamped at each edge of the window and far beyond it
    answers: dict[int, Reply] = {}
    for n, offset in enumerate(WINDOW_EDGES):
        body = MENAFN + f"\n{n}".encode()
        headers = signed(body, msg_id=f"msg_edge_{n}", timestamp=SIGNED_AT + offset)
        # When each arrives
        answers[offset] = post(stack, body, headers)
    # Then those within 300 s either way are accepted, and the others refused as stale or early
    accepted = [offset for offset, reply in answers.items() if reply.status == 202]
    assert accepted == [offset for offset, inside in WINDOW_EDGES.items() if inside]
    refused = {offset: reply.code for offset, reply in answers.items() if reply.status != 202}
    assert refused == {
        -301: "signature.stale-timestamp",
        301: "signature.future-timestamp",
        -SIGNED_AT: "signature.stale-timestamp",
        99_999_999_999 - SIGNED_AT: "signature.future-timestamp",
    }
    assert {answers[offset].status for offset in refused} == {401}
    figure(
        f"timestamp window: {len(accepted)} deliveries from -300 s to +300 s accepted;"
        f" {len(refused)} at -301 s, +301 s, the epoch and the largest timestamp refused 401"
    )


@pytest.mark.reliability
def test_rotation_accepts_either_secret_and_a_list_with_both_signatures(
    stack: Harness,
) -> None:
    # Given menafn's secret holds the current and the next key during a rotation
    stack.secretsmanager.put_secret_value(
        SecretId=NAMES.secret_prefix + "menafn", SecretString=json.dumps([SECRET, NEXT_SECRET])
    )
    first, second = ninjs_bytes(version="1"), ninjs_bytes(version="2")

    # When deliveries are signed with the old key, the new key, and both (old one stale first)
    replies = [
        post(stack, MENAFN, signed(MENAFN, msg_id="msg_old", secrets=(SECRET,))),
        post(
            stack, first, signed(first, content_type=JSON, msg_id="msg_new", secrets=(NEXT_SECRET,))
        ),
        post(
            stack,
            second,
            signed(
                second, content_type=JSON, msg_id="msg_both", secrets=(UNKNOWN_SECRET, NEXT_SECRET)
            ),
        ),
    ]

    # Then each is accepted and stored
    assert [reply.status for reply in replies] == [202, 202, 202]
    assert len(inbound_objects(stack)) == 3


# ------------------------------------------------------------------ size


@pytest.mark.reliability
def test_body_over_the_limit_is_refused_before_signature_or_parsing(stack: Harness) -> None:
    # Given MAX_BODY + 1 bytes of garbage, unsigned and without a content type
    garbage = "{" * (MAX_BODY + 1)

    # When it arrives
    reply = send(stack, rest_event(headers={}, body=garbage))

    # Then it is a 413 (not 401, 415 or 400) stating the limit
    assert_refused(reply, 413, "body.too-large", str(MAX_BODY))
    assert reply.body["error"]["limit"] == MAX_BODY
    assert inbound_objects(stack) == {}


@pytest.mark.reliability
def test_signed_body_one_byte_over_the_limit_is_too_large(
    stack: Harness, figure: Callable[[str], None]
) -> None:
    body = MENAFN + b" " * (MAX_BODY + 1 - len(MENAFN))

    reply = post(stack, body, signed(body))

    assert_refused(reply, 413, "body.too-large")
    assert inbound_objects(stack) == {}
    figure(
        f"a signed body of {MAX_BODY:,} + 1 bytes: 413 body.too-large with a JSON body, 0 stored"
    )


@pytest.mark.reliability
def test_base64_body_over_the_limit_is_refused_without_decoding(stack: Harness) -> None:
    # Given a base64 body decoding to MAX_BODY + 1 bytes, and one that is not base64 at all
    encoded = base64.b64encode(b"\xff" * (MAX_BODY + 1)).decode()
    junk = "!" * (2 * MAX_BODY)

    # When they arrive
    replies = [
        send(stack, rest_event(headers={}, body=body, base64_encoded=True))
        for body in (encoded, junk)
    ]

    # Then both are 413
    for reply in replies:
        assert_refused(reply, 413, "body.too-large")


# ---------------------------------------------------------- content type


@pytest.mark.parametrize(
    ("content_type", "code"),
    [
        (None, "media-type.unsupported"),
        ("application/pdf", "media-type.unsupported"),
        ("text/html", "media-type.unsupported"),
        ("application/octet-stream", "media-type.unsupported"),
        ("application/json, text/plain", "media-type.unsupported"),
        ("multipart/form-data; boundary=x", "media-type.unsupported"),
        ("text/plain; charset=iso-8859-1", "media-type.charset"),
        ("application/json; charset=utf-16", "media-type.charset"),
    ],
)
def test_unsupported_content_type_is_refused(
    stack: Harness, content_type: str | None, code: str
) -> None:
    # Given a correctly signed article sent with an unsupported content type
    reply = post(stack, MENAFN, signed(MENAFN, content_type=content_type))

    # Then it is a 415 that names what is accepted, and nothing is stored
    assert_refused(reply, 415, code, "content-type")
    assert inbound_objects(stack) == {}
    if code == "media-type.unsupported":
        assert "application/ninjs+json" in reply.message


# ------------------------------------------------------------ bad bodies

BAD_JSON = {
    "NaN": (b'{"uri": "urn:x", "score": NaN}', "body.number", "NaN"),
    "duplicate key": (b'{"uri": "urn:x", "uri": "urn:y"}', "body.duplicate-key", '"uri"'),
    "lone surrogate escape": (
        b'{"uri": "urn:x", "headline": "\\ud800"}',
        "body.surrogate",
        "\\ud800",
    ),
    "deep nesting": (b"[" * 5000 + b"]" * 5000, "body.depth", "levels deep"),
    "5,000-digit integer": (b'{"n": ' + b"9" * 5000 + b"}", "body.number", "digits"),
    "truncated": (b'{"uri": "urn:x", "headline": ', "body.syntax", "not valid JSON"),
    "invalid UTF-8": (b'{"uri": "urn:\xff"}', "body.encoding", "UTF-8"),
    "whitespace only": (b"  \n ", "body.empty", "empty"),
}


@pytest.mark.reliability
@pytest.mark.parametrize(("body", "code", "words"), BAD_JSON.values(), ids=BAD_JSON.keys())
def test_malformed_json_body_is_a_bad_request(
    stack: Harness, body: bytes, code: str, words: str
) -> None:
    # Given a correctly signed JSON delivery whose body is not acceptable JSON
    event = rest_event(
        headers=signed(body, content_type=JSON),
        body=base64.b64encode(body).decode(),
        base64_encoded=True,
    )

    # When it arrives
    reply = send(stack, event)

    # Then it is a 400 naming the problem, and nothing is stored
    assert_refused(reply, 400, code, words)
    assert inbound_objects(stack) == {}


BAD_TEXT = {
    "invalid UTF-8": (b"Headline\n\nBody \xc3\x28 text", "body.encoding", "UTF-8"),
    "Latin-1": ("Café\n\nBody".encode("latin-1"), "body.encoding", "UTF-8"),
    "NUL bytes": (b"Headline\n\nBody\x00text", "body.binary", "NUL"),
    "empty": (b"", "body.empty", "empty"),
    "whitespace only": (b"\n  \r\n\t", "body.empty", "empty"),
}


@pytest.mark.reliability
@pytest.mark.parametrize(("body", "code", "words"), BAD_TEXT.values(), ids=BAD_TEXT.keys())
def test_malformed_text_body_is_a_bad_request(
    stack: Harness, body: bytes, code: str, words: str
) -> None:
    event = rest_event(
        headers=signed(body), body=base64.b64encode(body).decode(), base64_encoded=True
    )

    reply = send(stack, event)

    assert_refused(reply, 400, code, words)
    assert inbound_objects(stack) == {}


BAD_BASE64 = ["not base64!", "QUJDRA", "QUJ@RA==", "QUJDä===", "QUJD\nRA=="]


@pytest.mark.parametrize("body", BAD_BASE64)
def test_body_marked_base64_that_is_not_is_a_bad_request(stack: Harness, body: str) -> None:
    # Given an event flagged isBase64Encoded whose body does not decode
    event = rest_event(headers=signed(MENAFN), body=body, base64_encoded=True)

    # When it arrives
    reply = send(stack, event)

    # Then it is a 400, not a 500
    assert_refused(reply, 400, "body.base64", "base64")
    assert inbound_objects(stack) == {}


# -------------------------------------------------------- not an article


def test_ninjs_with_schema_errors_lists_every_error_with_its_pointer(stack: Harness) -> None:
    # Given a signed ninjs document with a bad pubstatus and a bad versioncreated
    body = ninjs_bytes(pubstatus="published", versioncreated="yesterday")

    # When it arrives
    reply = post(stack, body, signed(body, content_type=JSON))

    # Then it is a 422 listing both errors with JSON pointers, and nothing is stored
    assert_refused(reply, 422, "article.invalid", "not a valid article", "2 problems")
    errors = reply.body["error"]["errors"]
    assert [error["pointer"] for error in errors] == ["/pub_status", "/version_created"]
    assert "'published' is not one of" in errors[0]["message"]
    assert "date-time" in errors[1]["message"]
    assert inbound_objects(stack) == {}


@pytest.mark.parametrize(
    ("document", "pointer", "words"),
    [
        ({"headline": "no uri"}, "/uri", "uri"),
        (ninjs(uri=42), "/uri", "uri"),
        (ninjs(version=True), "/version", "version"),
        ([ninjs()], "", "JSON object"),
        ("just a string", "", "JSON object"),
    ],
    ids=["no uri", "numeric uri", "boolean version", "array", "string"],
)
def test_json_that_is_not_ninjs_is_unprocessable(
    stack: Harness, document: Any, pointer: str, words: str
) -> None:
    body = json.dumps(document).encode()

    reply = post(stack, body, signed(body, content_type=JSON))

    assert_refused(reply, 422, "article.invalid", words)
    assert reply.body["error"]["errors"][0]["pointer"] == pointer
    assert inbound_objects(stack) == {}


def test_text_with_a_headline_but_no_body_is_unprocessable(stack: Harness) -> None:
    body = b"Gulf ports report busier third quarter\n\n\n"

    reply = post(stack, body, signed(body))

    assert_refused(reply, 422, "article.invalid", "no body")
    assert reply.body["error"]["errors"] == [
        {
            "pointer": "/body_text",
            "reason": "no-body",
            "message": "the article has a headline but no body",
        }
    ]
    assert inbound_objects(stack) == {}


def test_uri_over_the_schema_limit_is_unprocessable(stack: Harness) -> None:
    body = ninjs_bytes(uri="urn:x:" + "a" * 3000)

    reply = post(stack, body, signed(body, content_type=JSON))

    assert_refused(reply, 422, "article.invalid", "/uri")
    assert inbound_objects(stack) == {}


# --------------------------------------------------- providers and routes

# Ids the route pattern takes reach the provider check; the others never match the route.
HOSTILE_PROVIDERS = {
    "no policy": ("reuters", "provider.unknown"),
    "upper case": ("MENAFN", "provider.unknown"),
    "dot dot": ("..", "provider.unknown"),
    "encoded dot dot": ("%2e%2e", "provider.unknown"),
    "encoded slash": ("menafn%2f..%2fcleared", "provider.unknown"),
    "leading hyphen": ("-menafn", "provider.unknown"),
    "64 characters": ("m" * 64, "provider.unknown"),
    "encoded NUL": ("menafn%00", "provider.unknown"),
    "unicode digit": ("menafn\u0663", "provider.unknown"),
    "NUL": ("menafn\x00", "route.not-found"),
    "bidi override": ("menafn\u202e", "route.not-found"),
    "newline": ("menafn\n", "route.not-found"),
    "empty": ("", "route.not-found"),
}


@pytest.mark.parametrize(
    ("provider", "code"), HOSTILE_PROVIDERS.values(), ids=HOSTILE_PROVIDERS.keys()
)
def test_unknown_or_malformed_provider_is_not_found(
    stack: Harness, provider: str, code: str
) -> None:
    # Given a correctly signed delivery posted for a provider id that is no registered provider
    reply = post(stack, MENAFN, signed(MENAFN), provider=provider)

    # Then it is a JSON 404 that does not echo the id, and nothing is stored anywhere
    assert_refused(reply, 404, code)
    if provider:
        assert provider not in reply.message
    assert inbound_objects(stack, "") == {}


@pytest.mark.parametrize(
    "path",
    ["/v1/providers/menafn", "/v1/providers/../../articles", "/v1/providers/a/b/articles", "/"],
)
def test_unknown_route_is_a_json_not_found(stack: Harness, path: str) -> None:
    reply = send(stack, rest_event(path=path, headers=signed(MENAFN), body=MENAFN.decode()))

    assert_refused(reply, 404, "route.not-found", "no such route")
    assert inbound_objects(stack, "") == {}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
def test_other_method_on_the_articles_route_is_not_allowed(stack: Harness, method: str) -> None:
    reply = send(stack, rest_event(method=method, headers=signed(MENAFN), body=MENAFN.decode()))

    assert_refused(reply, 405, "method.not-allowed", "POST")
    assert reply.headers["allow"] == "POST"


def test_other_method_in_an_http_api_event_is_not_allowed(stack: Harness) -> None:
    reply = send(stack, http_event(method="GET"))

    assert_refused(reply, 405, "method.not-allowed")


HOSTILE_URIS = {
    "parent directories": "../../cleared/menafn/x",
    "absolute path": "/etc/passwd",
    "percent-encoded dot dot": "%2e%2e%2f%2e%2e%2fcleared",
    "NUL": "urn:menafn:\x00../x",
    "CR LF": "urn:menafn:1\r\nX-Amz-Meta: injected",
    "bidi override": "urn:menafn:\u202etxt.exe",
    "only dots": "..",
    "only slashes": "////",
    "trailing colon": "urn:menafn:",
    "backslashes": "..\\..\\audit",
    "over-long": "urn:menafn:" + "x" * 2000,
    "emoji and spaces": "urn:menafn: 🚢 ports ",
}


@pytest.mark.reliability
@pytest.mark.parametrize("uri", HOSTILE_URIS.values(), ids=HOSTILE_URIS.keys())
def test_hostile_article_id_can_only_name_a_key_under_the_providers_prefix(
    stack: Harness, uri: str
) -> None:
    # Given a signed ninjs article whose uri and version try to escape the inbound prefix
    body = ninjs_bytes(uri=uri, version="../\u202e1")

    # When it arrives
    reply = post(stack, body, signed(body, content_type=JSON))

    # Then it is stored under inbound/menafn/<date>/ with an allow-listed name, and only there
    assert reply.status == 202, reply.body
    assert KEY_SHAPE.fullmatch(reply.body["key"])
    assert inbound_objects(stack) == {reply.body["key"]: body}
    assert set(inbound_objects(stack, "")) - set(inbound_objects(stack, "receipts/")) == {
        reply.body["key"]
    }


@pytest.mark.reliability
def test_distinct_hostile_uris_get_distinct_keys(stack: Harness) -> None:
    # Given two uris that clean to the same characters
    bodies = [ninjs_bytes(uri="urn:a/../b"), ninjs_bytes(uri="urn:a/./b")]

    # When both are delivered
    keys = {
        post(stack, b, signed(b, content_type=JSON, msg_id=f"msg_{i}")).body["key"]
        for i, b in enumerate(bodies)
    }

    # Then they are stored under two keys
    assert len(keys) == 2


def hostile_catalogue() -> dict[str, tuple[dict[str, Any], int]]:
    """Each hostile input above as the event that carries it, with the status it must get."""
    events: dict[str, tuple[dict[str, Any], int]] = {}
    for name, (body, _, _) in BAD_JSON.items():
        headers = signed(body, content_type=JSON, msg_id=f"msg_{len(events)}")
        wire = base64.b64encode(body).decode()
        events[f"JSON: {name}"] = (rest_event(headers=headers, body=wire, base64_encoded=True), 400)
    for name, (body, _, _) in BAD_TEXT.items():
        headers = signed(body, msg_id=f"msg_{len(events)}")
        wire = base64.b64encode(body).decode()
        events[f"text: {name}"] = (rest_event(headers=headers, body=wire, base64_encoded=True), 400)
    for wire in BAD_BASE64:
        event = rest_event(headers=signed(MENAFN), body=wire, base64_encoded=True)
        events[f"base64: {wire!r}"] = (event, 400)
    for name, (provider, _) in HOSTILE_PROVIDERS.items():
        headers = signed(MENAFN, msg_id=f"msg_{len(events)}")
        event = rest_event(provider=provider, headers=headers, body=MENAFN.decode())
        events[f"provider id: {name}"] = (event, 404)
    for name, uri in HOSTILE_URIS.items():
        body = ninjs_bytes(uri=uri, version="../\u202e1")
        headers = signed(body, content_type=JSON, msg_id=f"msg_{len(events)}")
        events[f"article id: {name}"] = (rest_event(headers=headers, body=body.decode()), 202)
    return events


@pytest.mark.reliability
def test_the_hostile_input_catalogue_is_refused_or_kept_under_the_providers_prefix(
    stack: Harness, figure: Callable[[str], None]
) -> None:
    # Given hostile JSON, text and base64 bodies, provider ids and article ids, each signed
    catalogue = hostile_catalogue()
    # When each arrives
    replies = {name: send(stack, event) for name, (event, _) in catalogue.items()}
    # Then each gets the answer it must, with a JSON body; none is a server error
    wrong = {
        name: (reply.status, reply.body)
        for name, reply in replies.items()
        if reply.status != catalogue[name][1]
    }
    assert wrong == {}
    refused = [reply for reply in replies.values() if reply.status != 202]
    assert all(reply.code and reply.message for reply in refused)
    # And what was accepted is stored only under inbound/menafn/<date>/ with a safe name
    stored = set(inbound_objects(stack, "")) - set(inbound_objects(stack, "receipts/"))
    assert all(KEY_SHAPE.fullmatch(key) for key in stored)
    assert stored == {reply.body["key"] for reply in replies.values() if reply.status == 202}
    statuses = Counter(reply.status for reply in replies.values())
    figure(
        f"{len(catalogue)} hostile inputs (JSON, text, base64, provider ids, article ids):"
        f" {len(refused)} refused with a JSON 4xx"
        f" ({', '.join(f'{n} {s}' for s, n in sorted(statuses.items()) if s != 202)}),"
        f" {statuses[202]} stored only under inbound/menafn/, 0 server errors"
    )


# ------------------------------------------------------------ server faults


def test_unusable_secret_is_a_server_fault_that_leaks_nothing(
    stack: Harness, logs: io.StringIO
) -> None:
    # Given menafn's stored secret is not valid base64
    broken = "whsec_!!this-is-not-base64!!"
    stack.secretsmanager.put_secret_value(
        SecretId=NAMES.secret_prefix + "menafn", SecretString=broken
    )

    # When a delivery arrives
    reply = post(stack, MENAFN, signed(MENAFN))

    # Then it is a JSON 500 without the secret or a traceback, and the fault is logged
    assert_refused(reply, 500, "server.misconfigured", "misconfigured")
    text = json.dumps(reply.body)
    assert broken not in text
    assert "Traceback" not in text
    (fault,) = [r for r in log_records(logs) if r["level"] == "ERROR"]
    assert fault["message"] == "webhook secret is unusable"
    assert fault["exception_name"] == "SecretError"
    assert broken not in logs.getvalue()
    assert inbound_objects(stack, "") == {}


@pytest.mark.reliability
def test_storage_failure_is_a_retryable_server_fault(stack: Harness) -> None:
    # Given the inbound bucket is gone
    stack.webhook.store = Bucket(stack.s3, "no-such-bucket")

    # When a valid delivery arrives
    reply = post(stack, MENAFN, signed(MENAFN))

    # Then it is a JSON 503 the sender should retry, with no AWS error text in it
    assert_refused(reply, 503, "server.unavailable", "retry")
    assert reply.headers["retry-after"] == "30"
    assert "NoSuchBucket" not in json.dumps(reply.body)


def test_unexpected_failure_is_a_json_500(stack: Harness) -> None:
    # Given a secret source that fails in a way nobody planned for
    class Exploding:
        def for_provider(self, provider: str) -> list[str]:
            raise RuntimeError("boom /var/task/secret.py line 3")

    stack.webhook.secrets = Exploding()

    # When a delivery arrives
    reply = post(stack, MENAFN, signed(MENAFN))

    # Then the answer is a JSON 500 that says nothing of the cause
    assert_refused(reply, 500, "server.error")
    assert "boom" not in json.dumps(reply.body)


# ------------------------------------------------------------ observability


def test_delivery_is_logged_with_correlation_id_provider_and_article_and_counted(
    stack: Harness, logs: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an accepted delivery and a refused (stale) one
    post(stack, MENAFN, signed(MENAFN))
    post(stack, MENAFN, signed(MENAFN, timestamp=SIGNED_AT - 1000, msg_id="msg_late"))

    # Then the acceptance is logged with the request's correlation id, provider and article id
    accepted, refused = log_records(logs)
    assert accepted["message"] == "accepted"
    assert accepted["correlation_id"] == "req-0001"
    assert accepted["provider"] == "menafn"
    assert accepted["article_id"] == MENAFN_KEY.rsplit("/", 1)[1].removesuffix(".txt")
    assert accepted["key"] == MENAFN_KEY
    # And the refusal with its code, without the previous invocation's article id
    assert (refused["message"], refused["code"], refused["status"]) == (
        "refused",
        "signature.stale-timestamp",
        401,
    )
    assert "article_id" not in refused
    # And each delivery is counted once by provider and status class
    emitted = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    assert [(m["provider"], m["status_class"], m["WebhookDeliveries"]) for m in emitted] == [
        ("menafn", "2xx", [1.0]),
        ("menafn", "4xx", [1.0]),
    ]
    (directive,) = emitted[0]["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "Clearance"
    assert ["provider", "service", "status_class"] in [sorted(d) for d in directive["Dimensions"]]


def test_handler_builds_its_collaborators_from_the_environment(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the environment the template sets, and the bucket and secret it names
    for name, value in NAMES.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MAX_BODY_BYTES", "1024")
    s3 = boto3.client("s3", region_name=NAMES.region)
    s3.create_bucket(Bucket=INBOUND)
    create_secrets(
        boto3.client("secretsmanager", region_name=NAMES.region), NAMES, {"menafn": SECRET}
    )
    caches = (clients.s3, clients.secretsmanager, build_webhook)
    for cached in caches:
        cached.cache_clear()
    now = int(datetime.now(UTC).timestamp())
    try:
        # When the handler runs without injected collaborators
        def deliver(body: bytes) -> dict[str, Any]:
            event = rest_event(headers=signed(body, timestamp=now), body=body.decode())
            response: dict[str, Any] = webhook_module.handler(
                event, lambda_context("WebhookFunction")
            )
            return response

        small = b"Ports busier\n\n(MENAFN) Volumes grew by nine percent."
        accepted, too_large = deliver(small), deliver(small + b" " * 1024)
    finally:
        for cached in caches:
            cached.cache_clear()

    # Then it reads the bucket, the secret prefix and the size limit from the environment
    assert accepted["statusCode"] == 202
    key = json.loads(accepted["body"])["key"]
    assert s3.get_object(Bucket=INBOUND, Key=key)["Body"].read() == small
    assert too_large["statusCode"] == 413


# ---------------------------------------------------------------- fuzzing

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=60)  # surrogates too
HEADER_NAMES = st.sampled_from(["x-other", "Content-Type", "webhook-id", "Webhook-Signature"]) | (
    st.text(max_size=12)
)
CONTENT_TYPES = st.sampled_from(
    [TEXT, TEXT, JSON, JSON, "application/ninjs+json", "text/plain; charset=latin-1", ""]
) | st.text(max_size=40)
DELIVERY_IDS = st.sampled_from(["msg_fuzz", "msg_fuzz2", "msg_3"])
TEXT_ARTICLES = st.builds(
    lambda headline, body: f"{headline}\n\n{body}".encode(),
    st.text(min_size=1, max_size=40),
    st.text(min_size=1, max_size=200),
)
NINJS_ARTICLES = st.builds(
    lambda overrides: json.dumps(ninjs(**overrides)).encode(),
    st.dictionaries(
        st.sampled_from(["uri", "version", "headline", "pubstatus", "versioncreated", "bodies"]),
        st.none() | st.booleans() | st.integers() | st.text(max_size=40) | st.lists(st.text()),
    ),
)


@dataclass
class Fuzz:
    body: bytes
    as_base64: bool
    sign: bool
    msg_id: str
    skew: int
    content_type: str
    extra: dict[str, str] = field(default_factory=dict)
    repeats: int = 0
    text_body: str | None = None


fuzz_cases = st.builds(
    Fuzz,
    body=st.one_of(
        st.binary(max_size=512),
        st.text(max_size=512).map(str.encode),
        st.just(MENAFN),
        TEXT_ARTICLES,
        NINJS_ARTICLES,
        NINJS_ARTICLES,
    ),
    as_base64=st.booleans(),
    sign=st.sampled_from([True, True, True, False]),
    msg_id=st.one_of(DELIVERY_IDS, DELIVERY_IDS, DELIVERY_IDS, st.text(max_size=20)),
    skew=st.integers(-290, 290) | st.integers(-400, 400),
    content_type=CONTENT_TYPES,
    extra=st.dictionaries(HEADER_NAMES, ANY_TEXT, max_size=2),
    repeats=st.sampled_from([0, 0, 0, 1, 2]),
    text_body=st.none() | st.none() | st.none() | ANY_TEXT,
)


FUZZ_EXAMPLES = 1000
FUZZ_SETTINGS = settings(
    max_examples=FUZZ_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def status_classes(answers: Counter[int]) -> str:
    return ", ".join(f"{count:,} answered {status}" for status, count in sorted(answers.items()))


@pytest.mark.reliability
def test_arbitrary_bodies_and_headers_never_get_a_server_error(
    stack: Harness, figure: Callable[[str], None]
) -> None:
    answers: Counter[int] = Counter()

    @FUZZ_SETTINGS
    @given(case=fuzz_cases)
    def deliver(case: Fuzz) -> None:
        # Given any body and headers, signed correctly or not, as text or base64
        if case.text_body is not None:
            case.body, case.as_base64 = case.text_body.encode("utf-8", "surrogatepass"), False
        elif not case.as_base64:
            try:
                case.body.decode("utf-8")
            except UnicodeDecodeError:
                case.as_base64 = True
        timestamp = SIGNED_AT + case.skew
        headers: dict[str, str] = {"Content-Type": case.content_type}
        if case.sign:
            headers.update(signed_headers(SECRET, case.msg_id, timestamp, case.body))
        headers.update(case.extra)
        if case.text_body is not None:
            body = case.text_body
        elif case.as_base64:
            body = base64.b64encode(case.body).decode()
        else:
            body = case.body.decode()
        multi = {k: [v] * case.repeats for k, v in headers.items()} if case.repeats else None
        delivery = rest_event(
            headers=headers, multi=multi, body=body, base64_encoded=case.as_base64
        )

        # When it arrives
        reply = send(stack, delivery)
        event(f"{reply.status} {reply.body.get('error', {}).get('code', '')}")
        answers[reply.status] += 1

        # Then the answer is a 202 that stored the body under the provider, or a 4xx naming a code
        assert reply.status < 500, reply.body
        if reply.status == 202:
            assert KEY_SHAPE.fullmatch(reply.body["key"])
            stored = stack.s3.get_object(Bucket=INBOUND, Key=reply.body["key"])["Body"].read()
            assert hashlib.sha256(stored).hexdigest() == hashlib.sha256(case.body).hexdigest()
        else:
            assert 400 <= reply.status < 500
            assert reply.code
            assert reply.message

    deliver()
    assert answers.total() >= FUZZ_EXAMPLES
    figure(
        f"hypothesis, {answers.total():,} arbitrary bodies and headers through the handler:"
        f" {status_classes(answers)}; 0 server errors"
    )


@pytest.mark.reliability
def test_correctly_signed_arbitrary_bodies_never_get_a_server_error(
    stack: Harness, figure: Callable[[str], None]
) -> None:
    answers: Counter[int] = Counter()

    @FUZZ_SETTINGS
    @given(
        typed=st.one_of(
            st.tuples(TEXT_ARTICLES | st.just(MENAFN), st.just(TEXT)),
            st.tuples(NINJS_ARTICLES, st.sampled_from([JSON, "application/ninjs+json"])),
            st.tuples(st.binary(max_size=512), st.sampled_from([TEXT, JSON])),
        ),
        as_base64=st.booleans(),
        text_body=st.none() | st.none() | ANY_TEXT,
    )
    def deliver(typed: tuple[bytes, str], as_base64: bool, text_body: str | None) -> None:
        # Given any body, correctly signed under a delivery id of its own
        body, content_type = typed
        if text_body is not None:
            body, as_base64 = text_body.encode("utf-8", "surrogatepass"), False
        elif not as_base64:
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                as_base64 = True
        msg_id = "msg_" + hashlib.sha256(body + content_type.encode("utf-8", "replace")).hexdigest()
        if text_body is not None:
            wire = text_body
        else:
            wire = base64.b64encode(body).decode() if as_base64 else body.decode()
        delivery = rest_event(
            headers=signed(body, content_type=content_type, msg_id=msg_id),
            body=wire,
            base64_encoded=as_base64,
        )

        # When it arrives
        reply = send(stack, delivery)
        event(f"{reply.status} {reply.body.get('error', {}).get('code', '')}")
        answers[reply.status] += 1

        # Then it is stored as delivered, or refused with a 4xx that is not about the signature
        assert reply.status < 500, reply.body
        if reply.status == 202:
            stored = stack.s3.get_object(Bucket=INBOUND, Key=reply.body["key"])["Body"].read()
            assert stored == body
            assert KEY_SHAPE.fullmatch(reply.body["key"])
        else:
            assert reply.status in {400, 409, 415, 422}, reply.body

    deliver()
    assert answers.total() >= FUZZ_EXAMPLES
    figure(
        f"hypothesis, {answers.total():,} correctly signed arbitrary bodies through the handler:"
        f" {status_classes(answers)}; 0 server errors"
    )


# --------------------------------------------------------------- agency formats

G2_MESSAGE = (DEMO_ARTICLES / "dpa-message.xml").read_bytes()
NITF_FILE = (DEMO_ARTICLES / "ntb-partner-factcheck.nitf").read_bytes()
ATOM_FEED = (DEMO_ARTICLES / "conversation-health.atom").read_bytes()
RSS_FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>'
    b"<copyright>Example Wire</copyright><item><guid>urn:wire:1</guid><title>One</title>"
    b"<description>&lt;p&gt;Body&lt;/p&gt;</description></item></channel></rss>"
)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/vnd.iptc.g2.newsmessage+xml", G2_MESSAGE),
        ("application/vnd.iptc.g2.newsitem+xml", G2_MESSAGE),
        ("application/nitf+xml", NITF_FILE),
        ("application/rss+xml", RSS_FEED),
        ("application/atom+xml", ATOM_FEED),
        ("application/xml", G2_MESSAGE),
        ("text/xml; charset=utf-8", NITF_FILE),
    ],
)
def test_agency_xml_is_taken_at_the_door_and_stored_as_xml(
    stack: Harness, content_type: str, body: bytes
) -> None:
    # Given a signed delivery in one of the agencies' XML formats, under its media type
    reply = post(stack, body, signed(body, content_type=content_type))
    # Then it is accepted and stored byte for byte under an .xml key
    assert reply.status == 202, reply.body
    assert reply.body["key"].endswith(".xml")
    assert inbound_objects(stack) == {reply.body["key"]: body}


def test_a_delivery_of_several_items_is_answered_with_every_items_id(stack: Harness) -> None:
    # Given a NewsML-G2 message: two stories and a package
    reply = post(stack, G2_MESSAGE, signed(G2_MESSAGE, content_type="application/xml"))
    # Then it is stored once, and the answer names each story's id and the package's refusal
    assert reply.status == 202
    sha = hashlib.sha256(G2_MESSAGE).hexdigest()
    assert reply.body["id"] == f"items-{sha[:32]}"
    first, second, package = reply.body["items"]
    assert first["uri"] == "urn:newsml:dpa.com:20090101:261201-99-000101"
    assert second["uri"] == "urn:newsml:dpa.com:20090101:261201-99-000102"
    assert first["id"] != second["id"]
    assert first["id"].startswith("261201-99-000101-")
    assert "-v1-" in first["id"]
    assert (package["item"], package["refused"]) == (2, "input.item-class")
    assert len(inbound_objects(stack)) == 1


def test_an_invalid_item_in_a_message_refuses_it_naming_the_item(stack: Harness) -> None:
    # Given a message whose second story has no guid
    body = G2_MESSAGE.replace(b' guid="urn:newsml:dpa.com:20090101:261201-99-000102"', b"", 1)
    reply = post(stack, body, signed(body, content_type="application/xml"))
    # Then it is a 422 pointing at that item, and nothing is stored
    assert_refused(reply, 422, "article.invalid")
    assert [e["pointer"] for e in reply.body["error"]["errors"]] == ["/items/1/uri"]
    assert inbound_objects(stack) == {}


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (b'<?xml version="1.0"?><newsMessage/>', "text/plain", "body.markup"),
        (b"\x16\x16\x01W2422\x1fasian\nHeadline\n\nBody", "text/plain", "body.format-unsupported"),
        (b"<catalog/>", "application/xml", "body.format-unsupported"),
        (b'<!DOCTYPE x [<!ENTITY e "e">]><nitf>&e;</nitf>', "application/nitf+xml", "body.xml-dtd"),
    ],
)
def test_what_no_reader_claims_is_a_400_naming_why(
    stack: Harness, body: bytes, content_type: str, code: str
) -> None:
    reply = post(stack, body, signed(body, content_type=content_type))
    assert_refused(reply, 400, code)
    assert inbound_objects(stack) == {}
