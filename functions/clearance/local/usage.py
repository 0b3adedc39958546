"""API Gateway's API keys, usage plans and throttles, played locally.

A route that needs an API key refuses a request without a known one (403) before any budget is
spent; then the key's own budget on that route (its usage plan) is spent, then the route's
(the stage's method throttle); an empty budget is a 429. So one client's flood spends its own
budget only, as the deployed API's usage plan keeps each provider's kills apart. The refusals
are the template's gateway responses, byte for byte.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from clearance.local.proxy import Reply

API_KEY_HEADER = "x-api-key"
DEVELOPMENT_KEY_PREFIX = "clearance-local-key-"
"""Locally, provider p's API key is this prefix and p: public, like the development secret."""
INVALID_API_KEY = (
    b'{"error": {"code": "api-key.invalid",'
    b' "message": "This route needs the provider\'s API key in the x-api-key header."}}'
)
"""The template's INVALID_API_KEY gateway response (403)."""
THROTTLED = (
    b'{"error": {"code": "request.throttled",'
    b' "message": "Too many requests on this route; retry after a second."}}'
)
"""The template's THROTTLED gateway response (429), sent with `Retry-After: 1`."""
RETRY_AFTER_SECONDS = 1

_PROVIDER = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


@dataclass(frozen=True, slots=True)
class Throttle:
    """A token bucket's settings: `burst` requests at once, refilled at `rate` a second."""

    rate: float
    burst: int


def development_api_key(provider: str) -> str:
    """The API key a provider sends to the local stack's kill route."""
    return DEVELOPMENT_KEY_PREFIX + provider


class ApiKeys:
    """The stage's API keys: a key's value names its id. Without a table, every development key
    (`development_api_key`) is known, with its provider as its id."""

    def __init__(self, keys: Mapping[str, str] | None = None) -> None:
        self._keys = dict(keys) if keys is not None else None

    def identify(self, key: str | None) -> str | None:
        """The id of a known key; None for a missing or unknown one."""
        if not key:
            return None
        if self._keys is not None:
            return self._keys.get(key)
        provider = key.removeprefix(DEVELOPMENT_KEY_PREFIX)
        if provider == key or not _PROVIDER.fullmatch(provider):
            return None
        return provider


class Budgets:
    """Token buckets by name, shared by every thread of the gateway."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, ...], tuple[float, float]] = {}
        self._lock = threading.Lock()

    def spend(self, name: tuple[str, ...], throttle: Throttle) -> bool:
        """Takes one token from the bucket `name`; False when it is empty."""
        with self._lock:
            now = self._clock()
            tokens, then = self._buckets.get(name, (float(throttle.burst), now))
            tokens = min(float(throttle.burst), tokens + (now - then) * throttle.rate)
            if tokens < 1:
                self._buckets[name] = (tokens, now)
                return False
            self._buckets[name] = (tokens - 1, now)
            return True


def invalid_api_key(request_id: str) -> Reply:
    return Reply(403, _headers(request_id), INVALID_API_KEY)


def throttled(request_id: str) -> Reply:
    headers = [*_headers(request_id), ("Retry-After", str(RETRY_AFTER_SECONDS))]
    return Reply(429, headers, THROTTLED)


def _headers(request_id: str) -> list[tuple[str, str]]:
    return [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
