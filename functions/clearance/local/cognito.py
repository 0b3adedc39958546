"""Amazon Cognito played locally: the desk's user pool in moto, its two people, and API Gateway's
Cognito authorizer checking their tokens against moto's keys.

The pool is made as the template makes it (two groups, an app client for the console that signs
in with USER_PASSWORD_AUTH and may read e-mail), with a reviewer and a compliance officer whose
passwords the operator is shown at start. With `--data` their passwords are kept, so the sign-ins
the demo prints work when `clearance serve --data` brings its run back.

`TokenCheck` does what API Gateway does with the Authorization header of a Cognito-authorised
route: the token must be signed by a key of the pool's JWKS (fetched from the endpoint, as API
Gateway fetches Cognito's), issued by that pool, and unexpired; its claims then reach the function
as strings under `requestContext.authorizer.claims`. Which app client and which group is the
function's business (`clearance.handlers.callers`), as it is on AWS.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from clearance.handlers.callers import Group
from clearance.local.proxy import Reply

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp import CognitoIdentityProviderClient

REGION = "us-east-1"
UNAUTHORIZED = (
    b'{"error": {"code": "token.invalid", "message": "Sign in: this route needs a valid'
    b" token from the desk's user pool in the Authorization header.\"}}"
)
"""The template's UNAUTHORIZED gateway response (401): no token, or one not signed by the
pool, not issued by it, or expired."""
PEOPLE_FILE = "desk-people.json"
"""Where `--data` keeps the desk's passwords (mode 0600), beside the saved state."""


@dataclass(frozen=True, slots=True)
class Person:
    username: str
    email: str
    group: str
    password: str


PEOPLE = (
    ("rita.reviewer", "rita.reviewer@desk.example", "reviewers"),
    ("colm.compliance", "colm.compliance@desk.example", "compliance"),
)
"""The local desk: one reviewer, one compliance officer."""


@dataclass(frozen=True, slots=True)
class Desk:
    """The pool the console signs in against: ids, issuer, and who may sign in."""

    pool_id: str
    client_id: str
    people: tuple[Person, ...]

    def member(self, group: str) -> Person:
        return next(person for person in self.people if person.group == group)

    def sign_ins(self) -> list[str]:
        """A line per person: how they sign in to the console, and what they may do there."""
        may = {"reviewers": "read and decide", "compliance": "read"}
        width = max(len(person.username) for person in self.people)
        return [
            f"{person.username.ljust(width)}  password {person.password}"
            f"  ({person.group}: {may.get(person.group, 'nothing')})"
            for person in self.people
        ]


def issuer_of(pool_id: str) -> str:
    """The `iss` of the pool's tokens (moto names the real endpoint, as Cognito does)."""
    return f"https://cognito-idp.{REGION}.amazonaws.com/{pool_id}"


def create_desk(
    cognito: CognitoIdentityProviderClient, pool_name: str, data: Path | None = None
) -> Desk:
    """The user pool, its groups, the console's client and the two people, as the template
    has them; passwords kept under `data` when given."""
    pool = cognito.create_user_pool(
        PoolName=pool_name,
        Policies={
            "PasswordPolicy": {
                "MinimumLength": 14,
                "RequireUppercase": True,
                "RequireLowercase": True,
                "RequireNumbers": True,
                "RequireSymbols": False,
            }
        },
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        AutoVerifiedAttributes=["email"],
    )["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName="console",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        ReadAttributes=["email"],
        PreventUserExistenceErrors="ENABLED",
    )["UserPoolClient"]["ClientId"]
    for group in Group:
        cognito.create_group(GroupName=group, UserPoolId=pool)
    passwords = _passwords(data)
    people = tuple(Person(name, email, group, passwords[name]) for name, email, group in PEOPLE)
    for person in people:
        cognito.admin_create_user(
            UserPoolId=pool,
            Username=person.username,
            UserAttributes=[
                {"Name": "email", "Value": person.email},
                {"Name": "email_verified", "Value": "true"},
            ],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(
            UserPoolId=pool, Username=person.username, Password=person.password, Permanent=True
        )
        cognito.admin_add_user_to_group(
            UserPoolId=pool, Username=person.username, GroupName=person.group
        )
    return Desk(pool, client, people)


def _passwords(data: Path | None) -> dict[str, str]:
    """Each person's password: the ones kept under `data`, else new ones (kept if `data`)."""
    path = data / PEOPLE_FILE if data is not None else None
    kept: dict[str, str] = {}
    if path is not None and path.exists():
        loaded = json.loads(path.read_text(encoding="utf-8"))
        kept = {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
    passwords = {name: kept.get(name) or _new_password() for name, _, _ in PEOPLE}
    if path is not None and passwords != kept:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(passwords, handle, indent=2)
    return passwords


def _new_password() -> str:
    """Meets the pool's policy: 14+ characters with upper and lower case and a digit."""
    return f"Desk-{secrets.token_urlsafe(12)}-7a"


def sign_in(endpoint_url: str, client_id: str, username: str, password: str) -> str:
    """The ID token Cognito gives for a password (USER_PASSWORD_AUTH), as the console asks."""
    body = {
        "AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": client_id,
        "AuthParameters": {"USERNAME": username, "PASSWORD": password},
    }
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
    }
    asked = urllib.request.Request(f"{endpoint_url}/", json.dumps(body).encode(), headers)  # noqa: S310 - the local moto endpoint
    with urllib.request.urlopen(asked, timeout=10) as answer:  # noqa: S310 - the local moto endpoint
        return str(json.loads(answer.read())["AuthenticationResult"]["IdToken"])


class TokenCheck:
    """API Gateway's Cognito user pool authorizer for one pool."""

    def __init__(
        self, endpoint_url: str, pool_id: str, clock: Callable[[], float] = time.time
    ) -> None:
        self.jwks_url = f"{endpoint_url}/{pool_id}/.well-known/jwks.json"
        self.issuer = issuer_of(pool_id)
        self.clock = clock
        self._keys: KeySet | None = None
        self._lock = threading.Lock()

    def claims(self, authorization: str | None) -> dict[str, str] | None:
        """The token's claims as API Gateway passes them, or None: a 401."""
        if not authorization:
            return None
        try:
            token = jwt.decode(authorization.strip(), self._key_set(), algorithms=["RS256"])
            jwt.JWTClaimsRegistry(
                now=int(self.clock()),
                iss={"essential": True, "value": self.issuer},
                exp={"essential": True},
                token_use={"essential": True, "values": ["id", "access"]},
            ).validate(token.claims)
        except (JoseError, ValueError):
            return None
        return {name: _claim_text(value) for name, value in token.claims.items()}

    def _key_set(self) -> KeySet:
        with self._lock:
            if self._keys is None:
                with urllib.request.urlopen(self.jwks_url, timeout=10) as answer:  # noqa: S310 - the local moto endpoint
                    self._keys = KeySet.import_key_set(json.loads(answer.read()))
            return self._keys


class CorsPreflight:
    """Answers a browser's CORS preflight as Cognito's endpoint does: moto routes an OPTIONS
    without credentials to no service, and the console signs in from its own origin."""

    HEADERS = "content-type, x-amz-target, x-amz-user-agent, authorization"

    def __init__(self, application: Callable[..., Any]) -> None:
        self.application = application

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("REQUEST_METHOD") == "OPTIONS" and environ.get(
            "HTTP_ACCESS_CONTROL_REQUEST_METHOD"
        ):
            start_response(
                "200 OK",
                [
                    ("Access-Control-Allow-Origin", environ.get("HTTP_ORIGIN") or "*"),
                    ("Access-Control-Allow-Methods", "POST"),
                    ("Access-Control-Allow-Headers", self.HEADERS),
                    ("Access-Control-Max-Age", "600"),
                    ("Vary", "Origin"),
                    ("Content-Length", "0"),
                ],
            )
            return [b""]
        return self.application(environ, start_response)


def unauthorized() -> Reply:
    return Reply(401, [("Content-Type", "application/json")], UNAUTHORIZED)


def _claim_text(value: Any) -> str:
    """A claim as API Gateway renders it among the request's claims: text, lists joined."""
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def console_config(desk: Desk, endpoint_url: str) -> Mapping[str, str]:
    """What the console reads from `config.json`: where to sign in, and the API (same origin)."""
    return {
        "region": REGION,
        "userPoolId": desk.pool_id,
        "clientId": desk.client_id,
        "cognitoEndpoint": f"{endpoint_url}/",
        "api": "",
    }
