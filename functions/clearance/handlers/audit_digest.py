"""AuditDigestFunction (hourly): a signed digest for every complete hour since the last one.

Its collaborators are built here rather than in `services.wiring`: this function loads nothing of
the engine (the `light-audit-functions` import contract), and the root loads it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from clearance.aws import clients
from clearance.aws.digeststore import DigestStore
from clearance.aws.kms import KmsSigner
from clearance.aws.store import Bucket
from clearance.services.config import DigestConfig
from clearance.services.digester import Digester
from clearance.services.observability import logger, metrics, tracer


@cache
def build_digester(config: DigestConfig) -> Digester:
    return Digester(
        store=DigestStore(Bucket(clients.s3(), config.audit_bucket)),
        signer=KmsSigner(clients.kms(), config.digest_key_id),
        clock=lambda: datetime.now(UTC),
    )


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(
    event: dict[str, Any], context: LambdaContext, digester: Digester | None = None
) -> dict[str, Any]:
    work = digester or build_digester(DigestConfig.from_env(os.environ))
    written = work.run()
    metrics.add_metric(name="DigestsWritten", unit=MetricUnit.Count, value=len(written))
    return {"digests": written}
