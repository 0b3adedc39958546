"""The processor's work on one inbound object: read it and what is known of its article, decide
once, then carry out the plan.

Everything the decision depends on is read before deciding (the object, then the article's
tombstone), and the decision is never changed after it is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from clearance.aws import clients
from clearance.aws.store import Bucket
from clearance.contracts import keys, media
from clearance.decide.engine import Decision, Identified, Prior, decide, identify
from clearance.decide.licensee import Licensee
from clearance.lifecycle.plan import BucketRole, Plan, plan
from clearance.lifecycle.record import Source
from clearance.services.config import ProcessorConfig
from clearance.services.observability import NAMESPACE, logger, metrics, tracer
from clearance.terms.policy import PolicySet


@dataclass
class Processor:
    """The processor's collaborators; tests build one with fakes or a moto client."""

    inbound: Bucket
    outputs: dict[BucketRole, Bucket]
    policies: PolicySet
    licensee: Licensee

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
            decision = identified
        else:
            prior = self.prior(identified)
            decision = decide(
                identified, now=source.arrived_at, licensee=self.licensee, prior=prior
            )
        self.execute(plan(decision, source, stored.data, self.bucket_names()))
        _observe(decision, source)
        return decision

    def prior(self, identified: Identified) -> Prior:
        """What is known of the article before deciding: whether its provider withdrew it."""
        tombstone = keys.tombstone_key(identified.provider, identified.article["uri"])
        return Prior(withdrawn=self.outputs["cleared"].exists(tombstone))

    def execute(self, work: Plan) -> None:
        if work.withdraw_prefix:
            cleared = self.outputs["cleared"]
            for key in list(cleared.keys(work.withdraw_prefix)):
                cleared.delete(key)
        for write in work.writes:
            self.outputs[write.bucket].put_once(write.key, write.data, write.content_type)

    def bucket_names(self) -> dict[BucketRole, str]:
        return {role: bucket.name for role, bucket in self.outputs.items()}


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
def default_processor(config: ProcessorConfig) -> Processor:
    client = clients.s3()
    return Processor(
        inbound=Bucket(client, config.inbound_bucket),
        outputs={
            "cleared": Bucket(client, config.cleared_bucket),
            "quarantine": Bucket(client, config.quarantine_bucket),
            "audit": Bucket(client, config.audit_bucket),
        },
        policies=PolicySet.load(),
        licensee=config.licensee,
    )
