"""AuditDigestFunction (hourly): a signed digest for every complete hour since the last one."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.services.config import DigestConfig
from clearance.services.digester import Digester, default_digester
from clearance.services.observability import logger, metrics, tracer


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, digester: Digester | None = None
) -> dict[str, Any]:
    written = (digester or default_digester(DigestConfig.from_env(os.environ))).run()
    metrics.add_metric(name="DigestsWritten", unit=MetricUnit.Count, value=len(written))
    return {"digests": written}
