"""The local AWS endpoint, recorded: what each request changed is journalled before it answers.

moto's backends are patched, as `atomic` and `signing` patch them, to note what a request
changes (an object key, an article state, a queue, the secrets), and moto's WSGI application is
wrapped so that once a request is handled, and before its answer leaves, what it changed is
described whole and appended to the journal. A write into the inbound bucket (a provider's drop
or the webhook's store) and a secret change are synced to disk before the answer: each is an
acknowledgement. Everything else is synced before the gateway answers (`barrier`) and when the
stack stops. A secret change also calls `on_secrets`, so the functions' caches start afresh and
a secret rotated in works at once, as the webhook promises.

Without `--data` there is no journal, and only secret changes are watched.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import inspect
import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

from clearance.local.cognito import CorsPreflight
from clearance.local.journal import Journal, JournalError
from clearance.local.persistence import QUEUES, ROLES, Saved, Version
from clearance.local.resources import Names

_PATCHED = "_clearance_recorded"
_local = threading.local()
StartResponse = Callable[..., Any]


@dataclass
class Marks:
    """What one request changed, noted by the patched backends while it is handled."""

    objects: set[tuple[Any, str, str]] = field(default_factory=set)
    items: set[tuple[Any, str]] = field(default_factory=set)
    queues: set[tuple[Any, str]] = field(default_factory=set)
    secrets: list[Any] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.objects or self.items or self.queues or self.secrets)


class Recorder:
    """Describes what requests changed, into the journal once one is attached."""

    def __init__(self, names: Names, on_secrets: Callable[[], None] | None = None) -> None:
        self.names = names
        self.on_secrets = on_secrets
        self.journal: Journal | None = None
        self._buckets = {names.bucket(role): role for role in ROLES}
        self._queues = dict(zip((names.queue, names.dead_letter_queue), QUEUES, strict=True))
        self._lock = threading.Lock()
        self._blobs: set[str] = set()
        self._shas: dict[tuple[str, str], str] = {}
        self._messages: dict[str, dict[str, str]] = {}
        self._secrets: dict[str, str] = {}
        self._refusing = False

    def attach(self, journal: Journal, saved: Saved) -> None:
        """Journal from here on; `saved` is what the snapshot already holds."""
        with self._lock:
            self.journal = journal
            self._refusing = False
            self._blobs = saved.referenced()
            self._shas = {
                (self.names.bucket(role), str(v["version_id"])): str(v["sha256"])
                for role, keys in saved.objects.items()
                for versions in keys.values()
                for v in versions
                if "sha256" in v
            }
            self._messages = {name: dict(saved.queues[name]) for name in QUEUES}
            self._secrets = dict(saved.secrets)

    def detach(self, *, refuse: bool = True) -> None:
        """Stop journalling, the journal synced and closed; with `refuse`, every later change
        and acknowledgement fails (the stack is stopping) rather than going unrecorded."""
        with self._lock:
            journal, self.journal = self.journal, None
            self._refusing = refuse and journal is not None
        if journal is not None:
            journal.close()

    def barrier(self) -> None:
        """Everything journalled so far on disk, before an answer acknowledges it."""
        journal = self.journal
        if journal is not None:
            journal.sync()
        elif self._refusing:
            raise JournalError("the local stack is stopping")

    def flush(self, marks: Marks) -> None:
        """Append what `marks` names, whole; sync it if it acknowledges a drop or a secret."""
        changed_secrets = bool(marks.secrets)
        journal = self.journal
        if journal is None and self._refusing:
            raise JournalError("the local stack is stopping")
        if journal is not None:
            blobs: dict[str, bytes] = {}
            with self._lock:
                records = [
                    *self._objects(marks.objects, blobs),
                    *self._items(marks.items),
                    *self._queue_changes(marks.queues),
                    *self._secret_changes(marks.secrets),
                ]
                if records:
                    journal.append(blobs, records)
                    self._blobs.update(blobs)
            inbound = self.names.bucket("inbound")
            if changed_secrets or any(bucket == inbound for _, bucket, _ in marks.objects):
                journal.sync()
        if changed_secrets and self.on_secrets is not None:
            self.on_secrets()

    def _objects(
        self, marked: Iterable[tuple[Any, str, str]], blobs: dict[str, bytes]
    ) -> Iterator[dict[str, Any]]:
        for backend, bucket_name, key in sorted(marked, key=lambda m: (m[1], m[2])):
            role = self._buckets.get(bucket_name)
            if role is None:
                continue
            try:
                versions = list(backend.get_bucket(bucket_name).keys.getlist(key, []) or [])
            except Exception:  # noqa: BLE001 - a bucket gone is an empty key
                versions = []
            described = [self._version(bucket_name, version, blobs) for version in versions]
            yield {"object": role, "key": key, "versions": described}

    def _version(self, bucket_name: str, version: Any, blobs: dict[str, bytes]) -> Version:
        base: Version = {
            "version_id": str(version.version_id),
            "last_modified": version.last_modified.isoformat(),
        }
        if not hasattr(version, "value"):
            return {**base, "deleted": True}
        cached = (bucket_name, str(version.version_id))
        sha256 = self._shas.get(cached) if cached[1] != "null" else None
        if sha256 is None:
            data = version.value
            sha256 = self._shas[cached] = hashlib.sha256(data).hexdigest()
            if sha256 not in self._blobs:
                blobs[sha256] = data
        checksum = version.checksum_value and [
            version.checksum_algorithm,
            version.checksum_value,
            version.checksum_type,
        ]
        locks = [version.lock_mode, version.lock_until, version.lock_legal_status]
        return {
            **base,
            "sha256": sha256,
            "size": version.size,
            "metadata": {str(k): str(v) for k, v in dict(version.metadata).items()},
            "checksum": checksum or None,
            "lock": locks if any(locks) else None,
        }

    def _items(self, marked: Iterable[tuple[Any, str]]) -> Iterator[dict[str, Any]]:
        from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: PLC0415 - moto only where it runs

        kinds = {self.names.state_table: "item", self.names.subscriptions_table: "subscription"}
        for table, key in sorted(marked, key=lambda m: m[1]):
            kind = kinds.get(table.name)
            if kind is None:
                continue
            attributes = json.loads(key)
            range_attribute = table.range_key_attr
            item = table.get_item(
                DynamoType(attributes[table.hash_key_attr]),
                DynamoType(attributes[range_attribute]) if range_attribute else None,
            )
            value = item.to_json()["Attributes"] if item is not None else None
            yield {kind: key, "value": _as_json(value)}

    def _queue_changes(self, marked: Iterable[tuple[Any, str]]) -> Iterator[dict[str, Any]]:
        queues: dict[str, Any] = {}
        for backend, name in marked:
            queue = backend.queues.get(name)
            if queue is None:
                continue
            for each in (queue, queue.dead_letter_queue):
                if each is not None and each.name in self._queues:
                    queues[self._queues[each.name]] = each
        for role, queue in sorted(queues.items()):
            now = {message.id: message.body for message in list(queue._messages)}
            known = self._messages.setdefault(role, {})
            added = [[i, body] for i, body in now.items() if i not in known]
            removed = [i for i in known if i not in now]
            self._messages[role] = now
            if added or removed:
                yield {"queue": role, "add": added, "remove": removed}

    def _secret_changes(self, marked: list[Any]) -> Iterator[dict[str, Any]]:
        if not marked:
            return
        backend = marked[-1]
        prefix = self.names.secret_prefix
        values = {}
        for secret in list(dict.values(backend.secrets)):
            if not secret.name.startswith(prefix) or secret.is_deleted():
                continue
            current = secret.versions.get(secret.default_version_id) or {}
            if "secret_string" in current:
                values[secret.name.removeprefix(prefix)] = str(current["secret_string"])
        if values != self._secrets:
            self._secrets = values
            yield {"secrets": values}


def _noted(marks: Marks, kind: str, backend: Any, arguments: dict[str, Any]) -> None:
    if kind == "object":
        marks.objects.add((backend, arguments["bucket_name"], arguments["key_name"]))
    elif kind == "queue":
        marks.queues.add((backend, arguments["queue_name"]))
    elif kind == "secrets":
        marks.secrets.append(backend)
    elif kind == "put-item":
        key = {a: arguments["item_attrs"][a] for a in _key_attributes(backend)}
        marks.items.add((backend, json.dumps(key, sort_keys=True)))
    elif kind == "delete-item":
        values = (arguments["hash_key"], arguments.get("range_key"))
        key = {a: v.to_json() for a, v in zip(_key_attributes(backend), values, strict=False)}
        marks.items.add((backend, json.dumps(key, sort_keys=True)))
    elif kind == "update-item":
        table = backend.get_table(arguments["table_name"])
        key = {a: arguments["key"][a] for a in _key_attributes(table)}
        marks.items.add((table, json.dumps(key, sort_keys=True)))


def _key_attributes(table: Any) -> list[str]:
    return [a for a in (table.hash_key_attr, table.range_key_attr) if a]


def _patch(cls: Any, name: str, kind: str) -> None:
    method = getattr(cls, name, None)
    if method is None or getattr(method, _PATCHED, False):
        return
    signature = inspect.signature(method)

    @functools.wraps(method)
    def recorded(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = method(self, *args, **kwargs)
        marks = getattr(_local, "marks", None)
        if marks is not None:
            bound = signature.bind(self, *args, **kwargs)
            _noted(marks, kind, self, dict(bound.arguments))
        return result

    setattr(recorded, _PATCHED, True)
    setattr(cls, name, recorded)


def install() -> None:
    """Idempotent: moto's backends note what each recorded request changes."""
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415 - moto only where it runs
    from moto.dynamodb.models.table import Table  # noqa: PLC0415 - moto only where it runs
    from moto.s3.models import S3Backend  # noqa: PLC0415 - moto only where it runs
    from moto.secretsmanager.models import SecretsManagerBackend  # noqa: PLC0415 - moto only where it runs
    from moto.sqs.models import SQSBackend  # noqa: PLC0415 - moto only where it runs

    for name in ("put_object", "delete_object", "put_object_retention", "put_object_legal_hold"):
        _patch(S3Backend, name, "object")
    _patch(Table, "put_item", "put-item")
    _patch(Table, "delete_item", "delete-item")
    _patch(DynamoDBBackend, "update_item", "update-item")
    for name in ("send_message", "send_message_batch", "receive_message", "delete_message"):
        _patch(SQSBackend, name, "queue")
    for name in ("delete_message_batch", "purge_queue"):
        _patch(SQSBackend, name, "queue")
    for name in (
        "create_secret",
        "put_secret_value",
        "update_secret",
        "delete_secret",
        "restore_secret",
        "rotate_secret",
        "update_secret_version_stage",
    ):
        _patch(SecretsManagerBackend, name, "secrets")


class RecordedApplication:
    """moto's WSGI application, each answer held back until what it changed is journalled."""

    def __init__(self, application: Any, recorder: Recorder) -> None:
        self.application = application
        self.recorder = recorder

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        marks = Marks()
        held: list[Any] = []
        written: list[bytes] = []

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            held[:] = [status, headers, exc_info]
            return written.append

        _local.marks = marks
        try:
            body = self.application(environ, hold)
        finally:
            _local.marks = None
        if marks:
            try:
                self.recorder.flush(marks)
            except JournalError as error:
                getattr(body, "close", lambda: None)()
                message = f"the local stack could not keep this change: {error}".encode()
                start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
                return [message]
        start_response(*held)
        return [*written, *body] if written else body


class RecordedMotoServer(ThreadedMotoServer):
    """moto's threaded server with its application recorded."""

    def __init__(self, recorder: Recorder, ip_address: str, port: int) -> None:
        super().__init__(ip_address=ip_address, port=port, verbose=False)
        self.recorder = recorder

    def _server_entry(self) -> None:
        application = CorsPreflight(
            RecordedApplication(DomainDispatcherApplication(create_backend_app), self.recorder)
        )
        self._server = make_server(
            self._ip_address, self._port, application, True, request_handler=MotoRequestHandler
        )
        self._server_ready_event.set()
        self._server.serve_forever(poll_interval=0.1)


def _as_json(attributes: Any) -> Any:
    """DynamoDB attributes as moto holds them, binary values base64-encoded as on the wire
    (moto's `put_item` reads them back either way)."""
    if isinstance(attributes, bytes):
        return base64.b64encode(attributes).decode("ascii")
    if isinstance(attributes, dict):
        return {name: _as_json(value) for name, value in attributes.items()}
    if isinstance(attributes, list):
        return [_as_json(value) for value in attributes]
    return attributes
