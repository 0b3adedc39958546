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


def test_the_demo_sends_a_message_an_nitf_file_and_a_feed_each_item_its_own_row(
    tmp_path: Path,
) -> None:
    # Given the demo's plan
    sent, _ = deliveries(tmp_path / "no-samples")
    by_label = {delivery.label: delivery for delivery in sent}
    # Then the NewsML-G2 message, the NITF file and the Atom feed go by the signed webhook
    message = by_label["events/articles/dpa-message.xml"]
    nitf = by_label["events/articles/ntb-partner-factcheck.nitf"]
    feed = by_label["events/articles/conversation-health.atom"]
    assert (message.via, message.provider, message.media_type) == (
        "webhook",
        "dpa",
        "application/xml",
    )
    assert (nitf.via, nitf.media_type) == ("webhook", "application/nitf+xml")
    assert (feed.via, feed.media_type) == ("webhook", "application/atom+xml")
    # And the table expects one decision per item: three, one and two
    assert [len(d.items) for d in (message, nitf, feed)] == [3, 1, 2]
    assert nitf.items == (nitf.sha256,)
