"""DynamoDB's conditional writes are atomic; moto's check the condition, then write, unlocked.

Two requests in threads of one moto (the local stack's server, or `mock_aws` in tests) can both
pass the same condition. The article state relies on exactly that condition being exclusive, so
the local stack and the race tests make moto's writes to a table atomic, as the service is.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_LOCK = threading.RLock()
_PATCHED = "_clearance_atomic"


def make_conditional_writes_atomic() -> None:
    """Idempotent: patch moto's table writes once per process."""
    from moto.dynamodb.models.table import Table  # noqa: PLC0415 - moto only where it runs

    for name in ("put_item", "update_item", "delete_item"):
        method = getattr(Table, name, None)
        if method is None or getattr(method, _PATCHED, False):
            continue
        setattr(Table, name, _locked(method))


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return method(*args, **kwargs)

    setattr(locked, _PATCHED, True)
    return locked
