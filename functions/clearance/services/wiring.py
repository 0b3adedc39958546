"""The composition root: each function's collaborators built from its configuration, once per
container, and nowhere else.

A handler reads its function's settings (`services.config`) and asks here for what does its work;
tests pass their own collaborators to the handler instead. Each builder is cached on its
configuration, as a Lambda container keeps its clients between invocations; the local stack
clears these caches to start a new container. Each builder imports the services it builds, so a
function's cold start loads its own collaborators and not every function's (the webhook, say,
loads no engine). The two audit functions build their own, in their handlers: their import
contracts forbid them even what this module names.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING

from clearance.aws import clients
from clearance.aws.secrets import WebhookSecrets
from clearance.aws.store import Bucket
from clearance.services.config import (
    ArticleStores,
    DecidingConfig,
    KillConfig,
    PollerConfig,
    ProcessorConfig,
    ReviewConfig,
    WebhookConfig,
)
from clearance.terms.policy import PolicySet

if TYPE_CHECKING:
    from clearance.feeds.outbound import Limits
    from clearance.services.articles import Articles
    from clearance.services.kills import Kills
    from clearance.services.lifecycle import Lifecycle
    from clearance.services.poller import Poller
    from clearance.services.processor import Processor
    from clearance.services.review import Reviews
    from clearance.services.webhook import Webhook


@cache
def build_webhook(config: WebhookConfig) -> Webhook:
    from clearance.services.webhook import Webhook  # noqa: PLC0415 - this function's own

    return Webhook(
        store=Bucket(clients.s3(), config.inbound_bucket),
        secrets=WebhookSecrets(clients.secretsmanager(), config.secret_prefix),
        policies=PolicySet.load(),
        clock=lambda: datetime.now(UTC),
        max_body_bytes=config.max_body_bytes,
    )


@cache
def build_articles(config: ArticleStores) -> Articles:
    """What every event on an article needs: its state, its buckets, its bus, the policies."""
    from clearance.aws.bus import Bus  # noqa: PLC0415 - the article functions' own
    from clearance.aws.statestore import StateStore  # noqa: PLC0415 - the article functions' own
    from clearance.services.articles import Articles  # noqa: PLC0415 - the article functions' own

    client = clients.s3()
    return Articles(
        states=StateStore(clients.dynamodb(), config.state_table),
        buckets={
            "cleared": Bucket(client, config.cleared_bucket),
            "quarantine": Bucket(client, config.quarantine_bucket),
            "audit": Bucket(client, config.audit_bucket),
        },
        bus=Bus(clients.events(), config.event_bus),
        policies=PolicySet.load(),
    )


@cache
def build_processor(config: ProcessorConfig) -> Processor:
    from clearance.services.processor import Processor  # noqa: PLC0415 - this function's own

    return Processor(
        inbound=Bucket(clients.s3(), config.inbound_bucket),
        articles=build_articles(config),
        licensee=config.licensee,
    )


@cache
def build_lifecycle(config: DecidingConfig) -> Lifecycle:
    """The sweep's collaborators; the review function's too, which decides held versions again."""
    from clearance.services.lifecycle import Lifecycle  # noqa: PLC0415 - these functions' own

    return Lifecycle(
        articles=build_articles(config),
        inbound=Bucket(clients.s3(), config.inbound_bucket),
        licensee=config.licensee,
    )


@cache
def build_kills(config: KillConfig) -> Kills:
    from clearance.services.kills import Kills  # noqa: PLC0415 - this function's own

    return Kills(
        articles=build_articles(config),
        secrets=WebhookSecrets(clients.secretsmanager(), config.secret_prefix),
        max_body_bytes=config.max_body_bytes,
    )


@cache
def build_reviews(config: ReviewConfig) -> Reviews:
    from clearance.services.review import Reviews  # noqa: PLC0415 - this function's own

    return Reviews(build_lifecycle(config))


@cache
def build_poller(config: PollerConfig, limits: Limits | None = None) -> Poller:
    """The poller's collaborators. Deployed, it may fetch over https only and never a private
    address (`Limits()`); the local stack passes limits that let it reach feeds on loopback."""
    from clearance.aws.feedcredentials import FeedCredentials  # noqa: PLC0415 - its own
    from clearance.aws.subscriptions import SubscriptionStore  # noqa: PLC0415 - its own
    from clearance.feeds.outbound import Limits  # noqa: PLC0415 - this function's own
    from clearance.net.http import Fetcher  # noqa: PLC0415 - this function's own
    from clearance.services.poller import Poller  # noqa: PLC0415 - this function's own

    return Poller(
        subscriptions=SubscriptionStore(clients.dynamodb(), config.subscriptions_table),
        inbound=Bucket(clients.s3(), config.inbound_bucket),
        fetcher=Fetcher(limits or Limits()),
        credentials=FeedCredentials(clients.secretsmanager(), config.feed_secret_prefix),
        clock=lambda: datetime.now(UTC),
    )
