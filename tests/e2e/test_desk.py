"""People at the desk: every review and audit route under /desk takes a Cognito ID token as API
Gateway's authorizer would (signature, issuer, expiry) and as the functions then do (app client,
group); the reviewer on record is the token's person.

Tokens are real: moto's user pool issues them over the Cognito API, and the expired and forged
ones are made with moto's own signing key and with a stranger's.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest
from joserfc.jwk import RSAKey

from clearance.local.cognito import sign_in
from clearance.local.stack import LocalStack
from tests.e2e.conftest import (
    ALTERED,
    Response,
    deliver,
    eventually,
    request,
    signed_token,
    token_claims,
    wait_until,
)

ROUTES = (
    ("GET", "/desk/v1/review"),
    ("GET", "/desk/v1/review/articles/{article}?version=1"),
    ("POST", "/desk/v1/review/articles/{article}"),
    ("GET", "/desk/v1/audit"),
    ("GET", "/desk/v1/audit/articles/{article}"),
    ("GET", "/desk/v1/audit/kills"),
    ("GET", "/desk/v1/audit/verification"),
)
READS = tuple(route for route in ROUTES if route[0] == "GET")


@dataclass(frozen=True)
class Desk:
    stack: LocalStack
    article: str
    tokens: dict[str, str]
    """By kind: reviewer, compliance, no-group, expired, forged, wrong-pool, wrong-client."""

    def call(self, method: str, path: str, token: str | None, body: Any = None) -> Response:
        url = self.stack.base_url + path.format(article=self.article)
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = token
        data = json.dumps(body).encode() if body is not None else None
        return request(url, data, headers, method=method)


def _app_client(cognito: Any, pool: str, name: str) -> str:
    """An app client people sign in with by password, reading their e-mail."""
    return str(
        cognito.create_user_pool_client(
            UserPoolId=pool,
            ClientName=name,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            ReadAttributes=["email"],
        )["UserPoolClient"]["ClientId"]
    )


@pytest.fixture(scope="module")
def desk(stack: LocalStack) -> Desk:
    stack.reset()
    wait_until(lambda: stack.queue_depth() == 0, 10, "S3's test event handled")
    assert stack.desk is not None
    cognito = stack._clients["cognito-idp"]
    pool, client = stack.desk.pool_id, stack.desk.client_id
    reviewer, officer = stack.desk.member("reviewers"), stack.desk.member("compliance")
    endpoint = stack.endpoint_url
    tokens = {
        "reviewer": sign_in(endpoint, client, reviewer.username, reviewer.password),
        "compliance": sign_in(endpoint, client, officer.username, officer.password),
    }
    # A person of the pool in no group.
    cognito.admin_create_user(
        UserPoolId=pool,
        Username="nora.nobody",
        UserAttributes=[{"Name": "email", "Value": "nora@desk.example"}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool, Username="nora.nobody", Password="Nobody-password-17", Permanent=True
    )
    tokens["no-group"] = sign_in(endpoint, client, "nora.nobody", "Nobody-password-17")
    # Another app client of the same pool: the authorizer passes it, the function must not.
    other = _app_client(cognito, pool, "not-the-console")
    tokens["wrong-client"] = sign_in(endpoint, other, reviewer.username, reviewer.password)
    # Another pool, its reviewer in a group of the same name: signed by the same moto key.
    stranger_pool = cognito.create_user_pool(PoolName="another-desk")["UserPool"]["Id"]
    stranger_client = _app_client(cognito, stranger_pool, "console")
    cognito.create_group(GroupName="reviewers", UserPoolId=stranger_pool)
    cognito.admin_create_user(
        UserPoolId=stranger_pool,
        Username=reviewer.username,
        UserAttributes=[{"Name": "email", "Value": reviewer.email}],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=stranger_pool,
        Username=reviewer.username,
        Password="Stranger-password-17",
        Permanent=True,
    )
    cognito.admin_add_user_to_group(
        UserPoolId=stranger_pool, Username=reviewer.username, GroupName="reviewers"
    )
    tokens["wrong-pool"] = sign_in(
        endpoint, stranger_client, reviewer.username, "Stranger-password-17"
    )
    # The reviewer's own claims, expired an hour ago and signed with the pool's key; and
    # unexpired but signed by a stranger's key under the pool's key id.
    claims = token_claims(tokens["reviewer"])
    past = int(time.time()) - 3600
    tokens["expired"] = signed_token({**claims, "iat": past - 3600, "exp": past})
    tokens["forged"] = signed_token(claims, RSAKey.generate_key(2048))
    # The altered-disclaimer article, held for a person.
    deliver(stack, ALTERED.read_bytes(), "desk-altered")
    article = eventually(lambda: _held(stack, tokens["reviewer"]), "the article held")
    return Desk(stack, article, tokens)


def _held(stack: LocalStack, token: str) -> str | None:
    answer = request(f"{stack.base_url}/desk/v1/review", None, {"Authorization": token}, "GET")
    held = answer.json["held"] if answer.status == 200 else []
    return str(held[0]["article"]) if held else None


def _verdict(reason: str = "wording agreed with the provider") -> dict[str, str]:
    return {"version": "1", "verdict": "approve", "reason": reason}


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_route_without_a_token_is_refused_401(desk: Desk, method: str, path: str) -> None:
    answer = desk.call(method, path, None, _verdict() if method == "POST" else None)
    assert (answer.status, answer.json["error"]["code"]) == (401, "token.invalid")


@pytest.mark.parametrize("kind", ["expired", "forged", "wrong-pool"])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_the_authorizer_refuses_a_token_not_valid_for_the_pool_401(
    desk: Desk, method: str, path: str, kind: str
) -> None:
    answer = desk.call(method, path, desk.tokens[kind], _verdict() if method == "POST" else None)
    assert (answer.status, answer.json["error"]["code"]) == (401, "token.invalid")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_token_of_another_app_client_is_refused_by_the_function_401(
    desk: Desk, method: str, path: str
) -> None:
    token = desk.tokens["wrong-client"]
    answer = desk.call(method, path, token, _verdict() if method == "POST" else None)
    assert (answer.status, answer.json["error"]["code"]) == (401, "token.client")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_person_in_neither_group_is_refused_403(desk: Desk, method: str, path: str) -> None:
    token = desk.tokens["no-group"]
    answer = desk.call(method, path, token, _verdict() if method == "POST" else None)
    assert (answer.status, answer.json["error"]["code"]) == (403, "caller.no-group")


@pytest.mark.parametrize("kind", ["reviewer", "compliance"])
@pytest.mark.parametrize(("method", "path"), READS)
def test_both_groups_may_read_every_route(desk: Desk, method: str, path: str, kind: str) -> None:
    answer = desk.call(method, path, desk.tokens[kind])
    assert answer.status == 200, answer.body


def test_the_compliance_officer_may_not_decide_403(desk: Desk) -> None:
    answer = desk.call(
        "POST", "/desk/v1/review/articles/{article}", desk.tokens["compliance"], _verdict()
    )
    assert (answer.status, answer.json["error"]["code"]) == (403, "caller.may-not-decide")
    still = desk.call("GET", "/desk/v1/review", desk.tokens["reviewer"]).json["held"]
    assert desk.article in {item["article"] for item in still}


def test_a_held_version_shows_its_diff_the_copy_to_publish_and_nothing_is_written(
    desk: Desk,
) -> None:
    before = desk.call("GET", "/desk/v1/audit/articles/{article}", desk.tokens["compliance"])
    answer = desk.call(
        "GET", "/desk/v1/review/articles/{article}?version=1", desk.tokens["reviewer"]
    )
    assert answer.status == 200
    body = answer.json
    disclaimer = next(f for f in body["findings"] if f["rule_id"] == "notice.menafn-disclaimer")
    assert "[-" in disclaimer["detail"] or "{+" in disclaimer["detail"]
    assert body["copy"] is not None
    assert body["copy_problem"] is None
    assert body["copy"]["headlines"][0]["value"] == body["headline"]
    assert body["previous"] is None
    after = desk.call("GET", "/desk/v1/audit/articles/{article}", desk.tokens["compliance"])
    assert len(after.json["decisions"]) == len(before.json["decisions"])


def test_a_version_that_is_not_held_is_a_404_naming_it(desk: Desk) -> None:
    answer = desk.call(
        "GET", "/desk/v1/review/articles/{article}?version=9", desk.tokens["reviewer"]
    )
    assert (answer.status, answer.json["error"]["code"]) == (404, "version.not-held")


def test_the_reviewer_on_record_is_the_tokens_person_not_the_body(desk: Desk) -> None:
    # Given a verdict whose body tries to name someone else
    forged = {**_verdict(), "reviewer": "somebody-else"}
    refused = desk.call(
        "POST", "/desk/v1/review/articles/{article}", desk.tokens["reviewer"], forged
    )
    assert (refused.status, refused.json["error"]["code"]) == (400, "review.invalid")
    # When the reviewer approves with a reason
    answer = desk.call(
        "POST", "/desk/v1/review/articles/{article}", desk.tokens["reviewer"], _verdict()
    )
    # Then it is published, and the record names the reviewer by the token's username and e-mail
    assert desk.stack.desk is not None
    person = desk.stack.desk.member("reviewers")
    named = f"{person.username} <{person.email}>"
    assert (answer.status, answer.json["status"], answer.json["reviewer"]) == (
        200,
        "published",
        named,
    )
    record = eventually(
        lambda: next(
            (
                d
                for d in desk.call(
                    "GET", "/desk/v1/audit/articles/{article}", desk.tokens["compliance"]
                ).json["decisions"]
                if d.get("review")
            ),
            None,
        ),
        "the verdict on record",
    )
    assert record["review"]["reviewer"] == named
    assert record["review"]["reason"] == _verdict()["reason"]
