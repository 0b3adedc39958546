"""Powertools Logger, Metrics and Tracer shared by every function, named as the template names them.

The environment (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE) may rename them; the
defaults keep metrics publishable wherever a module is imported first and configured later.

The Tracer is real only where traces can go and are wanted: on Lambda (AWS_LAMBDA_FUNCTION_NAME
is set) with tracing not disabled (POWERTOOLS_TRACE_DISABLED; the template disables it unless
its TraceAwsCalls parameter is "true"). Elsewhere a stand-in with the same decorators is used, so
the X-Ray SDK is never imported for nothing: importing it builds two X-Ray API clients for a
sampler Lambda never consults, about as much again as an import of boto3 at every cold start.
Lambda's own active tracing records every invocation either way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "clearance")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Clearance")

F = TypeVar("F", bound=Callable[..., Any])


class AnswerMetric(StrEnum):
    """The metric each HTTP function counts its answers under, by status class."""

    WEBHOOK = "WebhookDeliveries"
    KILL = "KillOrders"
    REVIEW = "ReviewRequests"
    AUDIT = "AuditRequests"


class Untraced:
    """Tracer's decorators, doing nothing: for processes that send no traces."""

    def capture_lambda_handler(self, function: F) -> F:
        return function

    def capture_method(self, function: F) -> F:
        return function


def tracing_wanted(env: Mapping[str, str]) -> bool:
    disabled = env.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() in ("1", "true", "yes")
    return bool(env.get("AWS_LAMBDA_FUNCTION_NAME")) and not disabled


def _tracer() -> Any:
    if not tracing_wanted(os.environ):
        return Untraced()
    from aws_lambda_powertools import Tracer  # noqa: PLC0415 - only where traces are sent

    return Tracer(service=SERVICE)


logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer: Untraced = _tracer()


def emit(name: str, value: float = 1, **dimensions: str) -> None:
    """One count with dimensions of its own, written at once.

    The shared metric set of `metrics` belongs to the whole process: concurrent requests (threads
    of the local gateway) would overwrite each other's dimensions and flush each other's counts.
    """
    with single_metric(
        name=name,
        unit=MetricUnit.Count,
        value=value,
        namespace=NAMESPACE,
        default_dimensions={"service": SERVICE, **metrics.default_dimensions},
    ) as metric:
        for dimension, label in dimensions.items():
            metric.add_dimension(name=dimension, value=label)


def count_answer(metric: AnswerMetric, status: int, **dimensions: str) -> None:
    """One HTTP answer counted under its function's metric, by status class (`2xx`, `5xx`)."""
    emit(metric.value, 1, status_class=f"{status // 100}xx", **dimensions)
