"""The processor's work on one inbound object: read it, identify the article, then decide once
on what its state says and carry the decision through the article's one transition."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from clearance.aws import clients
from clearance.aws.bus import Bus
from clearance.aws.statestore import StateStore
from clearance.aws.store import Bucket
from clearance.contracts import keys, media
from clearance.decide.engine import Decision, Prior, decide, identify
from clearance.decide.licensee import Licensee
from clearance.lifecycle.events import Delivered
from clearance.lifecycle.record import Source
from clearance.lifecycle.state import ArticleState
from clearance.services.articles import Articles
from clearance.services.config import ProcessorConfig
from clearance.services.observability import NAMESPACE, logger, metrics, tracer
from clearance.terms.policy import PolicySet


@dataclass
class Processor:
    """The processor's collaborators; tests build one with moto-backed ones."""

    inbound: Bucket
    articles: Articles
    licensee: Licensee

    @property
    def policies(self) -> PolicySet:
        return self.articles.policies

    @tracer.capture_method
    def process(self, source: Source) -> Decision:
        stored = self.inbound.get(source.key, source.version_id)
        if stored is None:
            raise LookupError(f"s3://{source.bucket}/{source.key} is gone; retrying")
        identified = identify(
            stored.data,
            policies=self.policies,
            provider=keys.provider_of_inbound(source.key),
            media_type=media.of_extension(keys.extension_of(source.key)) or stored.content_type,
        )
        if isinstance(identified, Decision):
            self.articles.complete_unidentified(identified, source, stored.data)
            _observe(identified, source)
            return identified
        decisions: list[Decision] = []

        def delivered(state: ArticleState | None) -> Delivered:
            prior = Prior(withdrawn=state is not None and state.kill is not None)
            now = source.arrived_at
            decision = decide(identified, now=now, licensee=self.licensee, prior=prior)
            decisions.append(decision)
            return Delivered(decision, source, stored.data)

        article_id = keys.article_slug(identified.article["uri"])
        self.articles.apply(article_id, delivered, source.arrived_at)
        _observe(decisions[-1], source)
        return decisions[-1]


def _observe(decision: Decision, source: Source) -> None:
    article = decision.article or {}
    logger.info(
        "decided",
        extra={
            "provider": decision.provider,
            "article_uri": article.get("uri"),
            "outcome": decision.outcome.value,
            "key": source.key,
            "rules": [f.rule_id for f in decision.findings],
        },
    )
    with single_metric(
        name="Decisions",
        unit=MetricUnit.Count,
        value=1,
        namespace=NAMESPACE,
        default_dimensions=metrics.default_dimensions,
    ) as metric:
        metric.add_dimension(name="provider", value=decision.provider or "unknown")
        metric.add_dimension(name="outcome", value=decision.outcome.value)


@cache
def default_articles(config: ProcessorConfig) -> Articles:
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
def default_processor(config: ProcessorConfig) -> Processor:
    return Processor(
        inbound=Bucket(clients.s3(), config.inbound_bucket),
        articles=default_articles(config),
        licensee=config.licensee,
    )
