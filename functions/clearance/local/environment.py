"""The functions' whole configuration on one machine: environment variables, as the template sets
them, pointing at the local endpoint; and their caches dropped as a new Lambda container's are.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, TextIO

import boto3

from clearance.local.gateway import FunctionOutput
from clearance.local.resources import Names

SERVICES = ("s3", "sqs", "secretsmanager", "kms", "dynamodb", "events", "cognito-idp")
_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"}
_UNSET = ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")
_DEFAULTS = {
    "POWERTOOLS_SERVICE_NAME": "clearance",
    "POWERTOOLS_METRICS_NAMESPACE": "Clearance",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


class Environment:
    """Sets the process's environment for the functions, and puts back what it replaced."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}
        self._streams: tuple[TextIO, TextIO] | None = None
        self._werkzeug_level: int | None = None

    def quiet_werkzeug(self) -> None:
        werkzeug = logging.getLogger("werkzeug")
        self._werkzeug_level = werkzeug.level
        werkzeug.setLevel(logging.ERROR)

    def configure(
        self, endpoint_url: str, names: Names, function_output: TextIO | None
    ) -> dict[str, Any]:
        """The handlers' configuration; caches of an earlier container dropped; our clients."""
        wanted: dict[str, str | None] = {
            "AWS_ENDPOINT_URL": endpoint_url,
            "AWS_DEFAULT_REGION": names.region,
            "AWS_REGION": names.region,
            **_CREDENTIALS,
            **names.environment(),
            **dict.fromkeys(_UNSET),
            **{name: None for name in os.environ if name.startswith("AWS_ENDPOINT_URL_")},
        }
        wanted.update({k: v for k, v in _DEFAULTS.items() if k not in os.environ})
        for name, value in wanted.items():
            self.set(name, value)
        if function_output is not None:
            self._streams = (sys.stdout, sys.stderr)
            sys.stdout = FunctionOutput(sys.stdout, function_output)
            sys.stderr = FunctionOutput(sys.stderr, function_output)
        new_container()
        session = boto3.session.Session()
        return {service: session.client(service) for service in SERVICES}  # type: ignore[call-overload]  # the stubs type a client by a literal name

    def set(self, name: str, value: str | None) -> None:
        self._saved.setdefault(name, os.environ.get(name))
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value

    def restore(self) -> None:
        for name, value in self._saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved = {}
        if self._streams is not None:
            sys.stdout.flush()
            sys.stderr.flush()
            sys.stdout, sys.stderr = self._streams
            self._streams = None
        if self._werkzeug_level is not None:
            logging.getLogger("werkzeug").setLevel(self._werkzeug_level)
            self._werkzeug_level = None
        new_container()


def new_container() -> None:
    """As in a new Lambda container, the handlers' cached clients, secrets and settings start
    empty."""
    for name, module in list(sys.modules.items()):
        if name.startswith(("clearance.handlers.", "clearance.services.", "clearance.aws.")):
            _clear_caches(name, module)


def forget_secrets() -> None:
    """A webhook secret changed: the functions that cache secrets read them afresh on their next
    request, so a secret rotated in works at once and one revoked stops at once."""
    from clearance.aws.secrets import WebhookSecrets  # noqa: PLC0415 - after the environment

    for name, module in list(sys.modules.items()):
        holds = vars(module).get("WebhookSecrets") is WebhookSecrets
        if holds and name.startswith(("clearance.handlers.", "clearance.services.")):
            _clear_caches(name, module)


def _clear_caches(name: str, module: Any) -> None:
    for value in list(vars(module).values()):
        clear = getattr(value, "cache_clear", None)
        if callable(clear) and getattr(value, "__module__", None) == name:
            clear()
