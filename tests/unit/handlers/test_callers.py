"""Who may read and decide: IAM callers by their route, people by their token's client and group."""

from __future__ import annotations

from typing import Any

import pytest

from clearance.handlers.callers import Caller, Unwelcome, caller_of, groups_of

CLIENT = "console-client"


def person(**claims: Any) -> dict[str, Any]:
    base = {
        "aud": CLIENT,
        "token_use": "id",
        "cognito:username": "rita",
        "email": "rita@desk.example",
        "cognito:groups": "reviewers",
    }
    return {"authorizer": {"claims": {**base, **claims}}, "identity": {"sourceIp": "10.0.0.1"}}


@pytest.mark.parametrize(
    ("claim", "groups"),
    [
        (["reviewers", "compliance"], {"reviewers", "compliance"}),
        ("reviewers,compliance", {"reviewers", "compliance"}),
        ("[reviewers compliance]", {"reviewers", "compliance"}),
        ("compliance", {"compliance"}),
        ("", set()),
        (None, set()),
    ],
)
def test_the_groups_claim_is_read_in_every_form_api_gateway_passes(
    claim: Any, groups: set[str]
) -> None:
    assert groups_of(claim) == groups


def test_a_reviewer_may_read_and_decide_named_by_username_and_email() -> None:
    assert caller_of(person(), CLIENT) == Caller("rita <rita@desk.example>", may_decide=True)


def test_a_compliance_officer_may_read_but_not_decide() -> None:
    found = caller_of(person(**{"cognito:groups": "compliance"}), CLIENT)
    assert found == Caller("rita <rita@desk.example>", may_decide=False)


@pytest.mark.parametrize(
    ("claims", "status", "code"),
    [
        ({"aud": "another-client"}, 401, "token.client"),
        ({"token_use": "access"}, 401, "token.use"),
        ({"cognito:username": ""}, 401, "token.username"),
        ({"cognito:groups": "editors"}, 403, "caller.no-group"),
        ({"email": None}, 403, "caller.no-email"),
    ],
)
def test_a_person_is_refused_by_what_their_token_lacks(
    claims: dict[str, Any], status: int, code: str
) -> None:
    found = caller_of(person(**claims), CLIENT)
    assert isinstance(found, Unwelcome)
    assert (found.status, found.code) == (status, code)


def test_without_a_console_client_configured_no_person_is_let_in() -> None:
    found = caller_of(person(), None)
    assert isinstance(found, Unwelcome)
    assert found.status == 401


def test_an_iam_caller_is_named_by_its_arn() -> None:
    arn = "arn:aws:sts::123456789012:assumed-role/clearance-ReviewerRole/ana"
    found = caller_of({"identity": {"userArn": arn, "caller": "AROA:ana"}}, CLIENT)
    assert found == Caller(arn, may_decide=True)


def test_a_request_with_neither_token_nor_iam_identity_is_refused_401() -> None:
    found = caller_of({"identity": {"sourceIp": "10.0.0.1"}}, CLIENT)
    assert isinstance(found, Unwelcome)
    assert (found.status, found.code) == (401, "caller.unknown")
