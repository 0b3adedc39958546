"""LifecycleFunction (every minute): fire every timer that has come due."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.services import wiring
from clearance.services.config import LifecycleConfig
from clearance.services.lifecycle import Lifecycle
from clearance.services.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, lifecycle: Lifecycle | None = None
) -> dict[str, Any]:
    work = lifecycle or wiring.build_lifecycle(LifecycleConfig.from_env(os.environ))
    sweep = work.sweep()
    metrics.add_metric(name="TimersFired", unit=MetricUnit.Count, value=sweep.timers)
    return {"articles": sweep.articles, "timers": sweep.timers}
