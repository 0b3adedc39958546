"""Powertools Logger, Metrics and Tracer shared by every handler, named as the template names them.

The environment (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE) may rename them; the
defaults keep metrics publishable wherever a handler is imported first and configured later.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "clearance")
NAMESPACE = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Clearance")

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
tracer = Tracer(service=SERVICE)
