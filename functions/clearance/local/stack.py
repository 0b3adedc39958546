"""The whole service on one machine: local AWS endpoint, API gateway and queue dispatcher.

moto's server mode plays S3, SQS, Secrets Manager and KMS on loopback; `gateway` plays API
Gateway; a dispatcher thread plays Lambda's SQS event source mapping. The handlers are the
deployed ones, configured only through the environment variables the template sets (plus
AWS_ENDPOINT_URL), so nothing in the core knows it runs locally. `clearance serve`, the demo,
the end-to-end tests and the benchmarks all start this same `LocalStack`.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import ipaddress
import json
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TextIO, cast

import boto3
from botocore.exceptions import BotoCoreError, ClientError
from moto.server import ThreadedMotoServer

from clearance.contracts import keys
from clearance.ingest.signature import SecretError, sign
from clearance.local import backlog
from clearance.local.atomic import make_conditional_writes_atomic
from clearance.local.dispatcher import dispatch_once
from clearance.local.gateway import (
    ROUTES,
    FunctionOutput,
    Gateway,
    LambdaHandler,
    LocalContext,
    Reply,
    Route,
    function_scope,
)
from clearance.local.journal import Entry, Journal
from clearance.local.resources import (
    Names,
    Queues,
    create_buckets,
    create_bus,
    create_queues,
    create_secrets,
    create_state_table,
)
from clearance.local.signing import install_signing_key
from clearance.terms.policy import PolicySet

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

DEV_SECRET = "whsec_" + base64.b64encode(b"clearance-development-secret-32b").decode()
DIGEST_EVERY_SECONDS = 60.0
"""The webhook secret of every provider the operator gives none: for development only."""

PROCESSOR = Route(
    "", "clearance.handlers.processor:handler", "ProcessorFunction", timeout_seconds=60
)
ROLES = ("inbound", "cleared", "quarantine", "audit")
STATE_FILE = "state.json"
STATE_FORMAT = "clearance-local-state/1"
LOCAL_REVIEWER = "arn:aws:iam::123456789012:user/local-reviewer"
LIFECYCLE_EVERY_SECONDS = 60.0
ARTICLES_FILE = "articles.json"
WEBHOOK = "WebhookFunction"
_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
_UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class StackError(Exception):
    """The stack cannot start as asked; the message is one line for the operator."""


class StateError(StackError):
    """A `--data` directory whose state cannot be read back."""


@dataclass(frozen=True, slots=True)
class Invocation:
    """One processor invocation by the dispatcher: batch size, failures, wall time."""

    received: int
    failed: int
    seconds: float


def check_loopback(host: str) -> None:
    """Only loopback: the local stack has fake credentials and a published secret."""
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise StackError(f"refusing to listen on {host}: use a loopback address such as 127.0.0.1")


def check_port_free(host: str, port: int) -> None:
    """Bind and release, so a busy port fails before anything has started."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise StackError(f"port {port} on {host} is busy ({error.strerror})") from None


def read_secrets_file(path: Path, providers: set[str]) -> dict[str, str]:
    """`{"<provider>": "whsec_..."}` (or a list of secrets while rotating) from a JSON file."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise StackError(f"cannot read secrets file {path}: {error.strerror}") from None
    except ValueError as error:
        raise StackError(f"secrets file {path} is not JSON: {error}") from None
    if not isinstance(loaded, dict):
        raise StackError(f'secrets file {path} must hold an object {{"<provider>": "whsec_..."}}')
    values: dict[str, str] = {}
    for provider, value in loaded.items():
        listed = value if isinstance(value, list) else [value]
        if not listed or not all(isinstance(v, str) and v for v in listed):
            raise StackError(f"secrets file {path}: the secret of {provider!r} is not a string")
        for secret in listed:
            try:
                sign(secret, "check", 0, b"")
            except SecretError as error:
                raise StackError(f"secrets file {path}: {provider!r}: {error}") from None
        values[provider] = json.dumps(listed) if isinstance(value, list) else value
    unknown = sorted(set(values) - providers)
    if unknown:
        raise StackError(f"secrets file {path} names providers without a policy: {unknown}")
    return values


def export_state(s3: S3Client, secrets: SecretsManagerClient, names: Names, directory: Path) -> int:
    """Every object (latest versions, exact keys and bytes) and secret into `directory`.

    Bytes are stored by their SHA-256 under `objects/`, keys in `state.json`, so any key an S3
    client can write survives the trip. Returns how many objects were written.
    """
    blobs = directory / "objects"
    blobs.mkdir(parents=True, exist_ok=True)
    buckets: dict[str, list[dict[str, str]]] = {}
    kept: set[str] = set()
    for role in ROLES:
        listed = buckets[role] = []
        for key in _keys(s3, names.bucket(role)):
            response = s3.get_object(Bucket=names.bucket(role), Key=key)
            data = response["Body"].read()
            digest = hashlib.sha256(data).hexdigest()
            blob = blobs / digest
            if not blob.exists():
                blob.write_bytes(data)
            kept.add(digest)
            content_type = response.get("ContentType") or "application/octet-stream"
            listed.append({"key": key, "sha256": digest, "content_type": content_type})
    values = {
        name.removeprefix(names.secret_prefix): secrets.get_secret_value(SecretId=name)[
            "SecretString"
        ]
        for name in _secret_names(secrets, names.secret_prefix)
    }
    state = {"format": STATE_FORMAT, "buckets": buckets, "secrets": values}
    written = directory / f".{STATE_FILE}.tmp"
    written.write_text(json.dumps(state, indent=1, sort_keys=True), encoding="utf-8")
    written.chmod(0o600)
    written.replace(directory / STATE_FILE)
    for blob in blobs.iterdir():
        if blob.name not in kept:
            blob.unlink()
    return sum(len(listed) for listed in buckets.values())


@dataclass(frozen=True, slots=True)
class SavedState:
    """What `export_state` wrote: (role, key, sha256, content type) per object, and secrets."""

    objects: tuple[tuple[str, str, str, str], ...] = ()
    secrets: Mapping[str, str] = field(default_factory=dict)


def read_state(directory: Path) -> SavedState:
    """The saved state's index, checked before anything starts; none is an empty start."""
    path = directory / STATE_FILE
    if not path.exists():
        return SavedState()
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
        if state.get("format") != STATE_FORMAT:
            raise StateError(f"{path} is not a clearance local state file")
        objects = tuple(
            (role, str(item["key"]), str(item["sha256"]), str(item["content_type"]))
            for role in ROLES
            for item in state["buckets"].get(role, [])
        )
        secrets = {str(k): str(v) for k, v in state["secrets"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        problem = f"{type(error).__name__}: {error}"
        raise StateError(f"cannot read the saved state in {path}: {problem}") from None
    return SavedState(objects, secrets)


def import_state(s3: S3Client, names: Names, directory: Path) -> dict[str, str]:
    """Put back what `export_state` wrote, into fresh buckets; returns the secrets.

    Plain puts, before the inbound bucket notifies the queue: nothing re-imported is processed
    again. A directory without state is an empty start.
    """
    state = read_state(directory)
    for role, key, digest, content_type in state.objects:
        blob = directory / "objects" / digest
        try:
            data = blob.read_bytes()
        except OSError:
            raise StateError(f"saved state is missing {blob} (object {key!r})") from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise StateError(f"saved object {blob} does not match its hash")
        s3.put_object(
            Bucket=names.bucket(role),
            Key=key,
            Body=data,
            ContentType=content_type,
            ChecksumAlgorithm="SHA256",
        )
    return dict(state.secrets)


def export_articles(dynamodb: DynamoDBClient, names: Names, directory: Path) -> int:
    """Every article state, as DynamoDB items, into `articles.json`; returns how many."""
    items = [
        item
        for page in dynamodb.get_paginator("scan").paginate(TableName=names.state_table)
        for item in page.get("Items", [])
    ]
    written = directory / f".{ARTICLES_FILE}.tmp"
    written.write_text(json.dumps(items, indent=1, sort_keys=True), encoding="utf-8")
    written.replace(directory / ARTICLES_FILE)
    return len(items)


def import_articles(dynamodb: DynamoDBClient, names: Names, directory: Path) -> int:
    """Put back what `export_articles` wrote; none is an empty start."""
    path = directory / ARTICLES_FILE
    if not path.exists():
        return 0
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StateError(f"cannot read the saved article states in {path}: {error}") from None
    for item in items:
        dynamodb.put_item(TableName=names.state_table, Item=item)
    return len(items)


def _keys(s3: S3Client, bucket: str) -> Iterator[str]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            yield item["Key"]


def _secret_names(secrets: SecretsManagerClient, prefix: str) -> list[str]:
    found = []
    for page in secrets.get_paginator("list_secrets").paginate():
        found += [s["Name"] for s in page.get("SecretList", []) if s["Name"].startswith(prefix)]
    return sorted(found)


class LocalStack:
    """The service on loopback: `start()`/`stop()`, or `with LocalStack() as stack:`.

    Ports 0 take free ones (tests, the demo); `data` keeps buckets and secrets across restarts;
    `secrets` overrides the development secret per provider; `access_log` gets one line per
    HTTP request; `function_output` takes what the functions print (their CloudWatch Logs);
    `dispatch=False` leaves the queue alone until `start_dispatcher()`; a clean stop keeps
    processing for up to `drain_seconds`, then saves what is still queued (with `data`).

    With `data`, what the stack answers 202 is kept: each accepted delivery is journalled on disk
    before its answer is sent, and the next start puts back and queues whatever the last saved
    state lacks, so neither a clean stop nor a kill loses an acknowledged delivery.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        aws_port: int = 0,
        *,
        secrets: Mapping[str, str] | None = None,
        data: Path | None = None,
        names: Names | None = None,
        routes: list[Route] | None = None,
        retry_delay_seconds: int = 1,
        access_log: Callable[[str], None] | None = None,
        function_output: TextIO | None = None,
        dispatch: bool = True,
        reviewer: str = LOCAL_REVIEWER,
        lifecycle_seconds: float = LIFECYCLE_EVERY_SECONDS,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        drain_seconds: float = 10.0,
    ) -> None:
        self.host = host
        self.drain_seconds = drain_seconds
        self.saved_backlog = backlog.Backlog()
        self.restored = 0
        self._journal: Journal | None = None
        self.port = port
        self.aws_port = aws_port
        self.names = names or Names()
        self.data = data
        self.routes = routes if routes is not None else ROUTES
        self.retry_delay_seconds = retry_delay_seconds
        self.access_log = access_log
        self.dispatch = dispatch
        self.function_output = function_output
        self.reviewer = reviewer
        self.lifecycle_seconds = lifecycle_seconds
        self.on_event = on_event
        self.published: list[dict[str, Any]] = []
        self.secrets: dict[str, str] = dict(secrets or {})
        self.development_secret: list[str] = []
        self.invocations: list[Invocation] = []
        self.queues = Queues("", "")
        self.events_url = ""
        self.webhook_url = ""
        self.digest_key_id = ""
        self.endpoint_url = ""
        self._explicit_secrets = dict(secrets or {})
        self._providers: list[str] = []
        self._moto: ThreadedMotoServer | None = None
        self._gateway: Gateway | None = None
        self._gateway_thread: threading.Thread | None = None
        self._dispatcher: threading.Thread | None = None
        self._stop_dispatch = threading.Event()
        self._saved_environment: dict[str, str | None] = {}
        self._saved_werkzeug_level: int | None = None
        self._saved_streams: tuple[TextIO, TextIO] | None = None
        self._clients: dict[str, Any] = {}
        self._started = False

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def s3(self) -> S3Client:
        return cast("S3Client", self._clients["s3"])

    @property
    def sqs(self) -> SQSClient:
        return cast("SQSClient", self._clients["sqs"])

    @property
    def secretsmanager(self) -> SecretsManagerClient:
        return cast("SecretsManagerClient", self._clients["secretsmanager"])

    @property
    def base_url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}"

    def webhook_for(self, provider: str) -> str:
        return self.webhook_url.replace("{provider}", provider)

    def start(self) -> None:
        """Check host, saved state and ports, then start moto, provision, serve and dispatch."""
        check_loopback(self.host)
        if self.data is not None:
            read_state(self.data)
            try:
                backlog.load(self.data)
            except backlog.BacklogError as error:
                raise StateError(str(error)) from None
            self._journal = Journal(self.data)
        try:
            self._gateway = Gateway(
                self.host,
                self.port,
                self.routes,
                stage=self.names.stage,
                log=self.access_log,
                caller=self.reviewer,
                keep=self._keep if self._journal is not None else None,
            )
        except OSError as error:
            busy = f"port {self.port} on {self.host} is busy ({error.strerror})"
            raise StackError(busy) from None
        try:
            if self.aws_port:
                check_port_free(self.host, self.aws_port)
            self._start_moto()
            self._configure_environment()
            self._provision(restore=True)
        except BaseException:
            self.stop()
            raise
        self.port = self._gateway.port
        self.webhook_url = f"{self.base_url}/v1/providers/{{provider}}/articles"
        self._gateway_thread = threading.Thread(
            target=self._gateway.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="clearance-gateway",
            daemon=True,
        )
        self._gateway_thread.start()
        if self.dispatch:
            self.start_dispatcher()
        self._started = True

    def stop(self) -> None:
        """Stop taking requests, finish or stop dispatching, save state, stop moto.

        State is saved only by a stack that started: a failed start never overwrites `data`.
        """
        if self._gateway is not None:
            if self._gateway_thread is not None:
                self._gateway.shutdown()
                self._gateway_thread.join()
            self._gateway.server_close()
            self._gateway = self._gateway_thread = None
        if self._moto is not None:
            if self.data is not None and self.dispatcher_running:
                self.wait_until_queue_empty(timeout=self.drain_seconds)
            self.stop_dispatcher()
            if self.data is not None and self._started:
                self.saved_backlog = backlog.Backlog(
                    backlog.drain(self.sqs, self.queues.url, self.retry_delay_seconds + 2),
                    backlog.drain(self.sqs, self.queues.dead_letter_url, 1),
                )
                export_state(self.s3, self.secretsmanager, self.names, self.data)
                export_articles(self._clients["dynamodb"], self.names, self.data)
                backlog.save(self.data, self.saved_backlog)
                if self._journal is not None:
                    self._journal.clear()
            self._moto.stop()
            self._moto = None
        self._clients = {}
        self._started = False
        self._restore_environment()

    def reset(self) -> None:
        """Start over with empty buckets and queues, as a fresh start without `data` would."""
        running = self.dispatcher_running
        self.stop_dispatcher()
        if self._journal is not None:
            self._journal.clear()
        self._moto_reset()
        self._provision(restore=False)
        self.invocations.clear()
        self.published.clear()
        if running:
            self.start_dispatcher()

    @property
    def dispatcher_running(self) -> bool:
        return self._dispatcher is not None and self._dispatcher.is_alive()

    def start_dispatcher(self) -> None:
        if self.dispatcher_running:
            return
        handler = PROCESSOR.load()
        self._stop_dispatch = threading.Event()
        self._dispatcher = threading.Thread(
            target=self._dispatch_loop,
            args=(handler, self._stop_dispatch),
            name="clearance-dispatcher",
            daemon=True,
        )
        self._dispatcher.start()

    def stop_dispatcher(self) -> None:
        """Stop after the batch in hand; a dispatcher that died is simply gone."""
        self._stop_dispatch.set()
        if self._dispatcher is not None:
            self._dispatcher.join()
            self._dispatcher = None

    def queue_depth(self, url: str | None = None) -> int:
        """Messages waiting or in flight on the queue (or the dead-letter queue's `url`)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=url or self.queues.url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def wait_until_queue_empty(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.queue_depth() == 0:
                return True
            time.sleep(0.1)
        return False

    def _dispatch_loop(self, handler: LambdaHandler, stop: threading.Event) -> None:
        def invoke(event: dict[str, Any]) -> dict[str, Any]:
            started = time.perf_counter()
            failed = len(event["Records"])
            try:
                context = LocalContext(PROCESSOR.function_name, PROCESSOR.timeout_seconds, 1024)
                with function_scope(PROCESSOR.function_name):
                    result = handler(event, context)
                failed = len(result.get("batchItemFailures", []))
                return result
            finally:
                elapsed = time.perf_counter() - started
                self.invocations.append(Invocation(len(event["Records"]), failed, elapsed))

        next_digest = next_sweep = time.monotonic()
        while not stop.is_set():
            try:
                if time.monotonic() >= next_digest:
                    next_digest = time.monotonic() + DIGEST_EVERY_SECONDS
                    self.run_digest()
                if time.monotonic() >= next_sweep:
                    next_sweep = time.monotonic() + self.lifecycle_seconds
                    self.run_lifecycle()
                self.collect_events()
                dispatch_once(
                    self.sqs,
                    self.queues.url,
                    invoke,
                    wait_seconds=1,
                    retry_delay_seconds=self.retry_delay_seconds,
                )
            except (BotoCoreError, ClientError) as error:
                _warn(f"dispatcher: {type(error).__name__}: {error}")
                stop.wait(1)

    def _start_moto(self) -> None:
        werkzeug = logging.getLogger("werkzeug")
        self._saved_werkzeug_level = werkzeug.level
        werkzeug.setLevel(logging.ERROR)
        make_conditional_writes_atomic()
        self._moto = ThreadedMotoServer(
            ip_address=_moto_host(self.host), port=self.aws_port, verbose=False
        )
        self._moto.start()
        self.aws_port = self._moto.get_host_and_port()[1]
        self.endpoint_url = f"http://{_url_host(_moto_host(self.host))}:{self.aws_port}"
        self._moto_reset()

    def _moto_reset(self) -> None:
        """moto's state is per process: start from none, whatever ran here before."""
        connection = http.client.HTTPConnection(_moto_host(self.host), self.aws_port, timeout=10)
        try:
            connection.request("POST", "/moto-api/reset")
            connection.getresponse().read()
        finally:
            connection.close()

    def _configure_environment(self) -> None:
        """The handlers' whole configuration; caches of an earlier container are dropped."""
        wanted: dict[str, str | None] = {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": self.names.region,
            "AWS_REGION": self.names.region,
            **_CREDENTIALS,
            **self.names.environment(),
            **dict.fromkeys(_UNSET),
            **{name: None for name in os.environ if name.startswith("AWS_ENDPOINT_URL_")},
        }
        defaults = {
            "POWERTOOLS_SERVICE_NAME": "clearance",
            "POWERTOOLS_METRICS_NAMESPACE": "Clearance",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
        wanted.update({k: v for k, v in defaults.items() if k not in os.environ})
        for name, value in wanted.items():
            self._saved_environment.setdefault(name, os.environ.get(name))
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self.function_output is not None:
            self._saved_streams = (sys.stdout, sys.stderr)
            sys.stdout = FunctionOutput(sys.stdout, self.function_output)
            sys.stderr = FunctionOutput(sys.stderr, self.function_output)
        _new_container()
        session = boto3.session.Session()
        for service in ("s3", "sqs", "secretsmanager", "kms", "dynamodb", "events"):
            self._clients[service] = session.client(service)

    def _restore_environment(self) -> None:
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment = {}
        if self._saved_streams is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            sys.stdout, sys.stderr = self._saved_streams
            self._saved_streams = None
        if self._saved_werkzeug_level is not None:
            logging.getLogger("werkzeug").setLevel(self._saved_werkzeug_level)
            self._saved_werkzeug_level = None
        _new_container()

    def _provision(self, *, restore: bool) -> None:
        """The template's resources; saved objects go in before the bucket notifies the queue."""
        create_buckets(self.s3, self.names)
        saved = import_state(self.s3, self.names, self.data) if restore and self.data else {}
        journalled: list[str] = []
        if restore and self._journal is not None:
            journalled = backlog.put_back(self.s3, self.names, self._journal)
        self.queues = create_queues(self.sqs, self.s3, self.names)
        create_state_table(self._clients["dynamodb"], self.names)
        if restore and self.data:
            import_articles(self._clients["dynamodb"], self.names, self.data)
            owed = backlog.load(self.data)
            backlog.restore(self.sqs, self.queues, owed)
            backlog.send(self.sqs, self.queues.url, journalled)
            self.restored = len(owed.queue) + len(journalled)
        self.events_url = create_bus(self._clients["events"], self.sqs, self.names)
        if not self._providers:
            policies = PolicySet.load()
            self._providers = sorted(set(policies.policies) | set(policies.broken))
        values = {**saved, **self._explicit_secrets}
        self.secrets = {**dict.fromkeys(self._providers, DEV_SECRET), **values}
        self.development_secret = sorted(p for p, v in self.secrets.items() if v == DEV_SECRET)
        create_secrets(self.secretsmanager, self.names, self.secrets)
        self.digest_key_id = install_signing_key(self._clients["kms"], self.names, self.data)
        self._saved_environment.setdefault("DIGEST_KEY_ID", os.environ.get("DIGEST_KEY_ID"))
        os.environ["DIGEST_KEY_ID"] = self.digest_key_id

    def _keep(self, route: Route, reply: Reply) -> Reply:
        """A delivery answered 202 is journalled, article and receipt, before the answer goes."""
        if route.function_name != WEBHOOK or reply.status != 202 or self._journal is None:
            return reply
        answer = json.loads(reply.body)
        bucket = self.names.bucket("inbound")
        kept = []
        for key, process in (
            (str(answer["key"]), True),
            (keys.receipt_key(str(answer["provider"]), str(answer["delivery"])), False),
        ):
            stored = self.s3.get_object(Bucket=bucket, Key=key)
            data = stored["Body"].read()
            entry = Entry(
                role="inbound",
                key=key,
                sha256=hashlib.sha256(data).hexdigest(),
                content_type=stored.get("ContentType") or "application/octet-stream",
                arrived_at=stored["LastModified"].isoformat(),
                process=process,
            )
            kept.append((entry, data))
        self._journal.keep(kept)
        return reply

    def run_lifecycle(self) -> dict[str, int]:
        """LifecycleFunction's run, as its every-minute schedule would invoke it."""
        from clearance.handlers import lifecycle  # noqa: PLC0415 - after the environment is set

        context = LocalContext("LifecycleFunction", 300, 512)
        with function_scope("LifecycleFunction"):
            swept: dict[str, int] = lifecycle.handler({}, context)
        return swept

    def collect_events(self) -> list[dict[str, Any]]:
        """What the bus delivered to the local subscriber queue since last asked, in order."""
        if not self.events_url:
            return []
        received = self.sqs.receive_message(
            QueueUrl=self.events_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        events = []
        for message in received:
            event = json.loads(message["Body"])
            events.append(event)
            self.sqs.delete_message(
                QueueUrl=self.events_url, ReceiptHandle=message["ReceiptHandle"]
            )
        self.published += events
        if self.on_event is not None:
            for event in events:
                self.on_event(event)
        return events

    def run_digest(self) -> list[str]:
        """AuditDigestFunction's hourly run, invoked as the schedule would."""
        from clearance.handlers import audit_digest  # noqa: PLC0415 - after the environment is set

        context = LocalContext("AuditDigestFunction", 300, 512)
        with function_scope("AuditDigestFunction"):
            written: list[str] = audit_digest.handler({}, context)["digests"]
        return written


def _new_container() -> None:
    """As in a new Lambda container, the handlers' cached clients and settings start empty."""
    for name, module in list(sys.modules.items()):
        if not name.startswith(("clearance.handlers.", "clearance.services.", "clearance.aws.")):
            continue
        for value in list(vars(module).values()):
            clear = getattr(value, "cache_clear", None)
            if callable(clear) and getattr(value, "__module__", None) == name:
                clear()


def _moto_host(host: str) -> str:
    """An address, not a name: S3 clients address buckets by path only on an IP endpoint."""
    return "127.0.0.1" if host == "localhost" else host


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _warn(line: str) -> None:
    print(f"clearance: {line}", file=sys.stderr)
