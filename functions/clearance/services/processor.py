"""The processor's work on one inbound object: read it, identify the article, then
decide once on what its state says and carry the decision through the article's one transition.

An object larger than the engine reads (`MAX_INPUT_BYTES`) is never read into memory: its size
comes from the GET's answer, whose body is left unread; it is copied to quarantine inside S3 and
rejected on the record (`input.size`), so memory stays flat whatever a drop weighs and it never
ends unaudited in the dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from clearance.aws.store import Oversized
from clearance.contracts import keys, media
from clearance.contracts.vocabulary import Rule
from clearance.decide.engine import MAX_INPUT_BYTES, Decision, Prior, decide, identify_item, read
from clearance.decide.findings import Finding, Outcome, Severity
from clearance.decide.licensee import Licensee
from clearance.ingest.parse import Item
from clearance.lifecycle.events import Delivered
from clearance.lifecycle.record import Source, taken_up
from clearance.lifecycle.state import ArticleState
from clearance.services.articles import Articles, HeldEvents
from clearance.services.observability import NAMESPACE, logger, metrics, tracer
from clearance.services.ports import ObjectStore
from clearance.terms.policy import PolicySet


@dataclass
class Processor:
    """The processor's collaborators, behind their ports."""

    inbound: ObjectStore
    articles: Articles
    licensee: Licensee
    max_input_bytes: int = MAX_INPUT_BYTES
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    @property
    def policies(self) -> PolicySet:
        return self.articles.policies

    @tracer.capture_method
    def process(self, delivery: Source, held: HeldEvents | None = None) -> tuple[Decision, ...]:
        """Every item of the delivery decided, each through its own article's transition; with
        `held`, the events of each committed change wait there, sent with the batch's others."""
        source = taken_up(delivery, self.clock())
        stored = self.inbound.get_within(source.key, source.version_id, self.max_input_bytes)
        if stored is None:
            raise LookupError(f"s3://{source.bucket}/{source.key} is gone; retrying")
        if isinstance(stored, Oversized):
            return (self.too_large(source, stored.size, stored.sha256),)
        items = read(
            stored.data,
            policies=self.policies,
            media_type=media.of_extension(keys.extension_of(source.key)) or stored.content_type,
        )
        if isinstance(items, Decision):
            self.articles.set_aside(Delivered(items, source, stored.data))
            _observe(items, source)
            return (items,)
        provider = keys.provider_of_inbound(source.key)
        return tuple(
            self.item(replace(source, item=item.index), item, provider, held) for item in items
        )

    def item(
        self, source: Source, item: Item, provider: str | None, held: HeldEvents | None = None
    ) -> Decision:
        identified = identify_item(item, policies=self.policies, provider=provider)
        if isinstance(identified, Decision):
            self.articles.set_aside(Delivered(identified, source, item.data))
            _observe(identified, source)
            return identified

        def delivered(state: ArticleState | None) -> Delivered:
            prior = Prior(withdrawn=state is not None and state.kill is not None)
            now = source.arrived_at
            decision = decide(identified, now=now, licensee=self.licensee, prior=prior)
            return Delivered(decision, source, item.data)

        article_id = keys.article_id(identified.provider, identified.article["uri"])
        applied = self.articles.apply(article_id, delivered, source.arrived_at, held=held)
        decision = applied.event.decision
        _observe(decision, source)
        return decision

    @tracer.capture_method
    def too_large(self, source: Source, size: int, sha256: str | None) -> Decision:
        """Rejected unread: set aside as any rejected delivery is, its input quarantined by
        reference (an S3 copy of where it arrived)."""
        digest = sha256 or self.inbound.sha256(source.key, source.version_id)
        limit = self.max_input_bytes
        finding = Finding(
            Rule.TOO_LARGE,
            "",
            Severity.CRITICAL,
            f"the delivery is {size} bytes; the limit is {limit}",
        )
        decision = Decision(Outcome.REJECTED, digest, (finding,))
        self.articles.set_aside(Delivered(decision, source, b"", unread=size))
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
