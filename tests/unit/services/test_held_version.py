"""A held version as a reviewer weighs it: the copy an approval would publish, decided again now
and written nowhere, and the version on the publishing system when the held one corrects it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clearance.contracts import keys
from clearance.terms.policy import PolicySet
from tests.conftest import dpa_article
from tests.fakes import FakeCloud
from tests.unit.services.container import Container

URI = "urn:newsml:dpa.com:20261123:held-version"
ARTICLE = keys.article_id("dpa", URI)
NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


@pytest.fixture
def desk(policies: PolicySet) -> Container:
    return Container(FakeCloud(), policies, later=lambda: NOW + timedelta(hours=1))


def test_a_correction_held_for_review_shows_the_copy_to_publish_and_the_one_published(
    desk: Container,
) -> None:
    # Given version 1 published, then a correction held because its copyright notice is not dpa's
    desk.deliver("inbound/dpa/v1.json", dpa_article(URI, "1", text="Erste Fassung."), NOW, "r1")
    corrected = dpa_article(URI, "2", text="Berichtigte Fassung.", copyrightNotice="(c) another")
    desk.deliver("inbound/dpa/v2.json", corrected, NOW + timedelta(minutes=5), "r2")
    before = _versions_made(desk)
    # When a reviewer opens the held version
    answer = desk.reviews.held_version(ARTICLE, "2")
    # Then it shows the findings, the copy an approval would publish, and version 1 as published
    assert answer.status == 200
    body = dict(answer.body)
    assert body["version"] == "2"
    assert any("copyright" in finding["rule_id"] for finding in body["findings"])
    assert "Berichtigte Fassung." in body["copy"]["bodies"][0]["value"]
    assert body["copy_problem"] is None
    assert body["previous"]["version"] == "1"
    assert "Erste Fassung." in body["previous"]["copy"]["bodies"][0]["value"]
    # And nothing was written: the preview decides, it does not publish
    assert _versions_made(desk) == before + 1
    assert desk.reviews.held({}).body["held"][0]["version"] == "2"


def _versions_made(desk: Container) -> int:
    """Object versions the fake S3 has made so far (asking makes one more: a version id)."""
    return int(desk.cloud.s3.version_id().removeprefix("v"))


def test_a_version_not_held_or_an_unknown_article_is_a_404(desk: Container) -> None:
    desk.deliver("inbound/dpa/v1.json", dpa_article(URI, "1"), NOW, "r1")
    assert desk.reviews.held_version(ARTICLE, "1").status == 404
    assert desk.reviews.held_version("dpa-unknown", "1").status == 404
    missing = desk.reviews.held_version(ARTICLE, None)
    assert (missing.status, missing.body["error"]["parameter"]) == (400, "version")
