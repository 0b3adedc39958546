"""Configuration from the environment, read once by the handlers (never by the core)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from clearance.evaluate import Licensee


@dataclass(frozen=True, slots=True)
class Settings:
    inbound_bucket: str
    cleared_bucket: str
    quarantine_bucket: str
    audit_bucket: str
    secret_prefix: str
    max_body_bytes: int
    licensee: Licensee


@cache
def settings() -> Settings:
    env = os.environ
    return Settings(
        inbound_bucket=env.get("INBOUND_BUCKET", ""),
        cleared_bucket=env.get("CLEARED_BUCKET", ""),
        quarantine_bucket=env.get("QUARANTINE_BUCKET", ""),
        audit_bucket=env.get("AUDIT_BUCKET", ""),
        secret_prefix=env.get("WEBHOOK_SECRET_PREFIX", "clearance/dev/webhook/"),
        max_body_bytes=int(env.get("MAX_BODY_BYTES", str(2 * 1024 * 1024))),
        licensee=Licensee(
            territory=env.get("LICENSEE_TERRITORY", "GB"), use=env.get("LICENSEE_USE", "editorial")
        ),
    )
