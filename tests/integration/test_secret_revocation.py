"""A rotated-in secret works at once; a revoked one stops within the cache's bound; a flood of
bad signatures never costs a Secrets Manager call per request."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from clearance.aws.secrets import CACHE_SECONDS, REFRESH_SECONDS, WebhookSecrets
from clearance.aws.store import Bucket
from clearance.ingest.intake import Answer, Request
from clearance.ingest.signature import signed_headers
from clearance.local.resources import Names, create_secrets
from clearance.services.webhook import Webhook
from clearance.terms.policy import PolicySet
from tests.conftest import DEMO_ARTICLES

pytestmark = pytest.mark.reliability

NAMES = Names()
OLD = "whsec_" + base64.b64encode(b"the-old-secret-of-menafn-32bytes").decode()
NEW = "whsec_" + base64.b64encode(b"the-new-secret-of-menafn-32bytes").decode()
FORGED = "whsec_" + base64.b64encode(b"a-secret-nobody-ever-configured!").decode()
MENAFN = (DEMO_ARTICLES / "menafn-ports.txt").read_bytes()
SECRET_ID = NAMES.secret_prefix + "menafn"


class Setup:
    """The webhook over moto, with a clock for the secret cache and a count of secret reads."""

    def __init__(self, policies: PolicySet) -> None:
        self.s3 = boto3.client("s3", region_name=NAMES.region)
        self.s3.create_bucket(Bucket=NAMES.bucket("inbound"))
        self.secretsmanager = boto3.client("secretsmanager", region_name=NAMES.region)
        create_secrets(self.secretsmanager, NAMES, {"menafn": OLD})
        self.reads = 0
        self.secretsmanager.meta.events.register(
            "before-call.secrets-manager.GetSecretValue", self._count
        )
        self.seconds = 1000.0
        self.deliveries = 0
        self.webhook = Webhook(
            store=Bucket(self.s3, NAMES.bucket("inbound")),
            secrets=WebhookSecrets(self.secretsmanager, NAMES.secret_prefix, lambda: self.seconds),
            policies=policies,
            clock=lambda: datetime.now(UTC),
            max_body_bytes=1024 * 1024,
        )

    def _count(self, **_: Any) -> None:
        self.reads += 1

    def post(self, secret: str) -> Answer:
        self.deliveries += 1
        headers = signed_headers(secret, f"msg-{self.deliveries}", int(time.time()), MENAFN)
        headers["Content-Type"] = "text/plain; charset=utf-8"
        return self.webhook.deliver(Request("menafn", headers, MENAFN.decode(), False))

    def store(self, value: str) -> None:
        self.secretsmanager.put_secret_value(SecretId=SECRET_ID, SecretString=value)


@pytest.fixture
def setup(aws: None, policies: PolicySet) -> Setup:
    return Setup(policies)


def test_a_secret_rotated_in_is_accepted_at_once_without_waiting_for_the_cache(
    setup: Setup, figure: Callable[[str], None]
) -> None:
    # Given a warm cache holding the old secret
    assert setup.post(OLD).status == 202
    # When the provider's secret is rotated to [old, new] and the provider signs with the new one
    setup.store(f'["{OLD}", "{NEW}"]')
    answer = setup.post(NEW)
    # Then it is accepted at once: the failed match read the secret again before refusing
    assert answer.status == 202
    assert setup.reads == 2
    figure("a secret rotated in: accepted on its first delivery, with 1 extra secret read")


def test_a_revoked_secret_stops_working_within_the_cache_bound(
    setup: Setup, figure: Callable[[str], None]
) -> None:
    # Given deliveries signed with the old secret are accepted
    assert setup.post(OLD).status == 202
    # When the old secret is revoked (the stored value holds only the new one)
    setup.store(NEW)
    # Then, once the cache's bound has passed, the old secret is refused and the new accepted
    setup.seconds += CACHE_SECONDS
    refused = setup.post(OLD)
    assert refused.status == 401
    assert refused.body["error"]["code"] == "signature.no-matching-signature"
    assert setup.post(NEW).status == 202
    figure(f"a revoked secret: refused within {CACHE_SECONDS:.0f} s (the secret cache's bound)")


def test_a_flood_of_bad_signatures_reads_the_secret_once_per_refresh_interval(
    setup: Setup,
) -> None:
    # Given a warm cache
    assert setup.post(OLD).status == 202
    # When 200 deliveries with a forged signature arrive within the refresh interval
    answers = [setup.post(FORGED) for _ in range(200)]
    # Then every one is refused, and the secret was read again only once
    assert {answer.status for answer in answers} == {401}
    assert setup.reads == 2
    # And after the interval one more failed match may read it again
    setup.seconds += REFRESH_SECONDS
    assert setup.post(FORGED).status == 401
    assert setup.reads == 3
