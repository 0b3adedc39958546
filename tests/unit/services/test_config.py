"""A function's settings are read at the edge; a missing or malformed one is one line naming it.

Each function reads its own settings, and what it reads is what the template gives it and what
the README's configuration table says it uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from samtranslator.yaml_helper import yaml_parse

from clearance.decide.licensee import Licensee
from clearance.local.resources import Names
from clearance.services.config import (
    FUNCTIONS,
    AuditReviewConfig,
    ConfigError,
    DigestConfig,
    KillConfig,
    LifecycleConfig,
    PollerConfig,
    ProcessorConfig,
    ReviewConfig,
    WebhookConfig,
)
from tests.conftest import PROJECT

ENV = {**Names().environment(), "DIGEST_KEY_ID": "alias/digests"}
RUNTIME = "all"
"""The README's "used by" for variables the runtime reads (boto3, Powertools), not our code."""


class Asked(Mapping[str, str]):
    """An environment that notes every variable a function asks it for."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self.names: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.names.add(name)
        return self.env[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.env)

    def __len__(self) -> int:
        return len(self.env)


def read_by(from_env: Callable[[Mapping[str, str]], object]) -> frozenset[str]:
    env = Asked(ENV)
    from_env(env)
    return frozenset(env.names)


def readme_name(function: str) -> str:
    """`AuditReviewFunction` as the README names it: `audit review`."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", function.removesuffix("Function")).lower()


def readme_table() -> dict[str, set[str]]:
    """Each variable of the README's configuration table, and who it says uses it."""
    text = (PROJECT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    table: dict[str, set[str]] = {}
    for row in section.splitlines():
        cells = [cell.strip() for cell in row.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        said = re.sub(r"`[^`]*`|\([^)]*\)", "", cells[1])
        users = {user.strip() for user in said.split(",")}
        for variable in re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0]):
            table[variable] = {user for user in users if user}
    return table


def template_functions() -> dict[str, dict[str, Any]]:
    template = yaml_parse((PROJECT / "template.yaml").read_text(encoding="utf-8"))
    return {
        name: resource.get("Properties", {})
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def test_the_template_environment_configures_every_function() -> None:
    # When every function reads the environment the template sets
    processor = ProcessorConfig.from_env(ENV)
    # Then each finds its settings there
    assert processor.audit_bucket == Names().bucket("audit")
    assert processor.licensee == Licensee("GB", "editorial")
    assert LifecycleConfig.from_env(ENV).inbound_bucket == Names().bucket("inbound")
    assert ReviewConfig.from_env(ENV).state_table == Names().state_table
    assert KillConfig.from_env(ENV).secret_prefix == Names().secret_prefix
    assert WebhookConfig.from_env(ENV).max_body_bytes == 2 * 1024 * 1024
    audit_review = AuditReviewConfig.from_env(ENV)
    assert audit_review.audit_bucket == Names().bucket("audit")
    assert audit_review.cleared_bucket == Names().bucket("cleared")
    assert audit_review.digest_key_id == "alias/digests"
    assert DigestConfig.from_env(ENV).digest_key_id == "alias/digests"
    poller = PollerConfig.from_env(ENV)
    assert poller.inbound_bucket == Names().bucket("inbound")
    assert poller.subscriptions_table == Names().subscriptions_table
    assert poller.feed_secret_prefix == Names().feed_secret_prefix


@pytest.mark.parametrize(
    ("config", "name"),
    [
        (ProcessorConfig, "CLEARED_BUCKET"),
        (ProcessorConfig, "AUDIT_BUCKET"),
        (LifecycleConfig, "INBOUND_BUCKET"),
        (ReviewConfig, "STATE_TABLE"),
        (KillConfig, "EVENT_BUS"),
        (KillConfig, "WEBHOOK_SECRET_PREFIX"),
        (WebhookConfig, "INBOUND_BUCKET"),
        (WebhookConfig, "WEBHOOK_SECRET_PREFIX"),
        (AuditReviewConfig, "AUDIT_BUCKET"),
        (AuditReviewConfig, "CLEARED_BUCKET"),
        (AuditReviewConfig, "DIGEST_KEY_ID"),
        (DigestConfig, "DIGEST_KEY_ID"),
        (PollerConfig, "INBOUND_BUCKET"),
        (PollerConfig, "SUBSCRIPTIONS_TABLE"),
        (PollerConfig, "FEED_SECRET_PREFIX"),
    ],
)
def test_a_missing_setting_is_named(config: type[ProcessorConfig], name: str) -> None:
    # Given the environment without one setting the function needs
    env = {key: value for key, value in ENV.items() if key != name}
    # When the function reads it, then it stops naming that setting
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
        (KillConfig, "MAX_BODY_BYTES", "0", "positive whole number"),
    ],
)
def test_a_malformed_setting_is_named_with_its_value(
    config: type[ProcessorConfig], name: str, value: str, says: str
) -> None:
    # When a function reads a malformed setting, then it stops naming it and its value
    with pytest.raises(ConfigError) as raised:
        config.from_env({**ENV, name: value})
    message = str(raised.value)
    assert message.startswith(f"{name}={value!r}")
    assert says in message
    assert "\n" not in message


def test_an_alpha_3_territory_and_a_channel_are_read_as_the_licensee() -> None:
    # When the licensee is set with an alpha-3 territory, a use and a channel
    config = ProcessorConfig.from_env(
        {
            **ENV,
            "LICENSEE_TERRITORY": "gbr",
            "LICENSEE_USE": "commercial",
            "LICENSEE_CHANNEL": "print",
        }
    )
    # Then it is the licensee the processor decides for
    assert config.licensee == Licensee("GB", "commercial", "print")


@pytest.mark.parametrize("config", [ReviewConfig, AuditReviewConfig])
def test_the_desk_client_is_read_by_the_desk_functions_and_unset_admits_no_person(
    config: type[ReviewConfig] | type[AuditReviewConfig],
) -> None:
    # When a function behind the desk's routes reads the console's app client
    given = config.from_env({**ENV, "DESK_CLIENT_ID": "console-client-id"})
    # Then it is the one the template names
    assert given.desk_client_id == "console-client-id"
    # And unset or empty it is None: no person's token is accepted, only IAM callers
    assert (
        config.from_env({k: v for k, v in ENV.items() if k != "DESK_CLIENT_ID"}).desk_client_id
        is None
    )
    assert config.from_env({**ENV, "DESK_CLIENT_ID": ""}).desk_client_id is None


def test_each_function_reads_only_its_own_settings() -> None:
    # When each function's configuration is read
    read = {function: read_by(from_env) for function, from_env in FUNCTIONS.items()}
    # Then a function that decides nothing reads neither deliveries nor the licensee
    deciding = {"INBOUND_BUCKET", "LICENSEE_TERRITORY", "LICENSEE_USE", "LICENSEE_CHANNEL"}
    assert not deciding & read["KillFunction"]
    # And no function reads another's secret or signing key: the digest key is named to the
    # digest job, which signs with it, and to the audit review, which verifies the digests with
    # its public part (tests/integration/test_template.py: kms:Sign for the one, only
    # kms:GetPublicKey for the other)
    assert {f for f, names in read.items() if "WEBHOOK_SECRET_PREFIX" in names} == {
        "WebhookFunction",
        "KillFunction",
    }
    assert {f for f, names in read.items() if "DIGEST_KEY_ID" in names} == {
        "AuditDigestFunction",
        "AuditReviewFunction",
    }
    # And only the two functions behind the desk's routes read the console's app client
    assert {f for f, names in read.items() if "DESK_CLIENT_ID" in names} == {
        "ReviewFunction",
        "AuditReviewFunction",
    }
    # And only the feed poller reads the feeds' secrets and its subscriptions, and it reads
    # nothing of an article's life: it only drops items where the processor takes them
    for name in ("FEED_SECRET_PREFIX", "SUBSCRIPTIONS_TABLE"):
        assert {f for f, names in read.items() if name in names} == {"FeedPollerFunction"}
    assert read["FeedPollerFunction"] == {
        "INBOUND_BUCKET",
        "SUBSCRIPTIONS_TABLE",
        "FEED_SECRET_PREFIX",
    }
    # And each function has a configuration of its own
    classes = {getattr(from_env, "__self__", None) for from_env in FUNCTIONS.values()}
    assert len(classes) == len(FUNCTIONS)


def test_the_template_gives_each_function_exactly_the_settings_it_reads() -> None:
    # Given the functions of the template and what each one's configuration reads
    functions = template_functions()
    assert set(functions) == set(FUNCTIONS)
    for function, properties in functions.items():
        given = set((properties.get("Environment") or {}).get("Variables") or {})
        # Then the template sets exactly those variables for it
        assert given == read_by(FUNCTIONS[function]), function


def test_the_readme_names_who_reads_each_setting() -> None:
    # Given who reads each variable, from the functions' configurations
    readers: dict[str, set[str]] = {}
    for function, from_env in FUNCTIONS.items():
        for name in read_by(from_env):
            readers.setdefault(name, set()).add(readme_name(function))
    # When the README's configuration table is read
    table = readme_table()
    # Then it lists each of those variables with exactly those functions (commands aside)
    assert {name: users for name, users in table.items() if users != {RUNTIME}} == readers
    # And what it says the runtime reads is what the template sets for every function
    runtime = {name for name, users in table.items() if users == {RUNTIME}}
    template = yaml_parse((PROJECT / "template.yaml").read_text(encoding="utf-8"))
    assert set(template["Globals"]["Function"]["Environment"]["Variables"]) <= runtime
