"""Signed requests (a provider's deliveries and kill orders): the API Gateway event as the door
(`ingest.intake`) reads it."""

from __future__ import annotations

from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent

from clearance.ingest import intake
from clearance.ingest.intake import Request


def request(event: BaseProxyEvent, provider: str) -> Request:
    return Request(
        provider=provider,
        headers=intake.fold_headers(event.get("headers"), event.get("multiValueHeaders")),
        body=event.body,
        base64_encoded=bool(event.is_base64_encoded),
    )
