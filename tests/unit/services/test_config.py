"""A function's settings are read at the edge; a missing or malformed one is one line naming it."""

from __future__ import annotations

import pytest

from clearance.decide.licensee import Licensee
from clearance.local.resources import Names
from clearance.services.config import (
    AuditConfig,
    ConfigError,
    DigestConfig,
    ProcessorConfig,
    WebhookConfig,
)

ENV = {**Names().environment(), "DIGEST_KEY_ID": "alias/digests"}


def test_the_template_environment_configures_every_function() -> None:
    processor = ProcessorConfig.from_env(ENV)
    assert processor.audit_bucket == Names().bucket("audit")
    assert processor.licensee == Licensee("GB", "editorial")
    assert WebhookConfig.from_env(ENV).max_body_bytes == 2 * 1024 * 1024
    assert AuditConfig.from_env(ENV).audit_bucket == Names().bucket("audit")
    assert DigestConfig.from_env(ENV).digest_key_id == "alias/digests"


@pytest.mark.parametrize(
    ("config", "name"),
    [
        (ProcessorConfig, "CLEARED_BUCKET"),
        (ProcessorConfig, "AUDIT_BUCKET"),
        (WebhookConfig, "INBOUND_BUCKET"),
        (WebhookConfig, "WEBHOOK_SECRET_PREFIX"),
        (AuditConfig, "AUDIT_BUCKET"),
        (DigestConfig, "DIGEST_KEY_ID"),
    ],
)
def test_a_missing_setting_is_named(config: type[ProcessorConfig], name: str) -> None:
    env = {key: value for key, value in ENV.items() if key != name}
    with pytest.raises(ConfigError) as raised:
        config.from_env(env)
    assert str(raised.value) == f"{name} is not set"


@pytest.mark.parametrize(
    ("config", "name", "value", "says"),
    [
        (ProcessorConfig, "AUDIT_BUCKET", "Audit_Bucket", "is not an S3 bucket name"),
        (ProcessorConfig, "LICENSEE_TERRITORY", "XX", "ISO 3166-1 alpha-2 or alpha-3"),
        (ProcessorConfig, "LICENSEE_CHANNEL", "carrier-pigeon", "web, print, mobile"),
        (ProcessorConfig, "LICENSEE_USE", "advertising", "editorial, commercial, internal"),
        (WebhookConfig, "MAX_BODY_BYTES", "2MB", "positive whole number"),
        (WebhookConfig, "MAX_BODY_BYTES", "0", "positive whole number"),
    ],
)
def test_a_malformed_setting_is_named_with_its_value(
    config: type[ProcessorConfig], name: str, value: str, says: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        config.from_env({**ENV, name: value})
    message = str(raised.value)
    assert message.startswith(f"{name}={value!r}")
    assert says in message
    assert "\n" not in message


def test_an_alpha_3_territory_and_a_channel_are_read_as_the_licensee() -> None:
    config = ProcessorConfig.from_env(
        {
            **ENV,
            "LICENSEE_TERRITORY": "gbr",
            "LICENSEE_USE": "commercial",
            "LICENSEE_CHANNEL": "print",
        }
    )
    assert config.licensee == Licensee("GB", "commercial", "print")
