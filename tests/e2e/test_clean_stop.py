"""A clean stop of `clearance serve --data` is quick whatever the state's size: nothing is left to
save when every change was journalled as it was made."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.test_serve import Serve

pytestmark = pytest.mark.reliability

ARTICLES = 2000
STOP_WITHIN_SECONDS = 10.0

BUILD = textwrap.dedent(
    """
    import hashlib, json, sys
    from pathlib import Path

    from clearance.ingest.signature import signed_headers
    from clearance.local.persistence import commit, load
    from clearance.local.stack import LocalStack
    from tests.e2e.conftest import deliver, menafn_article, settled

    data, count = Path(sys.argv[1]), int(sys.argv[2])
    with LocalStack(data=data) as stack:
        answer = deliver(stack, menafn_article("the model article"), "msg-model")
        settled(stack, 1)
        item = answer.json["key"].rsplit("/", 1)[1].split(".")[0]
    saved = load(data)
    [article] = [json.loads(key)["pk"]["S"] for key in saved.items]
    tokens = [token for token in (article, item) if len(token) > 8]

    def varied(text, n):
        for token in tokens:
            text = text.replace(token, token[:-4] + f"{n:04x}")
        return text

    model = {role: dict(keys) for role, keys in saved.objects.items()}
    items = dict(saved.items)
    for n in range(1, count):
        for role, keys in model.items():
            for key, versions in keys.items():
                if article not in key and item not in key:
                    continue
                copies = []
                for version in versions:
                    copy = dict(version)
                    if "sha256" in version:
                        data_bytes = varied(saved.data(data, version["sha256"]).decode(), n)
                        encoded = data_bytes.encode()
                        copy["sha256"] = hashlib.sha256(encoded).hexdigest()
                        copy["size"] = len(encoded)
                        copy["checksum"] = None
                        saved.blobs[copy["sha256"]] = encoded
                    copies.append(copy)
                saved.objects[role][varied(key, n)] = copies
        for key, value in items.items():
            saved.items[varied(key, n)] = json.loads(varied(json.dumps(value), n))
    commit(data, saved)
    """
)


def build(data: Path, articles: int) -> None:
    """A data directory holding `articles` decided articles, each with its own keys and bytes."""
    result = subprocess.run(
        [sys.executable, "-c", BUILD, str(data), str(articles)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_clean_stop_with_2000_articles_state_ends_within_10_seconds(
    tmp_path: Path, serve_processes: list[Serve], figure: Callable[[str], None]
) -> None:
    data = tmp_path / "state"
    build(data, ARTICLES)
    # Given `clearance serve --data` started on the state of 2,000 decided articles
    started = time.monotonic()
    serve = Serve("--data", str(data))
    serve_processes.append(serve)
    restored = serve.wait_for("restored", timeout=120)
    start_seconds = time.monotonic() - started
    assert f"{ARTICLES} article states" in restored, restored
    # When it is told to stop (SIGTERM, as a supervisor does)
    stopping = time.monotonic()
    serve.process.send_signal(signal.SIGTERM)
    code = serve.process.wait(timeout=60)
    stop_seconds = time.monotonic() - stopping
    serve.reader.join(timeout=10)
    # Then it has exited cleanly within 10 s, saying so
    assert code == 0
    assert stop_seconds < STOP_WITHIN_SECONDS
    [said] = [line for line in serve.printed() if "stopped in" in line]
    assert re.search(r"stopped in \d+\.\d s; state kept in", said), said
    versions = restored.split("restored")[1].strip()
    figure(
        f"a clean stop with {ARTICLES:,} articles' state ({versions}): SIGTERM to exit in"
        f" {stop_seconds:.1f} s (the start with that state took {start_seconds:.1f} s)"
    )
