"""Webhook secrets from AWS Secrets Manager, one secret per provider, cached per container.

A provider's secret value is either one `whsec_...` string or a JSON list of them (current and
next, while a secret is being rotated).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

CACHE_SECONDS = 300.0


class SecretNotFound(LookupError):
    pass


class WebhookSecrets:
    def __init__(self, client: SecretsManagerClient, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._cache: dict[str, tuple[float, list[str]]] = {}

    def for_provider(self, provider: str) -> list[str]:
        cached = self._cache.get(provider)
        if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
            return cached[1]
        try:
            value = self.client.get_secret_value(SecretId=self.prefix + provider)["SecretString"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise SecretNotFound(provider) from None
            raise
        secrets = parse_secret_value(value)
        self._cache[provider] = (time.monotonic(), secrets)
        return secrets


def parse_secret_value(value: str) -> list[str]:
    stripped = value.strip()
    if stripped.startswith("["):
        loaded = json.loads(stripped)
        return [str(item) for item in loaded]
    return [stripped]
