"""What the publishing system receives on the bus: the documented fields, no article text, no
secret. Articles arrive signed through the webhook, are decided by the processor, and every event
is read back from a queue subscribed to the bus, against moto."""

from __future__ import annotations

import base64
import json
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from clearance.ingest.intake import Request
from clearance.ingest.signature import signed_headers
from tests.conftest import DEMO_ARTICLES, dpa_article
from tests.integration.harness import Harness, article

pytestmark = pytest.mark.reliability

SECRETS = {
    "menafn": "whsec_" + base64.b64encode(b"menafn-secret-for-event-hygiene").decode(),
    "ntb": "whsec_" + base64.b64encode(b"ntb-secret-for-the-event-hygiene").decode(),
    "dpa": "whsec_" + base64.b64encode(b"dpa-secret-for-the-event-hygiene").decode(),
}
MENAFN = (DEMO_ARTICLES / "menafn-ports.txt").read_bytes()
MENAFN_ALTERED = article(2, disclaimer=False)
NTB = json.loads((DEMO_ARTICLES / "ntb-kill.json").read_text())
DPA_TEXT = "Der Hamburger Hafen hat im dritten Quartal mehr Container umgeschlagen."
NTB_TEXT = "Strømprisene steg kraftig i november, ifølge tall fra Nord Pool."

# The README's "Events for the publishing system": what each event's detail may carry.
DETAIL_TYPES = {"Article Cleared", "Article Superseded", "Article Withdrawn", "Article Held"}
DETAIL_FIELDS = {"provider", "article_id", "uri", "version", "copies", "event_id"}
OPTIONAL_FIELDS = {"reason", "superseded_by"}
COPY_FIELDS = {"key", "sha256", "kind"}


def ntb_version(version: str, pubstatus: str = "usable") -> bytes:
    body = [{"role": "text", "contenttype": "text/plain", "value": f"{NTB_TEXT} ({version})"}]
    return json.dumps({**NTB, "version": version, "pubstatus": pubstatus, "bodies": body}).encode()


@pytest.fixture
def service(harness: Harness) -> Harness:
    """The webhook and the processor over moto, with a queue subscribed to the bus."""
    harness.stack().secrets(SECRETS).wire()
    return harness.wire_webhook(lambda: datetime.now(UTC), 1024 * 1024)


def deliver(service: Harness, provider: str, body: bytes, content_type: str) -> None:
    """POST a signed delivery, then decide what the webhook stored."""
    headers = signed_headers(SECRETS[provider], f"msg-{len(service.sent)}", int(time.time()), body)
    headers["Content-Type"] = content_type
    service.sent.append(headers["webhook-signature"])
    answer = service.webhook.deliver(Request(provider, headers, body.decode(), False))
    assert answer.status == 202, answer.body
    key = str(answer.body["key"])
    service.process(key, datetime.now(UTC), key)


def test_events_on_the_bus_carry_only_the_documented_fields_and_no_text_or_secret(
    service: Harness, figure: Callable[[str], None]
) -> None:
    # Given articles that are cleared, held, superseded and withdrawn, delivered signed
    deliver(service, "menafn", MENAFN, "text/plain; charset=utf-8")
    deliver(service, "menafn", MENAFN_ALTERED, "text/plain; charset=utf-8")
    embargo = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    embargoed = dpa_article("urn:newsml:dpa.com:20261123:hygiene", text=DPA_TEXT, embargo=embargo)
    deliver(service, "dpa", embargoed, "application/json")
    deliver(service, "ntb", ntb_version("1"), "application/json")
    deliver(service, "ntb", ntb_version("2"), "application/json")
    deliver(service, "ntb", ntb_version("3", "canceled"), "application/json")
    # When the publishing system reads every event on the bus
    events = service.bus_events()
    # Then each is one of the documented kinds from clearance, with only the documented fields
    kinds = Counter(event["detail-type"] for event in events)
    assert set(kinds) == DETAIL_TYPES, kinds
    for event in events:
        assert event["source"] == "clearance"
        detail = event["detail"]
        assert DETAIL_FIELDS <= set(detail) <= DETAIL_FIELDS | OPTIONAL_FIELDS, detail
        assert all(set(copy) == COPY_FIELDS for copy in detail["copies"]), detail
        assert detail["provider"] in SECRETS
    # And none carries a word of an article's body or headline, nor a secret or a signature
    text = json.dumps(events, ensure_ascii=False)
    for body in (MENAFN.decode(), MENAFN_ALTERED.decode()):
        lines = [line.strip() for line in body.splitlines() if len(line.strip()) > 20]
        assert not [line for line in lines if line[:40] in text]
    assert NTB_TEXT[:40] not in text
    assert DPA_TEXT[:40] not in text
    secrets = [*SECRETS.values(), *(s.removeprefix("whsec_") for s in SECRETS.values())]
    assert not [value for value in [*secrets, *service.sent] if value in text]
    assert "whsec_" not in text
    largest = max(len(json.dumps(event["detail"])) for event in events)
    counted = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    figure(
        f"{len(events)} events on the bus ({counted}):"
        f" only the documented fields, 0 with article text, 0 with a secret or signature;"
        f" largest detail {largest:,} bytes"
    )
