"""A provider's kill order, carried out at once: verified like a delivery, then every copy of
the article taken down through the article's one transition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from clearance.contracts.vocabulary import ARTICLE_NOT_FOUND
from clearance.ingest.intake import Answer, Refusal, Request, SecretSource
from clearance.ingest.kill import accept_kill
from clearance.lifecycle.events import KillOrdered, Refused
from clearance.lifecycle.state import ArticleState
from clearance.services.articles import Articles
from clearance.services.observability import AnswerMetric, logger
from clearance.services.webhook import count, refused, with_fresh_secret


@dataclass
class Kills:
    articles: Articles
    secrets: SecretSource
    max_body_bytes: int
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def order(self, request: Request, article_id: str) -> Answer:
        now = self.clock()
        accepted = with_fresh_secret(
            lambda: accept_kill(
                request,
                article_id,
                policies=self.articles.policies,
                secrets=self.secrets,
                now=now,
                max_body_bytes=self.max_body_bytes,
            ),
            self.secrets,
            request.provider,
        )
        if isinstance(accepted, Refusal):
            return refused(accepted, AnswerMetric.KILL)
        by = f"api:{accepted.delivery}" + (f" ({accepted.reason})" if accepted.reason else "")
        order = KillOrdered(
            by=by,
            request_id=accepted.delivery,
            provider=accepted.provider,
            article=article_id,
            uri=accepted.uri,
        )

        def ordered(state: ArticleState | None) -> KillOrdered:
            if state is not None and state.provider != accepted.provider:
                raise Refused(404, "article.not-found", ARTICLE_NOT_FOUND)
            return order

        try:
            state = self.articles.apply(article_id, ordered, now).change.state
        except Refused as refusal:
            return refused(
                Refusal(refusal.status, refusal.code, str(refusal), provider=accepted.provider),
                AnswerMetric.KILL,
            )
        kill = state.kill if state else None
        if kill is None:
            raise RuntimeError(f"article {article_id} is not killed after its kill")
        logger.info("killed", extra={"article": article_id, "deadline": kill.deadline})
        count(AnswerMetric.KILL, accepted.provider, 202)
        return Answer(
            202,
            {
                "article": article_id,
                "provider": accepted.provider,
                "killed_at": kill.received_at,
                "by": kill.by,
                "deadline": kill.deadline,
            },
        )
