"""A webhook secret rotated in through the local Secrets Manager works at once, for deliveries
and kills alike, even right after a signature with it was refused."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest

from clearance.contracts.keys import DECISIONS
from clearance.ingest.signature import signed_headers
from clearance.local.usage import development_api_key
from tests.e2e.conftest import SECRET, Response, menafn_article, request, wait_until
from tests.e2e.test_serve import NAMES, Serve

pytestmark = pytest.mark.reliability

NEXT = "whsec_" + base64.b64encode(b"the-next-secret-of-menafn-32byte").decode()


def kill(serve: Serve, article: str, secret: str, attempt: str) -> Response:
    url = f"http://127.0.0.1:{serve.port}/v1/providers/menafn/articles/{article}/kill"
    headers = signed_headers(secret, f"kill-{attempt}", int(time.time()), b"")
    return request(url, b"", {**headers, "x-api-key": development_api_key("menafn")})


def decided_article(serve: Serve) -> str:
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{serve.aws_port}",
        region_name=NAMES.region,
        aws_access_key_id="any",
        aws_secret_access_key="any",
    )
    bucket = NAMES.bucket("audit")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=DECISIONS).get("Contents", [])
    record = json.loads(s3.get_object(Bucket=bucket, Key=listed[0]["Key"])["Body"].read())
    return str(record["article"]["id"])


def test_a_secret_rotated_in_is_accepted_at_once_by_the_webhook_and_the_kill_route(
    tmp_path: Path,
    secrets_file: Path,
    serve_processes: list[Serve],
    figure: Callable[[str], None],
) -> None:
    # Given `clearance serve` with MENAFN's secret, a delivery signed with it decided
    serve = Serve("--secrets", str(secrets_file), "--data", str(tmp_path / "state"))
    serve_processes.append(serve)
    serve.wait_for("webhook")
    assert serve.deliver(menafn_article("before"), "msg-before").status == 202
    wait_until(lambda: serve.count("audit", DECISIONS) == 1, 30, "one decision")
    article = decided_article(serve)
    # And a delivery and a kill signed with the next secret refused, before it is rotated in
    assert serve.deliver(menafn_article("early"), "msg-early", secret=NEXT).status == 401
    assert kill(serve, article, NEXT, "early").status == 401
    # When the secret is rotated to [current, next] through the local Secrets Manager
    secrets = boto3.client(
        "secretsmanager",
        endpoint_url=f"http://127.0.0.1:{serve.aws_port}",
        region_name=NAMES.region,
        aws_access_key_id="any",
        aws_secret_access_key="any",
    )
    secrets.put_secret_value(
        SecretId=f"{NAMES.secret_prefix}menafn", SecretString=json.dumps([SECRET, NEXT])
    )
    rotated = time.monotonic()
    # Then a delivery and a kill signed with the next secret are accepted at once
    delivered = serve.deliver(menafn_article("after"), "msg-after", secret=NEXT)
    killed = kill(serve, article, NEXT, "after")
    waited = time.monotonic() - rotated
    assert (delivered.status, killed.status) == (202, 202), (delivered.body, killed.body)
    # And the current secret still works while both are listed
    assert serve.deliver(menafn_article("current"), "msg-current").status == 202
    figure(
        "a secret rotated in through the local Secrets Manager, right after a delivery and a kill"
        " signed with it were refused: the first delivery and the first kill after it both"
        f" accepted (both answered within {waited:.2f} s)"
    )
    assert serve.stop() == 0
