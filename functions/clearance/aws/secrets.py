"""Webhook secrets from AWS Secrets Manager, one secret per provider, cached per container.

A provider's secret value is either one `whsec_...` string or a JSON list of them (current and
next, while a secret is being rotated).

The bounds: a secret removed from the value (revoked) stops being accepted within
`CACHE_SECONDS`, when the cached value expires. A secret added (rotated in) is accepted at once:
a delivery that matches no cached secret makes the webhook read the value again before it
refuses, at most once per `REFRESH_SECONDS` per provider, so a flood of forged signatures costs
one Secrets Manager call per provider per `REFRESH_SECONDS`, never one per request.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

CACHE_SECONDS = 60.0
"""How long a revoked secret may still be accepted by a warm container."""
REFRESH_SECONDS = 30.0
"""The least time between two reads of one provider's secret forced by failed matches."""


T = TypeVar("T")


class SecretNotFound(LookupError):
    pass


class CachedSecrets(Generic[T]):
    """Secrets Manager values under a prefix, each read at most once per `CACHE_SECONDS` per
    container and kept as what `parse` makes of it; a name with no secret raises `missing`."""

    def __init__(
        self,
        client: SecretsManagerClient,
        prefix: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.clock = clock
        self._cache: dict[str, tuple[float, T]] = {}
        self._refreshed: dict[str, float] = {}
        self._lock = threading.Lock()

    def _value(self, name: str, parse: Callable[[str], T], missing: Callable[[], Exception]) -> T:
        cached = self._cache.get(name)
        if cached and self.clock() - cached[0] < CACHE_SECONDS:
            return cached[1]
        value = read_secret(self.client, self.prefix + name)
        if value is None:
            raise missing()
        parsed = parse(value)
        self._cache[name] = (self.clock(), parsed)
        return parsed

    def refresh(self, name: str) -> bool:
        """Forget the cached value so the next read fetches it; False (nothing forgotten) when
        this name's was forced less than `REFRESH_SECONDS` ago."""
        with self._lock:
            now = self.clock()
            last = self._refreshed.get(name)
            if last is not None and now - last < REFRESH_SECONDS:
                return False
            self._refreshed[name] = now
            self._cache.pop(name, None)
            return True


class WebhookSecrets(CachedSecrets[list[str]]):
    def for_provider(self, provider: str) -> list[str]:
        return self._value(provider, parse_secret_value, lambda: SecretNotFound(provider))


def read_secret(client: SecretsManagerClient, secret_id: str) -> str | None:
    """A secret's current string, or None when there is no such secret."""
    try:
        return client.get_secret_value(SecretId=secret_id)["SecretString"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise


def parse_secret_value(value: str) -> list[str]:
    stripped = value.strip()
    if stripped.startswith("["):
        loaded = json.loads(stripped)
        return [str(item) for item in loaded]
    return [stripped]
