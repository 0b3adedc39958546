"""A provider's kills keep their capacity whatever others send (issue 17: a junk flood on the kill
route's one shared budget, spent before any signature was checked, could starve them).

Each provider's kills have their own budget, per API key, spent before the route's ceiling; a
request without a known key is refused before any budget is touched.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from clearance.contracts import keys
from clearance.local.stack import LocalStack
from clearance.local.usage import development_api_key
from tests.conftest import dpa_article
from tests.e2e.conftest import Response, deliver, kill, objects, wait_until

pytestmark = pytest.mark.reliability

KILLS = 20
KILL_EVERY_SECONDS = 0.5
"""dpa's own pace: two kills a second, within its budget (5 a second, 5 at once)."""
FLOODERS = 4
JSON = "application/json"
JUNK_SIGNATURE = {
    "webhook-id": "junk",
    "webhook-timestamp": "0",
    "webhook-signature": "v1,AAAA",
    "Content-Type": JSON,
}


def cleared_copies(stack: LocalStack, article_id: str) -> int:
    return len(objects(stack, "cleared", keys.cleared_prefix("dpa", article_id)))


def publish(stack: LocalStack, count: int) -> list[str]:
    """`count` dpa articles delivered and published (three copies each); their ids."""
    uris = [f"urn:newsml:dpa.com:20261123:capacity-{n:02d}" for n in range(count)]
    for n, uri in enumerate(uris):
        answer = deliver(stack, dpa_article(uri), f"cap-{n}", provider="dpa", content_type=JSON)
        assert answer.status == 202, answer.body
    ids = [keys.article_id("dpa", uri) for uri in uris]
    wait_until(
        lambda: all(cleared_copies(stack, article) == 3 for article in ids),
        60,
        f"{count} dpa articles published",
    )
    return ids


def flood(stack: LocalStack, targets: list[str], stop: threading.Event, seen: Counter[str]) -> None:
    """Junk kill orders as fast as one keep-alive connection goes, of four kinds in turn: no key,
    an unknown key, and menafn's key on its own route and on dpa's articles (never signed)."""
    menafn = {"x-api-key": development_api_key("menafn")}
    kinds = [
        ("no-key", "dpa", {}),
        ("unknown-key", "dpa", {"x-api-key": "clearance-guessed-key"}),
        ("menafn-own", "menafn", menafn),
        ("menafn-on-dpa", "dpa", menafn),
    ]
    connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
    sent = 0
    while not stop.is_set():
        kind, provider, key = kinds[sent % len(kinds)]
        path = f"/v1/providers/{provider}/articles/{targets[sent % len(targets)]}/kill"
        try:
            connection.request("POST", path, b"{}", {**JUNK_SIGNATURE, **key})
            answer = connection.getresponse()
            answer.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", stack.port, timeout=30)
            seen["connection-error"] += 1
            continue
        seen[f"{kind} {answer.status}"] += 1
        sent += 1
    connection.close()


def test_a_providers_signed_kills_all_get_through_while_others_flood_the_kill_route(
    fresh: LocalStack, figure: Callable[[str], None]
) -> None:
    # Given twenty dpa articles, published
    articles = publish(fresh, KILLS)

    # When menafn and clients with no key flood the kill route with junk, and meanwhile dpa
    # sends its twenty signed kills at its own pace
    stop = threading.Event()
    seen: list[Counter[str]] = [Counter() for _ in range(FLOODERS)]
    flooders = [
        threading.Thread(target=flood, args=(fresh, articles, stop, seen[n]), daemon=True)
        for n in range(FLOODERS)
    ]
    for flooder in flooders:
        flooder.start()
    # (the kills start once the flood is under way: every flooder has been answered)
    wait_until(lambda: all(sum(count.values()) > 0 for count in seen), 10, "the flood")
    started = time.monotonic()

    def paced(n: int) -> Response:
        time.sleep(max(0.0, started + n * KILL_EVERY_SECONDS - time.monotonic()))
        return kill(fresh, "dpa", articles[n], "legal")

    with ThreadPoolExecutor(max_workers=KILLS) as senders:
        answers = list(senders.map(paced, range(KILLS)))
    elapsed = time.monotonic() - started + 1
    stop.set()
    for flooder in flooders:
        flooder.join(timeout=30)
    junk = sum(seen, Counter())

    # Then every one of dpa's kills is answered 202
    assert [answer.status for answer in answers] == [202] * KILLS, [a.body for a in answers]
    # And every copy of every article is taken down
    wait_until(
        lambda: all(cleared_copies(fresh, article) == 0 for article in articles),
        30,
        "every killed article's copies removed",
    )
    # And the junk was refused at the door, or spent menafn's own budget only: nothing else
    answered = {tuple(key.split(" ")) for key in junk}
    assert {status for kind, status in answered if kind.endswith("-key")} == {"403"}, junk
    assert {status for kind, status in answered if kind.startswith("menafn")} <= {"401", "429"}
    by_status = Counter(key.rsplit(" ", 1)[1] for key in junk.elements())
    reached = junk["menafn-own 401"] + junk["menafn-on-dpa 401"]
    assert reached <= 5 + 5 * (elapsed + 1), junk
    total = sum(by_status.values())
    assert total / elapsed >= 50, f"the flood was too slow to mean anything: {junk}"
    figure(
        f"{KILLS} of {KILLS} dpa kills answered 202 (and {KILLS * 3} copies removed) under a flood"
        f" of {total / elapsed:.0f} junk kill requests a second ({total} in {elapsed:.1f} s"
        f" from {FLOODERS} clients): {by_status['403']} without a known API key refused 403,"
        f" {by_status['429']} over menafn's own budget refused 429, {reached} within it"
        " refused 401 by the function"
    )
