"""Notifications to the publishing system on the EventBridge bus, one per change of what is
published; each carries an id derived from its content, so a consumer can drop a repeat."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from clearance.lifecycle.plan import NOTIFICATIONS_PER_REQUEST, Notification

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

SOURCE = "clearance"


class NotificationError(RuntimeError):
    """EventBridge refused some entries; the caller retries the whole outbox."""


class Bus:
    def __init__(self, client: EventBridgeClient, name: str) -> None:
        self.client = client
        self.name = name

    def publish(self, notifications: Sequence[Notification]) -> None:
        entries = [
            {
                "Source": SOURCE,
                "DetailType": n.detail_type,
                "Detail": json.dumps({**n.detail, "event_id": event_id(n)}, sort_keys=True),
                "EventBusName": self.name,
            }
            for n in notifications
        ]
        for start in range(0, len(entries), NOTIFICATIONS_PER_REQUEST):
            batch = entries[start : start + NOTIFICATIONS_PER_REQUEST]
            response = self.client.put_events(Entries=batch)  # type: ignore[arg-type]
            if response.get("FailedEntryCount"):
                raise NotificationError(f"{response['FailedEntryCount']} events were not accepted")


def event_id(notification: Notification) -> str:
    body = json.dumps([notification.detail_type, notification.detail], sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()[:32]
