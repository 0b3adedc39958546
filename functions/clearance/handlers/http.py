"""What every HTTP function shares: API Gateway events to requests, answers to JSON responses,
and our own faults to a JSON body that says nothing of their cause."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.utilities.data_classes.common import BaseProxyEvent
from botocore.exceptions import BotoCoreError, ClientError

from clearance.contracts import media
from clearance.ingest import intake
from clearance.ingest.intake import Answer, Refusal, Request
from clearance.ingest.signature import SecretError
from clearance.services.observability import logger
from clearance.services.webhook import count


def request(event: BaseProxyEvent, provider: str) -> Request:
    return Request(
        provider=provider,
        headers=intake.fold_headers(event.get("headers"), event.get("multiValueHeaders")),
        body=event.body,
        base64_encoded=bool(event.is_base64_encoded),
    )


def response(answer: Answer) -> Response[str]:
    return Response(
        status_code=answer.status,
        content_type=media.JSON,
        body=json.dumps(answer.body, sort_keys=True),
        headers=dict(answer.headers),
    )


def error(status: int, code: str, message: str, **details: Any) -> Response[str]:
    return response(Answer(status, {"error": {"code": code, "message": message, **details}}))


def answer_faults(app: ApiGatewayResolver) -> None:
    """Every exception of ours is answered as `fault` says, never as a traceback."""

    def answered(error: Exception) -> Response[str]:
        return response(fault(error))

    app.exception_handler(Exception)(answered)


def fault(error: Exception) -> Answer:
    """Our own failure: logged in full, answered without a trace of its text."""
    if isinstance(error, ClientError | BotoCoreError):
        logger.exception("AWS call failed")
        refusal = Refusal(503, "server.unavailable", "Storage is unavailable; retry later.")
        count(None, 503)
        return Answer(503, refusal.answer.body, {"Retry-After": "30"})
    if isinstance(error, SecretError):
        logger.exception("webhook secret is unusable")
        refusal = Refusal(500, "server.misconfigured", "The webhook is misconfigured.")
    else:
        logger.exception("webhook failed")
        refusal = Refusal(500, "server.error", "The delivery could not be processed.")
    count(None, 500)
    return refusal.answer
