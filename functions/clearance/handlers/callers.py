"""Who is calling a review or audit route, and what they may do there.

Machines call with IAM (SigV4): the API's resource policy admits only ReviewerRole to the review
routes and ComplianceRole to the audit routes, so an IAM caller may do what its route offers, and
is named on record by its ARN. People call the same functions through `/desk/...` with the ID
token Cognito gave them: API Gateway's authorizer has checked its signature, issuer and expiry,
and passes its claims. Here the token must also be for the console's own app client (the
authorizer accepts any client of the pool), and its groups decide: `reviewers` may read and
decide, `compliance` may read, anyone else nothing. A person is on record as the username and
e-mail the token names, never as anything the request body says.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

DESK = "/desk"
"""The prefix of the routes people call with their Cognito token: the same functions and
routes as the IAM ones, since API Gateway gives each method one authorizer."""


class Group(StrEnum):
    REVIEWERS = "reviewers"
    COMPLIANCE = "compliance"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who the record names, and whether they may decide (every caller let in may read)."""

    name: str
    may_decide: bool


@dataclass(frozen=True, slots=True)
class Unwelcome:
    """A caller refused: 401 when the token is not one of ours, 403 when it is but its
    holder may not do this."""

    status: int
    code: str
    message: str


def caller_of(request_context: Mapping[str, Any], desk_client_id: str | None) -> Caller | Unwelcome:
    """The caller API Gateway vouches for: a person by their token's claims, else the IAM
    identity; a request with neither is refused."""
    authorizer = request_context.get("authorizer") or {}
    claims = authorizer.get("claims") if isinstance(authorizer, Mapping) else None
    if isinstance(claims, Mapping):
        return _person(claims, desk_client_id)
    identity = request_context.get("identity") or {}
    arn = identity.get("userArn") or identity.get("caller")
    if isinstance(arn, str) and arn:
        return Caller(arn, may_decide=True)
    return Unwelcome(401, "caller.unknown", "Sign in, or call with IAM credentials.")


def _person(claims: Mapping[str, Any], desk_client_id: str | None) -> Caller | Unwelcome:
    if not desk_client_id or claims.get("aud") != desk_client_id:
        return Unwelcome(401, "token.client", "The token was not issued to the desk's console.")
    if claims.get("token_use") != "id":
        return Unwelcome(401, "token.use", "Sign in with the ID token the console receives.")
    username, email = claims.get("cognito:username"), claims.get("email")
    if not isinstance(username, str) or not username:
        return Unwelcome(401, "token.username", "The token names no user.")
    groups = groups_of(claims.get("cognito:groups"))
    if not groups & set(Group):
        return Unwelcome(
            403, "caller.no-group", "Your account is in neither the reviewers nor compliance group."
        )
    if not isinstance(email, str) or not email:
        return Unwelcome(403, "caller.no-email", "Your account has no e-mail to put on record.")
    return Caller(f"{username} <{email}>", may_decide=Group.REVIEWERS in groups)


_SEPARATORS = re.compile(r"[\s,]+")


def groups_of(value: Any) -> set[str]:
    """Cognito's groups claim as a set: a list in the token, a string once API Gateway has
    put it among the request's claims ("reviewers", "a,b" or "[a b]")."""
    if isinstance(value, list):
        return {str(group) for group in value}
    if isinstance(value, str):
        return {group for group in _SEPARATORS.split(value.strip("[]")) if group}
    return set()
