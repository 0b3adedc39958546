"""The demo sends every article the project ships, whatever the samples beside it hold."""

from __future__ import annotations

from pathlib import Path

from clearance.cli.demo import deliveries
from tests.conftest import DEMO_ARTICLES


def test_the_demo_delivers_every_demo_article_even_without_the_shared_samples(
    tmp_path: Path,
) -> None:
    # Given no shared samples at all
    sent, notes = deliveries(tmp_path / "no-samples")
    # Then every article in events/articles is delivered, the MENAFN one by both routes
    labels = {delivery.label for delivery in sent}
    shipped = {f"events/articles/{path.name}" for path in DEMO_ARTICLES.glob("*.*")}
    assert shipped <= labels
    menafn = [d.via for d in sent if d.label == "events/articles/menafn-ports.txt"]
    assert sorted(menafn) == ["file", "webhook", "webhook"]
    assert len(notes) == 1
    assert notes[0].endswith("only the project's articles are sent")
