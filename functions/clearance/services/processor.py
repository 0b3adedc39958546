"""The processor's work on one inbound object: measure it, read it, identify the article, then
decide once on what its state says and carry the decision through the article's one transition.

An object larger than the engine reads (`MAX_INPUT_BYTES`) is never read into memory: its size
comes from its metadata, it is copied to quarantine inside S3, and it is rejected on the record
(`input.size`), so memory stays flat whatever a drop weighs and it never ends unaudited in the
dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from clearance.aws import clients
from clearance.aws.bus import Bus
from clearance.aws.statestore import StateStore
from clearance.aws.store import Bucket
from clearance.contracts import keys, media
from clearance.decide.engine import MAX_INPUT_BYTES, Decision, Prior, decide, identify_item, read
from clearance.decide.findings import Finding, Outcome, Severity
from clearance.decide.licensee import Licensee
from clearance.ingest.parse import Item
from clearance.lifecycle.events import Delivered
from clearance.lifecycle.plan import Plan, quarantine_writes
from clearance.lifecycle.record import Copy, Source, decision_record, taken_up
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
    max_input_bytes: int = MAX_INPUT_BYTES
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def policies(self) -> PolicySet:
        return self.articles.policies

    @tracer.capture_method
    def process(self, delivery: Source) -> tuple[Decision, ...]:
        """Every item of the delivery decided, each through its own article's transition."""
        source = taken_up(delivery, self.clock())
        measured = self.inbound.measure(source.key, source.version_id)
        if measured is None:
            raise LookupError(f"s3://{source.bucket}/{source.key} is gone; retrying")
        size, sha256 = measured
        if size > self.max_input_bytes:
            return (self.too_large(source, size, sha256),)
        stored = self.inbound.get(source.key, source.version_id)
        if stored is None:
            raise LookupError(f"s3://{source.bucket}/{source.key} is gone; retrying")
        items = read(
            stored.data,
            policies=self.policies,
            media_type=media.of_extension(keys.extension_of(source.key)) or stored.content_type,
        )
        if isinstance(items, Decision):
            self.articles.complete_unidentified(items, source, stored.data)
            _observe(items, source)
            return (items,)
        provider = keys.provider_of_inbound(source.key)
        return tuple(self.item(replace(source, item=item.index), item, provider) for item in items)

    def item(self, source: Source, item: Item, provider: str | None) -> Decision:
        identified = identify_item(item, policies=self.policies, provider=provider)
        if isinstance(identified, Decision):
            self.articles.complete_unidentified(identified, source, item.data)
            _observe(identified, source)
            return identified
        decisions: list[Decision] = []

        def delivered(state: ArticleState | None) -> Delivered:
            prior = Prior(withdrawn=state is not None and state.kill is not None)
            now = source.arrived_at
            decision = decide(identified, now=now, licensee=self.licensee, prior=prior)
            decisions.append(decision)
            return Delivered(decision, source, item.data)

        article_id = keys.article_id(identified.provider, identified.article["uri"])
        self.articles.apply(article_id, delivered, source.arrived_at)
        _observe(decisions[-1], source)
        return decisions[-1]

    @tracer.capture_method
    def too_large(self, source: Source, size: int, sha256: str | None) -> Decision:
        """Rejected unread: quarantined by reference (an S3 copy), its findings and record
        written as for any rejected delivery."""
        digest = sha256 or self.inbound.sha256(source.key, source.version_id)
        limit = self.max_input_bytes
        finding = Finding(
            "input.size",
            "",
            Severity.CRITICAL,
            f"the delivery is {size} bytes; the limit is {limit}",
        )
        decision = Decision(Outcome.REJECTED, digest, (finding,))
        quarantine = self.articles.buckets["quarantine"]
        findings = quarantine_writes(decision, source, b"")[1]
        input_key = keys.quarantine_keys(
            None, source.arrived_at.date(), digest, keys.extension_of(source.key)
        )[0]
        quarantine.copy_once(source.bucket, source.key, source.version_id, input_key)
        quarantine.put_once(findings.key, findings.data, findings.content_type)
        copies = [
            Copy(quarantine.name, input_key, digest, "input"),
            Copy(quarantine.name, findings.key, findings.sha256, findings.kind),
        ]
        record = decision_record(decision, source, size, copies)
        self.articles.complete(Plan(records=((record, ()),)))
        _observe(decision, source)
        return decision


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
