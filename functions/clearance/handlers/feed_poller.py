"""FeedPollerFunction (every minute): each subscribed feed that is due, polled once.

An invocation naming one subscription (`{"subscription": "<id>"}`, as `clearance feeds poll`
sends) polls that one now, due or not.
"""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.services import wiring
from clearance.services.config import PollerConfig
from clearance.services.observability import logger, metrics, tracer
from clearance.services.poller import Poller


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, poller: Poller | None = None
) -> dict[str, Any]:
    work = poller or wiring.build_poller(PollerConfig.from_env(os.environ))
    only = event.get("subscription") if isinstance(event, dict) else None
    run = work.poll_due(only if isinstance(only, str) else None)
    failed = sum(p.result == "failed" for p in run.polls)
    metrics.add_metric(name="FeedPolls", unit=MetricUnit.Count, value=len(run.polls))
    metrics.add_metric(name="FeedItemsStored", unit=MetricUnit.Count, value=run.stored)
    metrics.add_metric(name="FeedPollFailures", unit=MetricUnit.Count, value=failed)
    metrics.add_metric(name="FeedFailuresInARow", unit=MetricUnit.Count, value=run.failing)
    return {
        "polled": len(run.polls),
        "stored": run.stored,
        "failed": failed,
        "polls": [
            {"subscription": p.subscription, "result": p.result, "stored": p.stored}
            | ({"error": p.error} if p.error else {})
            for p in run.polls
        ],
    }
