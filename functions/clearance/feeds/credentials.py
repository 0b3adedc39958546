"""A feed's credentials, as kept in its secret, turned into the headers of a request.

The secret holds one JSON object: `{"api_key": "...", "header": "x-api-key"}` (the header
defaults to `x-api-key`, as the AP Media API names it), `{"username": "...", "password": "..."}`
for basic auth, or `{"token": "..."}` for a bearer token. The values never leave the request's
headers: not the subscription, not a log line, not an error message.
"""

from __future__ import annotations

import base64
import json
import re

from clearance.feeds.outbound import FetchRefused

_HEADER = re.compile(r"[A-Za-z0-9-]{1,64}")
_VISIBLE = re.compile(r"[\x21-\x7e]+")


def headers_of(secret: str) -> dict[str, str]:
    """The headers a secret's value stands for; FetchRefused (`credentials.invalid`) naming the
    shape expected, never the value, when it holds none of the three."""
    try:
        value = json.loads(secret)
    except ValueError:
        value = None
    if isinstance(value, dict):
        headers = _headers(value)
        if headers is not None:
            return headers
    raise FetchRefused(
        "credentials.invalid",
        'the feed\'s secret must hold {"api_key": ...}, {"username": ..., "password": ...}'
        ' or {"token": ...}',
    )


def _headers(value: dict[str, object]) -> dict[str, str] | None:
    key, header = value.get("api_key"), value.get("header", "x-api-key")
    if _visible(key) and isinstance(header, str) and _HEADER.fullmatch(header):
        return {header: str(key)}
    user, password = value.get("username"), value.get("password")
    if _visible(user) and _visible(password) and ":" not in str(user):
        pair = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    token = value.get("token")
    if _visible(token):
        return {"Authorization": f"Bearer {token}"}
    return None


def _visible(value: object) -> bool:
    return isinstance(value, str) and _VISIBLE.fullmatch(value) is not None
