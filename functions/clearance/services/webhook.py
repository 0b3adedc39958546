"""The webhook's work on one delivery: verify and read it (pure, in `ingest.intake`), then store
it once, answering a replay as the first delivery was answered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar, runtime_checkable

from clearance.aws.store import StoredObject
from clearance.contracts import media
from clearance.ingest import intake
from clearance.ingest.intake import Accepted, Answer, Receipt, Refusal, Request, SecretSource
from clearance.services.observability import AnswerMetric, count_answer, logger, tracer
from clearance.terms.policy import PolicySet

_JSON = media.JSON


class ObjectStore(Protocol):
    def put_once(self, key: str, data: bytes, content_type: str) -> str | None: ...

    def get(self, key: str, version_id: str | None = None) -> StoredObject | None: ...


@runtime_checkable
class Refreshable(Protocol):
    """A secret source that can be told its cached secrets may be stale."""

    def refresh(self, provider: str) -> bool: ...


NO_MATCH = "signature.no-matching-signature"
Checked = TypeVar("Checked")


def with_fresh_secret(
    attempt: Callable[[], Checked | Refusal], secrets: SecretSource, provider: str
) -> Checked | Refusal:
    """A signature no cached secret matches is checked once more after the provider's secret is
    read again (at most once per 30 s per provider), so a secret rotated in since the cache was
    filled is honoured before refusing, on the webhook and the kill route alike."""
    outcome = attempt()
    if (
        isinstance(outcome, Refusal)
        and outcome.code == NO_MATCH
        and isinstance(secrets, Refreshable)
        and secrets.refresh(provider)
    ):
        outcome = attempt()
    return outcome


@dataclass
class Webhook:
    """The webhook's collaborators (built in `services.wiring`); tests pass fakes or moto-backed
    ones to `handler`."""

    store: ObjectStore
    secrets: SecretSource
    policies: PolicySet
    clock: Callable[[], datetime]
    max_body_bytes: int

    def deliver(self, request: Request) -> Answer:
        outcome = with_fresh_secret(lambda: self.accept(request), self.secrets, request.provider)
        if isinstance(outcome, Refusal):
            return refused(outcome)
        logger.thread_safe_append_keys(provider=outcome.provider, article_id=outcome.article_id)
        answer = self.store_once(outcome)
        if isinstance(answer, Refusal):
            return refused(answer)
        logger.info("accepted", extra={"key": answer.body.get("key"), "status": answer.status})
        count(AnswerMetric.WEBHOOK, outcome.provider, answer.status)
        return answer

    def accept(self, request: Request) -> Accepted | Refusal:
        return intake.accept(
            request,
            policies=self.policies,
            secrets=self.secrets,
            now=self.clock(),
            max_body_bytes=self.max_body_bytes,
        )

    @tracer.capture_method
    def store_once(self, accepted: Accepted) -> Answer | Refusal:
        """Receipt first, then the article; a replay rewrites the article, which is a no-op."""
        if self.store.put_once(accepted.receipt_key, accepted.receipt.to_bytes(), _JSON):
            self.store.put_once(accepted.key, accepted.body, accepted.content_type)
            return accepted.answer
        stored = self.store.get(accepted.receipt_key)
        if stored is None:
            raise LookupError(f"receipt {accepted.receipt_key} vanished after a conflicting put")
        earlier = Receipt.from_bytes(stored.data)
        answer = intake.replay(accepted, earlier)
        if isinstance(answer, Answer):
            logger.info("replayed", extra={"key": earlier.key})
            self.store.put_once(earlier.key, accepted.body, accepted.content_type)
        return answer


def refused(refusal: Refusal, metric: AnswerMetric = AnswerMetric.WEBHOOK) -> Answer:
    """Log a refusal and count it under the refusing function's metric; the answer the sender
    gets."""
    if refusal.provider:
        logger.thread_safe_append_keys(provider=refusal.provider)
    extra = {"status": refusal.status, "code": refusal.code}
    if refusal.note:
        logger.warning(f"refused: {refusal.note}", extra=extra)
    else:
        logger.info("refused", extra=extra)
    count(metric, refusal.provider, refusal.status)
    return refusal.answer


def count(metric: AnswerMetric, provider: str | None, status: int) -> None:
    """An answer to a provider, counted by provider and status class."""
    count_answer(metric, status, provider=provider or "unknown")
