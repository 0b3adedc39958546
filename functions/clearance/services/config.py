"""Each function's settings, read from its environment at the edge and checked once.

A missing or malformed setting raises `ConfigError` with one line naming the variable, on the
first invocation of a container, before any event is touched. The core never reads the
environment: it receives what is read here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from clearance.decide.licensee import Licensee, LicenseeError

DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class ConfigError(RuntimeError):
    """A setting this function needs is missing or malformed; the message names it."""


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    inbound_bucket: str
    secret_prefix: str
    max_body_bytes: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> WebhookConfig:
        return cls(
            inbound_bucket=bucket(env, "INBOUND_BUCKET"),
            secret_prefix=required(env, "WEBHOOK_SECRET_PREFIX"),
            max_body_bytes=positive(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
        )


@dataclass(frozen=True, slots=True)
class ProcessorConfig:
    inbound_bucket: str
    cleared_bucket: str
    quarantine_bucket: str
    audit_bucket: str
    state_table: str
    event_bus: str
    licensee: Licensee

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ProcessorConfig:
        return cls(
            inbound_bucket=bucket(env, "INBOUND_BUCKET"),
            cleared_bucket=bucket(env, "CLEARED_BUCKET"),
            quarantine_bucket=bucket(env, "QUARANTINE_BUCKET"),
            audit_bucket=bucket(env, "AUDIT_BUCKET"),
            state_table=required(env, "STATE_TABLE"),
            event_bus=required(env, "EVENT_BUS"),
            licensee=licensee_of(env),
        )


@dataclass(frozen=True, slots=True)
class KillConfig:
    """The kill API: the processor's collaborators and the webhook's secrets."""

    processor: ProcessorConfig
    secret_prefix: str
    max_body_bytes: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KillConfig:
        return cls(
            processor=ProcessorConfig.from_env(env),
            secret_prefix=required(env, "WEBHOOK_SECRET_PREFIX"),
            max_body_bytes=positive(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
        )


@dataclass(frozen=True, slots=True)
class AuditConfig:
    audit_bucket: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AuditConfig:
        return cls(audit_bucket=bucket(env, "AUDIT_BUCKET"))


@dataclass(frozen=True, slots=True)
class DigestConfig:
    audit_bucket: str
    digest_key_id: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DigestConfig:
        return cls(
            audit_bucket=bucket(env, "AUDIT_BUCKET"), digest_key_id=required(env, "DIGEST_KEY_ID")
        )


def licensee_of(env: Mapping[str, str]) -> Licensee:
    """LICENSEE_TERRITORY (ISO 3166-1 alpha-2 or alpha-3), LICENSEE_USE, LICENSEE_CHANNEL."""
    try:
        return Licensee.of(
            env.get("LICENSEE_TERRITORY", "GB"),
            env.get("LICENSEE_USE", "editorial"),
            env.get("LICENSEE_CHANNEL", "web"),
        )
    except LicenseeError as error:
        name = f"LICENSEE_{error.field.upper()}"
        raise ConfigError(f"{name}={error.value!r} {error.reason}") from None


def required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set")
    return value


def bucket(env: Mapping[str, str], name: str) -> str:
    value = required(env, name)
    if not _BUCKET.fullmatch(value):
        raise ConfigError(f"{name}={value!r} is not an S3 bucket name")
    return value


def positive(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) == 0:
        raise ConfigError(f"{name}={raw!r} is not a positive whole number")
    return int(raw)
