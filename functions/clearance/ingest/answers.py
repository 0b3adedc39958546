"""What the door answers: an HTTP answer, and a refusal that says what is wrong in words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer: status, JSON body and any extra headers."""

    status: int
    body: Mapping[str, Any]
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A delivery we will not take, and why.

    `provider` is set once the provider is known; `note` is for our logs, never the sender.
    """

    status: int
    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)
    provider: str | None = None
    note: str | None = None

    @property
    def answer(self) -> Answer:
        headers = {"Allow": "POST"} if self.status == 405 else {}
        error = {"code": self.code, "message": self.message, **self.details}
        return Answer(self.status, {"error": error}, headers)
