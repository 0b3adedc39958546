"""Each function's settings, read from its environment at the edge and checked once.

One class per function, reading exactly the variables that function uses: `template.yaml` gives
each function those and no others, and the README's configuration table says which function
reads which (tests/unit/services/test_config.py holds all three equal). A missing or malformed
setting raises `ConfigError` with one line naming the variable, on the first invocation of a
container, before any event is touched. The core never reads the environment: it receives what
is read here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Protocol, Self, TypedDict

from clearance.decide.licensee import Licensee, LicenseeError

DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


class ConfigError(RuntimeError):
    """A setting this function needs is missing or malformed; the message names it."""


class ArticleStores(Protocol):
    """Where an article's life is kept, for every function that carries events through it."""

    @property
    def cleared_bucket(self) -> str: ...

    @property
    def quarantine_bucket(self) -> str: ...

    @property
    def audit_bucket(self) -> str: ...

    @property
    def state_table(self) -> str: ...

    @property
    def event_bus(self) -> str: ...


class _Stores(TypedDict):
    cleared_bucket: str
    quarantine_bucket: str
    audit_bucket: str
    state_table: str
    event_bus: str


def _desk_client(env: Mapping[str, str]) -> str | None:
    """DESK_CLIENT_ID, the console's Cognito app client: without it no person's token is
    accepted, only IAM callers."""
    return env.get("DESK_CLIENT_ID") or None


def article_stores(env: Mapping[str, str]) -> _Stores:
    return _Stores(
        cleared_bucket=bucket(env, "CLEARED_BUCKET"),
        quarantine_bucket=bucket(env, "QUARANTINE_BUCKET"),
        audit_bucket=bucket(env, "AUDIT_BUCKET"),
        state_table=required(env, "STATE_TABLE"),
        event_bus=required(env, "EVENT_BUS"),
    )


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """WebhookFunction: where deliveries are stored, whose secrets verify them, how large."""

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
class DecidingConfig:
    """A function that decides deliveries: it reads them from the inbound bucket, keeps the
    article's life in its stores, and decides for the licensee."""

    inbound_bucket: str
    cleared_bucket: str
    quarantine_bucket: str
    audit_bucket: str
    state_table: str
    event_bus: str
    licensee: Licensee

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(
            inbound_bucket=bucket(env, "INBOUND_BUCKET"),
            **article_stores(env),
            licensee=licensee_of(env),
        )


@dataclass(frozen=True, slots=True)
class ProcessorConfig(DecidingConfig):
    """ProcessorFunction: each inbound object decided."""


@dataclass(frozen=True, slots=True)
class LifecycleConfig(DecidingConfig):
    """LifecycleFunction: a held delivery decided again when its embargo ends."""


@dataclass(frozen=True, slots=True)
class ReviewConfig(DecidingConfig):
    """ReviewFunction: a held delivery decided again with a reviewer's approval; people's
    tokens accepted from the console's app client."""

    desk_client_id: str | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        deciding = DecidingConfig.from_env(env)
        named = {field.name: getattr(deciding, field.name) for field in fields(DecidingConfig)}
        return cls(**named, desk_client_id=_desk_client(env))


@dataclass(frozen=True, slots=True)
class KillConfig:
    """KillFunction: orders verified like deliveries, carried out on the article's stores; it
    decides nothing, so it reads neither deliveries nor the licensee."""

    cleared_bucket: str
    quarantine_bucket: str
    audit_bucket: str
    state_table: str
    event_bus: str
    secret_prefix: str
    max_body_bytes: int

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KillConfig:
        return cls(
            **article_stores(env),
            secret_prefix=required(env, "WEBHOOK_SECRET_PREFIX"),
            max_body_bytes=positive(env, "MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES),
        )


@dataclass(frozen=True, slots=True)
class AuditReviewConfig:
    """AuditReviewFunction: the audit log it reads, the cleared copies a kill must have taken
    down, the key its digests are verified with, and the console's app client."""

    audit_bucket: str
    cleared_bucket: str
    digest_key_id: str
    desk_client_id: str | None

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AuditReviewConfig:
        return cls(
            audit_bucket=bucket(env, "AUDIT_BUCKET"),
            cleared_bucket=bucket(env, "CLEARED_BUCKET"),
            digest_key_id=required(env, "DIGEST_KEY_ID"),
            desk_client_id=_desk_client(env),
        )


@dataclass(frozen=True, slots=True)
class DigestConfig:
    """AuditDigestFunction: the audit log it seals, and the key that signs its digests."""

    audit_bucket: str
    digest_key_id: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DigestConfig:
        return cls(
            audit_bucket=bucket(env, "AUDIT_BUCKET"), digest_key_id=required(env, "DIGEST_KEY_ID")
        )


@dataclass(frozen=True, slots=True)
class PollerConfig:
    """FeedPollerFunction: the subscriptions it polls, where their items go, whose secrets
    hold their credentials."""

    inbound_bucket: str
    subscriptions_table: str
    feed_secret_prefix: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> PollerConfig:
        return cls(
            inbound_bucket=bucket(env, "INBOUND_BUCKET"),
            subscriptions_table=required(env, "SUBSCRIPTIONS_TABLE"),
            feed_secret_prefix=required(env, "FEED_SECRET_PREFIX"),
        )


FUNCTIONS: Mapping[str, Callable[[Mapping[str, str]], object]] = {
    "WebhookFunction": WebhookConfig.from_env,
    "ProcessorFunction": ProcessorConfig.from_env,
    "LifecycleFunction": LifecycleConfig.from_env,
    "KillFunction": KillConfig.from_env,
    "ReviewFunction": ReviewConfig.from_env,
    "AuditReviewFunction": AuditReviewConfig.from_env,
    "AuditDigestFunction": DigestConfig.from_env,
    "FeedPollerFunction": PollerConfig.from_env,
}
"""Each function of the template, by its logical id, and how it reads its settings."""


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
