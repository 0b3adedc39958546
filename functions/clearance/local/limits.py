"""Each function's Timeout and MemorySize as `template.yaml` sets them, and the Lambda context a
local invocation gets from them, so a handler is told locally what it is told when deployed.

`tests/integration/test_template.py` holds these equal to the template's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from clearance.local.proxy import LocalContext


@dataclass(frozen=True, slots=True)
class Limits:
    timeout_seconds: int
    memory_mb: int


LIMITS: Final[Mapping[str, Limits]] = MappingProxyType(
    {
        "WebhookFunction": Limits(timeout_seconds=10, memory_mb=512),
        "ProcessorFunction": Limits(timeout_seconds=60, memory_mb=1024),
        "LifecycleFunction": Limits(timeout_seconds=300, memory_mb=1024),
        "KillFunction": Limits(timeout_seconds=29, memory_mb=512),
        "ReviewFunction": Limits(timeout_seconds=29, memory_mb=1024),
        "AuditReviewFunction": Limits(timeout_seconds=29, memory_mb=512),
        "AuditDigestFunction": Limits(timeout_seconds=300, memory_mb=512),
        "FeedPollerFunction": Limits(timeout_seconds=300, memory_mb=1024),
    }
)
"""By the function's logical id in the template, which is also its local name."""


STAND_IN = Limits(timeout_seconds=29, memory_mb=512)
"""For a function the template does not name (a test's stand-in): the API's 29 s."""


def context(function_name: str) -> LocalContext:
    """What Lambda passes the deployed function: its name, the time it has left, its memory."""
    limits = LIMITS.get(function_name, STAND_IN)
    return LocalContext(function_name, limits.timeout_seconds, limits.memory_mb)
