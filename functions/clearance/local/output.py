"""What the functions print, kept apart from the console as Lambda keeps it in CloudWatch Logs."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

_invocation = threading.local()


@contextmanager
def function_scope(function_name: str) -> Iterator[None]:
    """Marks this thread as running a function, so `FunctionOutput` can route its prints."""
    previous = getattr(_invocation, "function", None)
    _invocation.function = function_name
    try:
        yield
    finally:
        _invocation.function = previous


class FunctionOutput(io.TextIOBase):
    """A `sys.stdout` or `sys.stderr` that keeps the functions' output apart, as Lambda sends
    it to CloudWatch Logs: what a thread writes while it runs a function goes to `functions`,
    everything else to `console`.
    """

    def __init__(self, console: TextIO, functions: TextIO) -> None:
        super().__init__()
        self.console = console
        self.functions = functions
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        if getattr(_invocation, "function", None) is None:
            return self.console.write(text)
        with self._lock:
            return self.functions.write(text)

    def flush(self) -> None:
        self.console.flush()
        with self._lock:
            self.functions.flush()

    def isatty(self) -> bool:
        return self.console.isatty()

    def writable(self) -> bool:
        return True
