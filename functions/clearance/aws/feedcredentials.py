"""Feed credentials from AWS Secrets Manager (`feeds.credentials`): one secret per subscription
that needs them, cached per container like the webhook's secrets. Apart from `secrets` so the
functions that pull no feed load nothing of the feeds."""

from __future__ import annotations

from clearance.aws.secrets import CachedSecrets
from clearance.feeds.credentials import headers_of
from clearance.feeds.outbound import FetchRefused


class FeedCredentials(CachedSecrets[dict[str, str]]):
    def headers_for(self, secret_name: str) -> dict[str, str]:
        missing = f"no secret {self.prefix}{secret_name} exists"
        return self._value(
            secret_name, headers_of, lambda: FetchRefused("credentials.missing", missing)
        )
