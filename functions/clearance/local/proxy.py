"""API Gateway's REST proxy integration: the event a request becomes, the HTTP answer a function's
result becomes, and the answers the gateway gives itself.

The deployed API is a REST API (v1 proxy events); the handlers see here what they see there, so
nothing behind the local gateway knows it runs on one machine.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aws_lambda_powertools.utilities.typing import LambdaContext

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

MAX_PAYLOAD_BYTES = 10 * 1024 * 1024
"""API Gateway's own limit on a request body; a larger one never reaches the function."""
MAX_HEADER_BYTES = 10 * 1024
"""API Gateway's limit on the request line and header values together."""

_HOP_BY_HOP = ("content-length", "connection", "transfer-encoding", "keep-alive")


class LocalContext(LambdaContext):
    """What Lambda passes as `context`: names, a fresh request id, and the time left."""

    def __init__(self, function_name: str, timeout_seconds: int, memory_mb: int = 512) -> None:
        arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self._function_name = function_name
        self._function_version = "$LATEST"
        self._invoked_function_arn = arn
        self._memory_limit_in_mb = memory_mb
        self._aws_request_id = str(uuid.uuid4())
        self._log_group_name = f"/aws/lambda/{function_name}"
        self._log_stream_name = f"local/[$LATEST]{uuid.uuid4().hex}"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:  # type: ignore[override]  # Powertools types it a staticmethod
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True, slots=True)
class Caller:
    """Who API Gateway says is calling: the IAM caller on an IAM route, the API key's id and
    value on a route that needs a key, the token's claims on a Cognito route."""

    iam: str | None = None
    api_key: str | None = None
    api_key_id: str | None = None
    claims: dict[str, str] | None = None
    """A person's token's claims, once the Cognito authorizer has checked it."""

    def identity(self) -> dict[str, str]:
        found = {"userArn": self.iam, "caller": self.iam} if self.iam else {}
        if self.api_key is not None and self.api_key_id is not None:
            found.update(apiKey=self.api_key, apiKeyId=self.api_key_id)
        return found


def rest_event(
    *,
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    resource: str,
    parameters: Mapping[str, str],
    source_ip: str,
    stage: str,
    request_id: str,
    now: datetime,
    caller: Caller | None = None,
) -> dict[str, Any]:
    """The API Gateway REST proxy event for one request, as the deployed function gets it.

    `headers` keeps the last of repeated values and `multiValueHeaders` all of them, as API
    Gateway does; a body that is not UTF-8 text arrives base64-encoded.
    """
    split = urlsplit(target)
    single, multi = _last_and_all(headers)
    query_single, query_multi = _last_and_all(parse_qsl(split.query, keep_blank_values=True))
    text, encoded = _event_body(body)
    return {
        "resource": resource,
        "path": split.path,
        "httpMethod": method,
        "headers": single or None,
        "multiValueHeaders": multi or None,
        "queryStringParameters": query_single or None,
        "multiValueQueryStringParameters": query_multi or None,
        "pathParameters": dict(parameters) or None,
        "stageVariables": None,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": header(single.items(), "host") or "localhost",
            "domainPrefix": "local",
            "extendedRequestId": request_id,
            "httpMethod": method,
            "identity": {
                "sourceIp": source_ip,
                "userAgent": header(single.items(), "user-agent"),
                **(caller.identity() if caller else {}),
            },
            **({"authorizer": {"claims": caller.claims}} if caller and caller.claims else {}),
            "path": f"/{stage}{split.path}",
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "resourceId": "local",
            "resourcePath": resource,
            "stage": stage,
        },
        "body": text,
        "isBase64Encoded": encoded,
    }


def _last_and_all(
    pairs: Iterable[tuple[str, str]],
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Each name's last value, and all of its values in order."""
    last: dict[str, str] = {}
    every: dict[str, list[str]] = {}
    for name, value in pairs:
        last[name] = value
        every.setdefault(name, []).append(value)
    return last, every


def header(headers: Iterable[tuple[str, str]], name: str) -> str | None:
    """The last value of a header, by its name in any case (as API Gateway keeps the last)."""
    found = None
    for key, value in headers:
        if key.lower() == name:
            found = value
    return found


def _event_body(body: bytes) -> tuple[str | None, bool]:
    if not body:
        return None, False
    try:
        return body.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii"), True


def reply_from(response: Any, request_id: str) -> Reply:
    """The HTTP answer for a proxy integration's result; a malformed result is a 502."""
    if not isinstance(response, dict) or not isinstance(response.get("statusCode"), int):
        return gateway_error(502, "Internal server error", request_id)
    headers: list[tuple[str, str]] = []
    for name, values in (response.get("multiValueHeaders") or {}).items():
        headers += [(str(name), str(value)) for value in values]
    seen = {name.lower() for name, _ in headers}
    headers += [
        (str(name), str(value))
        for name, value in (response.get("headers") or {}).items()
        if name.lower() not in seen
    ]
    headers = [(n, v) for n, v in headers if n.lower() not in _HOP_BY_HOP]
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))
    headers.append(("x-amzn-RequestId", request_id))
    raw = response.get("body") or ""
    try:
        body = base64.b64decode(raw) if response.get("isBase64Encoded") else str(raw).encode()
    except ValueError:
        return gateway_error(502, "Internal server error", request_id)
    return Reply(response["statusCode"], headers, body)


def gateway_error(status: int, message: str, request_id: str) -> Reply:
    """An answer from the gateway itself, shaped as API Gateway shapes its own errors."""
    body = json.dumps({"message": message}).encode()
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
    return Reply(status, headers, body)


def refusal(status: int, code: str, message: str, **details: Any) -> Reply:
    """A request the gateway refuses itself, in the body every function answers errors with:
    `{"error": {"code", "message", ...}}`, as the template's gateway responses shape them."""
    error = {"code": code, "message": message, **details}
    body = json.dumps({"error": error}, sort_keys=True).encode()
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    return Reply(status, headers, body)


def too_large_body() -> Reply:
    return refusal(
        413,
        "body.too-large",
        f"The body is larger than the {MAX_PAYLOAD_BYTES} bytes accepted.",
        limit=MAX_PAYLOAD_BYTES,
    )


def too_large_headers() -> Reply:
    return refusal(
        431,
        "headers.too-large",
        f"The request line and headers are larger than the {MAX_HEADER_BYTES} bytes accepted.",
        limit=MAX_HEADER_BYTES,
    )


REFUSED = {
    400: ("request.malformed", "The request is not well-formed HTTP."),
    408: ("request.timeout", "The request was not received in time."),
    414: ("request.uri-too-long", "The request line is too long."),
    501: ("method.not-allowed", "That method is not supported here."),
}


def not_found(request_id: str) -> Reply:
    error = {"code": "route.not-found", "message": "No such route on this API."}
    body = json.dumps({"error": error}, sort_keys=True).encode()
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id)]
    return Reply(404, headers, body)


def http_bytes(reply: Reply, *, close: bool) -> bytes:
    """The whole HTTP/1.1 answer as bytes, for a connection that no handler is serving."""
    head = [f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Error')}"]
    head += [f"{name}: {value}" for name, value in reply.headers]
    head.append(f"Content-Length: {len(reply.body)}")
    if close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + reply.body


_REASONS = {408: "Request Timeout", 400: "Bad Request"}
