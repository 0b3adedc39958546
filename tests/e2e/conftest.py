"""One real local stack for the e2e tests (free ports, real HTTP), and what a user looks at.

The stack lives for this package only and is stopped before any other tests run: moto's state
is per process, and the integration tests' `mock_aws` must never run beside a live server.
Tests that need another stack start `clearance serve` as a separate process.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import moto
import pytest

from clearance.contracts.keys import DECISIONS
from clearance.ingest.signature import signed_headers
from clearance.local.stack import LocalStack
from clearance.local.usage import development_api_key
from tests.conftest import DEMO_ARTICLES

MENAFN = (DEMO_ARTICLES / "menafn-ports.txt").read_bytes()
MENAFN_HEADLINE = b"Gulf ports report busier third quarter"
TEXT = "text/plain; charset=utf-8"
SECRET = "whsec_" + "c2VjcmV0LWZvci10aGUtc2VydmUtdGVzdC0zMmJ5dGVzIQ=="
"""The webhook secret of the `clearance serve` processes tests start on their own."""


MOTO_KEY = Path(moto.__file__).parent / "cognitoidp" / "resources" / "jwks-private.json.gz"
"""The key moto's user pools sign with: a test signs an expired token with it."""
ALTERED = DEMO_ARTICLES / "menafn-ports-disclaimer-altered.txt"
T = TypeVar("T")


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@pytest.fixture(scope="package")
def stack() -> Iterator[LocalStack]:
    with LocalStack() as running:
        yield running


@pytest.fixture
def fresh(stack: LocalStack) -> LocalStack:
    """The module's stack with empty buckets and queues (S3's test event already handled)."""
    stack.reset()
    wait_until(lambda: stack.queue_depth() == 0, 10, "S3's test event handled")
    return stack


def menafn_article(tag: str) -> bytes:
    """A MENAFN delivery of its own: the demo article under a distinct headline."""
    return MENAFN.replace(MENAFN_HEADLINE, MENAFN_HEADLINE + f" ({tag})".encode(), 1)


def request(
    url: str, body: bytes | None = None, headers: dict[str, str] | None = None, method: str = "POST"
) -> Response:
    """One HTTP request with urllib; an error status is an answer, not an exception."""
    prepared = urllib.request.Request(url, body, headers or {}, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(prepared, timeout=30) as answer:  # noqa: S310
            return Response(answer.status, dict(answer.headers.items()), answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, dict(error.headers.items()), error.read())


def deliver(
    stack: LocalStack,
    body: bytes,
    delivery_id: str,
    *,
    provider: str = "menafn",
    signed_body: bytes | None = None,
    content_type: str = TEXT,
) -> Response:
    """A provider's signed webhook delivery; `signed_body` signs other bytes than are sent."""
    headers = signed_headers(
        stack.secrets[provider],
        delivery_id,
        int(time.time()),
        body if signed_body is None else signed_body,
    )
    return request(stack.webhook_for(provider), body, {**headers, "Content-Type": content_type})


def kill(stack: LocalStack, provider: str, article_id: str, reason: str) -> Response:
    """The provider's signed kill order for an article, with its API key."""
    body = json.dumps({"reason": reason}).encode()
    url = f"{stack.base_url}/v1/providers/{provider}/articles/{article_id}/kill"
    headers = signed_headers(stack.secrets[provider], f"kill-{article_id}", int(time.time()), body)
    key = development_api_key(provider)
    return request(url, body, {**headers, "Content-Type": "application/json", "x-api-key": key})


def drop(stack: LocalStack, key: str, body: bytes) -> None:
    stack.s3.put_object(Bucket=stack.names.bucket("inbound"), Key=key, Body=body)


def objects(stack: LocalStack, role: str, prefix: str = "") -> dict[str, bytes]:
    bucket = stack.names.bucket(role)
    found = {}
    for page in stack.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            found[key] = stack.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    return found


def versions(stack: LocalStack, role: str) -> int:
    bucket = stack.names.bucket(role)
    pages = stack.s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
    return sum(len(page.get("Versions", [])) for page in pages)


def decision_count(stack: LocalStack) -> int:
    pages = stack.s3.get_paginator("list_objects_v2").paginate(
        Bucket=stack.names.bucket("audit"), Prefix=DECISIONS
    )
    return sum(page.get("KeyCount", 0) for page in pages)


def decisions(stack: LocalStack) -> list[dict[str, Any]]:
    return [json.loads(data) for data in objects(stack, "audit", DECISIONS).values()]


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll until `condition` holds; fail saying `what` did not happen within `timeout`."""
    eventually(lambda: True if condition() else None, what, timeout)


def settled(stack: LocalStack, decided: int, timeout: float = 20) -> None:
    """`decided` decisions in the audit bucket and nothing left on the queue."""
    wait_until(
        lambda: decision_count(stack) >= decided and stack.queue_depth() == 0,
        timeout,
        f"{decided} decisions and an empty queue",
    )


@pytest.fixture
def secrets_file(tmp_path: Path) -> Path:
    """A secrets file giving MENAFN the webhook secret the separate stacks verify with."""
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"menafn": SECRET}))
    return path


@pytest.fixture
def serve_processes() -> Iterator[list[Any]]:
    """`clearance serve` processes a test starts; any still running is killed after it."""
    started: list[Any] = []
    yield started
    for serve in started:
        if serve.process.poll() is None:
            serve.process.kill()
            serve.process.wait()


def eventually(found: Callable[[], T | None], what: str, timeout: float = 30) -> T:
    """What `found` finds, once it finds something."""
    deadline = time.monotonic() + timeout
    while (value := found()) is None:
        assert time.monotonic() < deadline, f"not within {timeout:.0f} s: {what}"
        time.sleep(0.2)
    return value


def token_claims(token: str) -> dict[str, Any]:
    """A JWT's claims, read without checking it (the service checks; a test looks)."""
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def signed_token(claims: dict[str, Any], key: Any = None) -> str:
    """A JWT of `claims` signed RS256 under the key id moto's pools sign with: by moto's own
    private key (what the pool would issue), or by `key` (a forgery)."""
    from joserfc import jwt  # noqa: PLC0415 - the desk tests' dev dependency
    from joserfc.jwk import RSAKey  # noqa: PLC0415

    signer = key or RSAKey.import_key(json.loads(gzip.decompress(MOTO_KEY.read_bytes())))
    return jwt.encode({"alg": "RS256", "kid": "dummy", "typ": "JWT"}, claims, signer)
