"""The whole service on one machine: local AWS endpoint, API gateway and queue dispatcher.

moto's server mode plays S3, SQS, Secrets Manager, KMS, DynamoDB and EventBridge on loopback;
`gateway` plays API Gateway; a dispatcher thread plays Lambda's SQS event source mapping and the
schedules (`schedules`). The handlers are the deployed ones, configured only through the
environment variables the template sets (plus AWS_ENDPOINT_URL, `environment`), so nothing in
the core knows it runs locally. `clearance serve`, the demo, the end-to-end tests and the
benchmarks all start this same `LocalStack`.

With `data`, the endpoint is recorded (`recorder`): every change it makes is journalled before it
answers and on disk before anything is acknowledged, and a start puts back the last snapshot and
the journal after it (`persistence`, `restore`). So a kill loses nothing that was answered, every
object version is kept, and a stop has nothing to save, whatever the state's size.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TextIO, cast

from clearance.ingest.signature import SecretError, sign
from clearance.local import recorder
from clearance.local.atomic import make_conditional_writes_atomic
from clearance.local.backlog import legacy_reader
from clearance.local.cognito import Desk, TokenCheck, console_config, create_desk
from clearance.local.console import ConsoleSite
from clearance.local.environment import Environment, forget_secrets
from clearance.local.gateway import ROUTES, Gateway, Reply, Route
from clearance.local.journal import Journal, JournalError
from clearance.local.persistence import (
    ROLES,
    Saved,
    StateError,
    commit,
    journal_path,
    load,
    lock,
)
from clearance.local.resources import (
    Names,
    Queues,
    create_buckets,
    create_bus,
    create_queues,
    create_secrets,
    create_state_table,
    create_subscriptions_table,
)
from clearance.local.restore import restore
from clearance.local.schedules import (
    FEEDS_EVERY_SECONDS,
    LIFECYCLE_EVERY_SECONDS,
    PROCESSOR,
    Invocation,
    Schedules,
)
from clearance.local.signing import SigningKeyError, check_signing_key, install_signing_key
from clearance.terms.policy import PolicySet

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_sqs import SQSClient

DEV_SECRET = "whsec_" + base64.b64encode(b"clearance-development-secret-32b").decode()
"""The webhook secret of every provider the operator gives none: for development only."""
LOCAL_REVIEWER = "arn:aws:iam::123456789012:user/local-reviewer"
DRAIN_SECONDS = 5.0
"""How long a clean stop keeps processing the queue: the whole stop stays within 10 s."""

__all__ = [
    "DEV_SECRET",
    "LOCAL_REVIEWER",
    "PROCESSOR",
    "ROLES",
    "Invocation",
    "LocalStack",
    "StackError",
    "StateError",
    "check_loopback",
    "read_secrets_file",
]


class StackError(Exception):
    """The stack cannot start as asked; the message is one line for the operator."""


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


class LocalStack(Schedules):
    """The service on loopback: `start()`/`stop()`, or `with LocalStack() as stack:`.

    Ports 0 take free ones (tests, the demo); `data` keeps every object version, article state,
    subscription, queued message and secret across restarts and kills; `secrets` overrides the
    development secret per provider; `feed_seconds` is how often the feed poller runs;
    `access_log` gets one line per HTTP request; `function_output` takes what the functions
    print (their CloudWatch Logs); `dispatch=False` leaves the queue alone until
    `start_dispatcher()`; a clean stop keeps processing for up to `drain_seconds`.
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
        feed_seconds: float = FEEDS_EVERY_SECONDS,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        drain_seconds: float = DRAIN_SECONDS,
    ) -> None:
        self.host = host
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
        self.feed_seconds = feed_seconds
        self.on_event = on_event
        self.drain_seconds = drain_seconds
        self.published: list[dict[str, Any]] = []
        self.invocations: list[Invocation] = []
        self.secrets: dict[str, str] = dict(secrets or {})
        self.development_secret: list[str] = []
        self.queues = Queues("", "")
        self.events_url = ""
        self.webhook_url = ""
        self.digest_key_id = ""
        self.digest_key_fingerprint = ""
        self.desk: Desk | None = None
        """The console's user pool and its two people, once started."""
        self.endpoint_url = ""
        self.restored = (0, 0, 0)
        """Object versions, article states and queued messages put back by the last start."""
        self.left = (0, 0)
        """Messages on the queue and the dead-letter queue at the last stop, kept for the next."""
        self.recorder = recorder.Recorder(self.names, on_secrets=forget_secrets)
        self._explicit_secrets = dict(secrets or {})
        self._providers: list[str] = []
        self._generation = 0
        self._moto: recorder.RecordedMotoServer | None = None
        self._gateway: Gateway | None = None
        self._gateway_thread: threading.Thread | None = None
        self._dispatcher: threading.Thread | None = None
        self._stop_dispatch = threading.Event()
        self._environment = Environment()
        self._clients: dict[str, Any] = {}
        self._started = False
        self._lock: int | None = None

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
    def dynamodb(self) -> DynamoDBClient:
        return cast("DynamoDBClient", self._clients["dynamodb"])

    @property
    def secretsmanager(self) -> SecretsManagerClient:
        return cast("SecretsManagerClient", self._clients["secretsmanager"])

    @property
    def base_url(self) -> str:
        return f"http://{_url_host(self.host)}:{self.port}"

    @property
    def console_url(self) -> str:
        return f"{self.base_url}/console/"

    def webhook_for(self, provider: str) -> str:
        return self.webhook_url.replace("{provider}", provider)

    def start(self) -> None:
        """Check host, saved state and ports, then start moto, provision, serve and dispatch.

        A saved state that cannot be read back is refused before anything starts."""
        check_loopback(self.host)
        saved = None
        if self.data is not None:
            self._lock = lock(self.data)
            try:
                saved = self._read_saved(self.data)
            except StateError:
                self._release()
                raise
        try:
            self._gateway = Gateway(
                self.host,
                self.port,
                self.routes,
                stage=self.names.stage,
                log=self.access_log,
                caller=self.reviewer,
                keep=self._keep if self.data is not None else None,
            )
        except OSError as error:
            self._release()
            busy = f"port {self.port} on {self.host} is busy ({error.strerror})"
            raise StackError(busy) from None
        try:
            if self.aws_port:
                check_port_free(self.host, self.aws_port)
            self._start_moto()
            self._clients = self._environment.configure(
                self.endpoint_url, self.names, self.function_output
            )
            self._provision(saved)
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
        """Stop taking requests, process what is queued for up to `drain_seconds`, stop moto.

        Everything was journalled as it changed, so nothing is written here but a last sync;
        a batch still in hand when time is up stays on the queue for the next start."""
        deadline = time.monotonic() + self.drain_seconds
        if self._gateway is not None:
            if self._gateway_thread is not None:
                self._gateway.shutdown()
                self._gateway_thread.join()
            self._gateway.server_close()
            self._gateway = self._gateway_thread = None
        if self._moto is not None:
            if self.data is not None and self.dispatcher_running and self.drain_seconds > 0:
                self.wait_until_queue_empty(timeout=max(0.0, deadline - time.monotonic()))
            self.stop_dispatcher(timeout=max(1.0, deadline - time.monotonic()))
            if self.data is not None and self._started:
                self.left = (self.queue_depth(), self.queue_depth(self.queues.dead_letter_url))
            try:
                self.recorder.detach()
            except JournalError as error:
                print(f"clearance: {error}; only what was acknowledged is kept", file=sys.stderr)
            self._moto.stop()
            self._moto = None
        self._clients = {}
        self._started = False
        self._environment.restore()
        self._release()

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def reset(self) -> None:
        """Start over with empty buckets and queues, as a fresh start without `data` would."""
        running = self.dispatcher_running
        self.stop_dispatcher()
        self.recorder.detach(refuse=False)
        self._moto_reset()
        self._provision(Saved(generation=self._generation) if self.data is not None else None)
        self.invocations.clear()
        self.published.clear()
        if running:
            self.start_dispatcher()

    def _read_saved(self, data: Path) -> Saved:
        try:
            saved = load(data, legacy_reader(self.names))
            check_signing_key(data, saved.signing_key)
        except SigningKeyError as error:
            raise StateError(str(error)) from None
        return saved

    def _start_moto(self) -> None:
        self._environment.quiet_werkzeug()
        make_conditional_writes_atomic()
        recorder.install()
        self._moto = recorder.RecordedMotoServer(
            self.recorder, _moto_host(self.host), self.aws_port
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

    def _provision(self, saved: Saved | None) -> None:
        """The template's resources; then what `data` kept, put back, and a new journal."""
        create_buckets(self.s3, self.names)
        self.queues = create_queues(self.sqs, self.s3, self.names)
        create_state_table(self._clients["dynamodb"], self.names)
        create_subscriptions_table(self._clients["dynamodb"], self.names)
        self.events_url = create_bus(self._clients["events"], self.sqs, self.names)
        if not self._providers:
            policies = PolicySet.load()
            self._providers = sorted(set(policies.policies) | set(policies.broken))
        kept = saved.secrets if saved is not None else {}
        values = {**kept, **self._explicit_secrets}
        self.secrets = {**dict.fromkeys(self._providers, DEV_SECRET), **values}
        self.development_secret = sorted(p for p, v in self.secrets.items() if v == DEV_SECRET)
        create_secrets(self.secretsmanager, self.names, self.secrets)
        key = install_signing_key(self._clients["kms"], self.names, self.data)
        self.digest_key_id, self.digest_key_fingerprint = key
        self._environment.set("DIGEST_KEY_ID", self.digest_key_id)
        self._open_desk()
        if saved is None or self.data is None:
            return
        restore(saved, self.data, self.names)
        self.restored = saved.sizes()
        saved.secrets = dict(self.secrets)
        saved.signing_key = self.digest_key_fingerprint
        commit(self.data, saved)
        self._generation = saved.generation
        self.recorder.attach(Journal(journal_path(self.data, saved.generation)), saved)

    def _open_desk(self) -> None:
        """The console's pool and people, its token check at the gateway, and its page."""
        desk = create_desk(self._clients["cognito-idp"], f"{self.names.stack}-desk", self.data)
        self.desk = desk
        self._environment.set("DESK_CLIENT_ID", desk.client_id)
        if self._gateway is not None:
            self._gateway.token_check = TokenCheck(self.endpoint_url, desk.pool_id)
            config = console_config(desk, self.endpoint_url)
            self._gateway.console = ConsoleSite(config, self.endpoint_url)

    def _keep(self, route: Route, reply: Reply) -> Reply:
        """No answer leaves before what it acknowledges is on disk (else the gateway's 503)."""
        self.recorder.barrier()
        return reply


def _moto_host(host: str) -> str:
    """An address, not a name: S3 clients address buckets by path only on an IP endpoint."""
    return "127.0.0.1" if host == "localhost" else host


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
