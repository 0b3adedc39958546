"""Hostile XML is refused in bounded time and memory, at the door and in the processor alike."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from functools import partial

import pytest

from clearance.decide.engine import clear
from clearance.decide.findings import Outcome
from clearance.ingest.article import UnreadableError
from clearance.ingest.xmldoc import parse_xml
from clearance.terms.policy import PolicySet
from tests.conftest import NOW

LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">\n'.encode()
        for n in range(1, 10)
    )
    + b"]>\n<newsItem>&lol9;</newsItem>"
)
EXTERNAL = (
    b'<?xml version="1.0"?>\n<!DOCTYPE nitf [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    b"<nitf><body>&secret;</body></nitf>"
)
PARAMETER = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY % remote SYSTEM '
    b'"http://169.254.169.254/latest/meta-data/"> %remote;]><rss/>'
)
DTD_ONLY = b'<?xml version="1.0"?>\n<!DOCTYPE feed [<!ELEMENT feed ANY>]><feed/>'
NESTED = b"<newsItem>" + b"<p>" * 100_000 + b"</p>" * 100_000 + b"</newsItem>"
WIDE = b"<rss><channel>" + b"<x/>" * 150_000 + b"</channel></rss>"

HOSTILE = {
    "billion laughs": (LAUGHS, "xml-dtd"),
    "an external entity": (EXTERNAL, "xml-dtd"),
    "a parameter entity fetching the metadata address": (PARAMETER, "xml-dtd"),
    "an internal DTD": (DTD_ONLY, "xml-dtd"),
    "100,000 nested elements": (NESTED, "xml-depth"),
    "150,000 sibling elements": (WIDE, "xml-elements"),
}


def outcome(action: Callable[[], object]) -> object:
    try:
        return action()
    except UnreadableError as error:
        return error


def measured(action: Callable[[], object]) -> tuple[object, float, float]:
    """What `action` gave or raised, its seconds, and (in a second run, as tracing slows every
    allocation) its peak traced memory in MB."""
    started = time.perf_counter()
    result = outcome(action)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    outcome(action)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, seconds, peak


@pytest.mark.reliability
def test_hostile_xml_is_refused_in_bounded_time_and_memory(
    figure: Callable[[str], None],
) -> None:
    policies = PolicySet.load()
    lines = []
    for name, (data, reason) in HOSTILE.items():
        # Given a hostile document, when the parser and the whole decision meet it
        refused, parse_seconds, parse_peak = measured(partial(parse_xml, data))
        decision, seconds, peak = measured(
            partial(clear, data, policies=policies, now=NOW, media_type="application/xml")
        )
        # Then it is refused for its reason, fast and small, and rejected on the record
        assert isinstance(refused, UnreadableError)
        assert refused.reason == reason
        assert getattr(decision, "outcome", None) is Outcome.REJECTED
        assert [f.rule_id for f in getattr(decision, "findings", ())] == [f"input.{reason}"]
        # (bounded: an expansion or a quadratic walk would take minutes; a loaded machine slows
        # the parser and the decision alike, so the bound grows with the parser's own time)
        assert seconds < 2.0 + 3 * parse_seconds, name
        assert peak < 64, name
        lines.append(
            f"{name} ({len(data):,} bytes): input.{reason} in {seconds * 1000:.1f} ms, "
            f"peak {peak:.1f} MB (parser alone {parse_seconds * 1000:.1f} ms, "
            f"{parse_peak:.1f} MB)"
        )
    # And a 50 MB body is refused by its size before a byte of it is parsed
    body = b"<rss><channel>" + b"<item><title>x</title></item>" * (50 * 2**20 // 29) + b"</x>"
    decision, seconds, peak = measured(
        lambda: clear(body, policies=policies, now=NOW, media_type="application/rss+xml")
    )
    assert [f.rule_id for f in getattr(decision, "findings", ())] == ["input.size"]
    assert seconds < 2.0
    lines.append(
        f"a {len(body) / 2**20:.0f} MB feed: input.size in {seconds * 1000:.1f} ms, "
        f"peak {peak:.1f} MB beyond the body itself"
    )
    for line in lines:
        figure(line)
