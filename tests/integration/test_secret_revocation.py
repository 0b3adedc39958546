"""A rotated-in secret works at once; a revoked one stops within the cache's bound; a flood of
bad signatures never costs a Secrets Manager call per request."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from clearance.aws.feedcredentials import FeedCredentials
from clearance.aws.secrets import CACHE_SECONDS, REFRESH_SECONDS
from clearance.feeds.outbound import FetchRefused
from clearance.ingest.intake import Answer, Request
from clearance.ingest.signature import signed_headers
from tests.conftest import DEMO_ARTICLES
from tests.integration.harness import NAMES, Harness

pytestmark = pytest.mark.reliability

OLD = "whsec_" + base64.b64encode(b"the-old-secret-of-menafn-32bytes").decode()
NEW = "whsec_" + base64.b64encode(b"the-new-secret-of-menafn-32bytes").decode()
FORGED = "whsec_" + base64.b64encode(b"a-secret-nobody-ever-configured!").decode()
MENAFN = (DEMO_ARTICLES / "menafn-ports.txt").read_bytes()
SECRET_ID = NAMES.secret_prefix + "menafn"


@pytest.fixture
def setup(harness: Harness) -> Harness:
    """The webhook over moto, its secrets cache on the harness's clock (`seconds`)."""
    harness.buckets().secrets({"menafn": OLD})
    return harness.wire_webhook(lambda: datetime.now(UTC), 1024 * 1024, cached=True)


def post(setup: Harness, secret: str) -> Answer:
    """A MENAFN delivery signed with `secret`."""
    headers = signed_headers(secret, f"msg-{len(setup.sent) + 1}", int(time.time()), MENAFN)
    setup.sent.append(headers["webhook-signature"])
    headers["Content-Type"] = "text/plain; charset=utf-8"
    return setup.webhook.deliver(Request("menafn", headers, MENAFN.decode(), False))


def store(setup: Harness, value: str) -> None:
    """The provider's secret as Secrets Manager now holds it."""
    setup.secretsmanager.put_secret_value(SecretId=SECRET_ID, SecretString=value)


def test_a_secret_rotated_in_is_accepted_at_once_without_waiting_for_the_cache(
    setup: Harness, figure: Callable[[str], None]
) -> None:
    # Given a warm cache holding the old secret
    assert post(setup, OLD).status == 202
    # When the provider's secret is rotated to [old, new] and the provider signs with the new one
    store(setup, f'["{OLD}", "{NEW}"]')
    answer = post(setup, NEW)
    # Then it is accepted at once: the failed match read the secret again before refusing
    assert answer.status == 202
    assert setup.calls["GetSecretValue"] == 2
    figure("a secret rotated in: accepted on its first delivery, with 1 extra secret read")


def test_a_revoked_secret_stops_working_within_the_cache_bound(
    setup: Harness, figure: Callable[[str], None]
) -> None:
    # Given deliveries signed with the old secret are accepted
    assert post(setup, OLD).status == 202
    # When the old secret is revoked (the stored value holds only the new one)
    store(setup, NEW)
    # Then, once the cache's bound has passed, the old secret is refused and the new accepted
    setup.seconds += CACHE_SECONDS
    refused = post(setup, OLD)
    assert refused.status == 401
    assert refused.body["error"]["code"] == "signature.no-matching-signature"
    assert post(setup, NEW).status == 202
    figure(f"a revoked secret: refused within {CACHE_SECONDS:.0f} s (the secret cache's bound)")


def test_a_flood_of_bad_signatures_reads_the_secret_once_per_refresh_interval(
    setup: Harness,
) -> None:
    # Given a warm cache
    assert post(setup, OLD).status == 202
    # When 200 deliveries with a forged signature arrive within the refresh interval
    answers = [post(setup, FORGED) for _ in range(200)]
    # Then every one is refused, and the secret was read again only once
    assert {answer.status for answer in answers} == {401}
    assert setup.calls["GetSecretValue"] == 2
    # And after the interval one more failed match may read it again
    setup.seconds += REFRESH_SECONDS
    assert post(setup, FORGED).status == 401
    assert setup.calls["GetSecretValue"] == 3


def test_a_feeds_credentials_are_read_once_a_cache_period_and_a_removed_secret_fails_the_feed(
    harness: Harness,
) -> None:
    # Given a feed's API key in Secrets Manager under the feeds' prefix
    prefix = NAMES.feed_secret_prefix
    harness.secretsmanager.create_secret(Name=f"{prefix}health", SecretString='{"api_key": "k-1"}')
    reads = captured_reads(harness)
    credentials = FeedCredentials(harness.secretsmanager, prefix, lambda: harness.seconds)
    # When the poller asks for its headers twice within the cache's bound
    first, second = credentials.headers_for("health"), credentials.headers_for("health")
    # Then they are the key's header, read once
    assert first == second == {"x-api-key": "k-1"}
    assert reads == [f"{prefix}health"]
    # And once the secret is removed and the cached value has expired, the feed fails, naming
    # the secret and never the key
    harness.secretsmanager.delete_secret(
        SecretId=f"{prefix}health", ForceDeleteWithoutRecovery=True
    )
    assert credentials.headers_for("health") == {"x-api-key": "k-1"}
    harness.seconds += CACHE_SECONDS
    with pytest.raises(FetchRefused) as refused:
        credentials.headers_for("health")
    assert (refused.value.code, refused.value.message) == (
        "credentials.missing",
        f"no secret {prefix}health exists",
    )
    assert reads == [f"{prefix}health"] * 2


def captured_reads(harness: Harness) -> list[str]:
    """The secret ids the harness's Secrets Manager client is asked for from now on."""
    reads: list[str] = []
    harness.secretsmanager.meta.events.register(
        "provide-client-params.secrets-manager.GetSecretValue",
        lambda params, **_: reads.append(params["SecretId"]),
    )
    return reads
