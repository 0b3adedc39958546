"""Every HTTP function answers a fault one way: ours that a retry may cure is a 503 with
Retry-After, a bug a 500, both in the one JSON error body, logged under the function's name and
counted under its own metric; and each function's resolver reads only its own request."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from aws_lambda_powertools.event_handler import Response
from botocore.exceptions import ClientError, EndpointConnectionError

from clearance.handlers import audit_review, kill, review, webhook
from clearance.handlers.http import HttpResolver, RestResolver
from clearance.ingest.intake import Answer
from clearance.ingest.signature import SecretError
from clearance.services import observability
from clearance.services.articles import ArticleBusy
from tests.conftest import lambda_context

Handler = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class Function:
    """An HTTP function as a test calls it: its handler, the collaborator it is given, a
    request it routes to that collaborator, and how its edge names it."""

    handler: Handler
    collaborator: str
    method: str
    path: str
    name: str
    metric: str
    work: str
    by_provider: bool


FUNCTIONS = {
    "webhook": Function(
        webhook.handler,
        "webhook",
        "POST",
        "/v1/providers/menafn/articles",
        "webhook",
        "WebhookDeliveries",
        "delivery",
        True,
    ),
    "kill": Function(
        kill.handler,
        "kills",
        "POST",
        "/v1/providers/dpa/articles/dpa-1/kill",
        "kill",
        "KillOrders",
        "kill order",
        True,
    ),
    "review": Function(
        review.handler,
        "reviews",
        "GET",
        "/v1/review",
        "review",
        "ReviewRequests",
        "review",
        False,
    ),
    "audit review": Function(
        audit_review.handler,
        "reading",
        "GET",
        "/v1/audit",
        "audit review",
        "AuditRequests",
        "audit query",
        False,
    ),
}
ROLE = "arn:aws:iam::123456789012:role/clearance-ReviewerRole"
THROTTLED = ClientError(
    {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded for /var/task"}},
    "PutObject",
)


class Failing:
    """A collaborator whose every call raises `failure`, however deep (`reading.log.page()`)."""

    def __init__(self, failure: Exception) -> None:
        self.failure = failure

    def __getattr__(self, name: str) -> Failing:
        return Failing(self.failure)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise self.failure


class Holding:
    """A review service with nothing held."""

    def held(self, params: dict[str, str]) -> Answer:
        return Answer(200, {"held": [], "next": None})


def rest_event(method: str, path: str, body: str | None = None) -> dict[str, Any]:
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "requestContext": {
            "requestId": "req-edge",
            "stage": "dev",
            "identity": {"sourceIp": "127.0.0.1", "userArn": ROLE},
        },
        "body": body,
        "isBase64Encoded": False,
    }


def http_event(method: str, path: str) -> dict[str, Any]:
    return {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1"},
            "requestId": "req-edge-v2",
            "stage": "$default",
        },
        "body": None,
        "isBase64Encoded": False,
    }


def call(function: Function, collaborator: Any) -> dict[str, Any]:
    event = rest_event(function.method, function.path, "{}")
    context = lambda_context(f"{function.name.title().replace(' ', '')}Function")
    return function.handler(event, context, **{function.collaborator: collaborator})


@pytest.fixture
def logs(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    buffer = io.StringIO()
    monkeypatch.setattr(observability.logger.registered_handler, "stream", buffer)
    return buffer


def errors(buffer: io.StringIO) -> list[dict[str, Any]]:
    records = [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]
    return [record for record in records if record["level"] == "ERROR"]


def header(response: dict[str, Any], name: str) -> str | None:
    single = response.get("headers") or {}
    multi = response.get("multiValueHeaders") or {}
    return single.get(name) or ",".join(multi.get(name, [])) or None


def counted(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if '"_aws"' in line]


@pytest.mark.parametrize("function", FUNCTIONS.values(), ids=FUNCTIONS)
@pytest.mark.parametrize(
    "failure",
    [THROTTLED, EndpointConnectionError(endpoint_url="https://s3")],
    ids=["aws-throttled", "aws-unreachable"],
)
def test_an_aws_fault_is_a_503_to_retry_logged_and_counted_as_the_functions_own(
    function: Function,
    failure: Exception,
    logs: io.StringIO,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the function's collaborator fails because AWS is unavailable or throttling us
    # When a request reaches it
    response = call(function, Failing(failure))
    # Then the answer is a JSON 503 saying when to retry, and nothing of the cause
    body = json.loads(response["body"])
    assert (response["statusCode"], body["error"]["code"]) == (503, "server.unavailable")
    assert "retry" in body["error"]["message"].lower()
    assert header(response, "Retry-After") == "30"
    assert set(body) == {"error"}
    assert "Rate exceeded" not in response["body"]
    assert "s3" not in response["body"]
    # And the fault is logged once under the function's own name
    (fault,) = errors(logs)
    assert fault["message"].startswith(f"{function.name} failed")
    # And it is counted once, under the function's own metric
    (metric,) = counted(capsys.readouterr().out)
    assert (metric[function.metric], metric["status_class"]) == ([1.0], "5xx")
    assert ("provider" in metric) is function.by_provider


@pytest.mark.parametrize("function", FUNCTIONS.values(), ids=FUNCTIONS)
def test_a_bug_is_a_500_that_says_nothing_of_it_logged_and_counted_as_the_functions_own(
    function: Function, logs: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the function's collaborator fails in a way nobody planned for
    # When a request reaches it
    response = call(function, Failing(RuntimeError("boom at /var/task/secret.py line 3")))
    # Then the answer is a JSON 500 naming the work it could not do, and nothing of the cause
    body = json.loads(response["body"])
    assert (response["statusCode"], body["error"]["code"]) == (500, "server.error")
    assert body["error"]["message"] == f"The {function.work} could not be processed."
    assert "boom" not in response["body"]
    assert header(response, "Retry-After") is None
    # And it is logged as the function's failure, with its exception
    (fault,) = errors(logs)
    assert (fault["message"], fault["exception_name"]) == (
        f"{function.name} failed",
        "RuntimeError",
    )
    # And counted under the function's own metric
    (metric,) = counted(capsys.readouterr().out)
    assert (metric[function.metric], metric["status_class"]) == ([1.0], "5xx")


@pytest.mark.parametrize("name", ["kill", "review"])
def test_an_article_too_busy_to_change_is_a_503_to_retry(name: str, logs: io.StringIO) -> None:
    # Given others kept changing the article the request is about
    busy = ArticleBusy("article dpa-1 changed 8 times while deciding")
    # When the request reaches it
    response = call(FUNCTIONS[name], Failing(busy))
    # Then the caller is told to retry, not that the service broke
    assert response["statusCode"] == 503
    assert header(response, "Retry-After") == "30"
    assert "dpa-1" not in response["body"]


def test_a_kill_with_an_unusable_secret_is_a_misconfiguration_logged_as_the_webhooks(
    logs: io.StringIO,
) -> None:
    # Given the provider's stored secret cannot be used
    # When a kill order arrives
    response = call(FUNCTIONS["kill"], Failing(SecretError("not base64: whsec_!!")))
    # Then it is a JSON 500 that says the service is misconfigured, without the secret
    body = json.loads(response["body"])
    assert (response["statusCode"], body["error"]["code"]) == (500, "server.misconfigured")
    assert "whsec_" not in response["body"]
    (fault,) = errors(logs)
    assert (fault["message"], fault["exception_name"]) == (
        "webhook secret is unusable",
        "SecretError",
    )


def test_a_collaborator_given_to_one_invocation_is_not_kept_for_the_next(
    monkeypatch: pytest.MonkeyPatch, logs: io.StringIO
) -> None:
    # Given a review function invoked once with a collaborator that answers
    review_function = FUNCTIONS["review"]
    first = call(review_function, Holding())
    # When it is invoked next with none, and no settings to build its own from
    for name in ("INBOUND_BUCKET", "STATE_TABLE"):
        monkeypatch.delenv(name, raising=False)
    second = call(review_function, None)
    # Then the first is answered by its collaborator, and the second not by the first's
    assert (first["statusCode"], json.loads(first["body"])) == (200, {"held": [], "next": None})
    assert second["statusCode"] == 500
    (fault,) = errors(logs)
    assert fault["exception_name"] == "ConfigError"


@pytest.mark.parametrize(
    ("resolver", "event"),
    [(RestResolver, rest_event), (HttpResolver, http_event)],
    ids=["rest", "http-api"],
)
def test_a_functions_resolver_reads_its_own_request_while_another_function_resolves(
    resolver: type[RestResolver] | type[HttpResolver],
    event: Callable[[str, str], dict[str, Any]],
) -> None:
    # Given two functions' resolvers in one process, as the local stack runs them
    first, second = resolver(), RestResolver()
    seen: dict[str, str] = {}

    @second.get("/second")
    def answer_second() -> Response[str]:
        seen["second"] = second.current_event.path
        return Response(200, "text/plain", "second")

    @first.get("/first")
    def answer_first() -> Response[str]:
        # When the other function resolves its request while this one is being answered
        second.resolve(rest_event("GET", "/second"), lambda_context("SecondFunction"))
        seen["first"] = first.current_event.path
        return Response(200, "text/plain", "first")

    answered = first.resolve(event("GET", "/first"), lambda_context("FirstFunction"))

    # Then each read its own request, and the first answered its own
    assert seen == {"first": "/first", "second": "/second"}
    assert (answered["statusCode"], answered["body"]) == (200, "first")
