"""The fuzz targets: what each reader, the door and the decision promise for any bytes at all.

A reader either returns items or raises `ArticleError` (UnreadableError is one); the door answers
`Accepted` or a 4xx `Refusal`; `clear_each` returns decisions and never raises. A target raises
for anything else, and that input is a crash. Each target names the seed corpora it starts from:
its own folder under `corpus/`, and the shared sample folders of its format where present.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from clearance.contracts import media
from clearance.decide.engine import clear_each
from clearance.ingest.article import ArticleError
from clearance.ingest.intake import Accepted, Refusal, Request, accept
from clearance.ingest.parse import read_delivery
from clearance.ingest.signature import signed_headers
from clearance.terms.policy import PolicySet

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
CRASHES = HERE / "crashes"
SHARED_FEEDS = HERE.parents[1].parent / "shared" / "samples" / "feeds"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SECRET = "whsec_" + "ZnV6ei1zZWNyZXQtZm9yLXRoZS1kb29y"
MAX_BODY_BYTES = 2 * 1024 * 1024
OTHER_TYPES = (None, "application/octet-stream", "application/pdf", "text/plain; charset=latin-1")
"""Types the chooser meets beside the article types: none, generic, foreign, a wrong charset."""


class ContractBroken(AssertionError):
    """A reader, the door or the decision answered in a way its contract does not allow."""


@dataclass(frozen=True, slots=True)
class Target:
    """One fuzz target: the check an input must pass and the shared sample folders it seeds from."""

    name: str
    check: Callable[[bytes], None]
    samples: tuple[str, ...] = ()
    seeds_from: tuple[str, ...] = ()

    def corpora(self) -> list[Path]:
        """Every seed folder of this target that exists here; the inputs that once crashed too."""
        folders = [CORPUS / self.name, *(CORPUS / other for other in self.seeds_from)]
        folders += [CRASHES / self.name, *(CRASHES / other for other in self.seeds_from)]
        folders += [SHARED_FEEDS / sample for sample in self.samples]
        return [folder for folder in folders if folder.is_dir()]


@cache
def policies() -> PolicySet:
    return PolicySet.load()


def read_as(data: bytes, media_type: str | None) -> None:
    """`read_delivery` returns items, each an article or an error, or raises ArticleError.

    A delivery of several items must keep the same promise for each item's own bytes, since
    those are what is hashed, stored and read again.
    """
    try:
        items = read_delivery(data, media_type, policies().disclaimer_headings)
    except ArticleError:
        return
    if not items:
        raise ContractBroken("read_delivery returned no items and raised nothing")
    for item in items:
        if (item.article is None) == (item.error is None):
            raise ContractBroken(f"item {item.index} is both or neither an article and an error")
        if item.index is not None and item.data != data:
            read_as(item.data, media_type)


def reader(media_type: str) -> Callable[[bytes], None]:
    def check(data: bytes) -> None:
        read_as(data, media_type)

    return check


def choose(data: bytes) -> None:
    """The input through the door as a JSON, an XML and a text type, and through the one parse
    as a generic or foreign type; which type of each family is the input's own pick, so over a
    run every media type is met without each input paying for all fourteen."""
    pick = zlib.crc32(data)
    for family in (media.JSON_TYPES, media.XML_TYPES, media.TEXT_TYPES):
        door(data, family[pick % len(family)])
    read_as(data, OTHER_TYPES[pick % len(OTHER_TYPES)])


def door(data: bytes, media_type: str) -> None:
    """A correctly signed delivery is Accepted or refused with a 4xx, never a raise."""
    headers = signed_headers(SECRET, "msg_fuzz", int(NOW.timestamp()), data)
    request = Request("dpa", {**headers, "content-type": media_type}, data)
    answer = accept(
        request,
        policies=policies(),
        secrets=Secrets(),
        now=NOW,
        max_body_bytes=MAX_BODY_BYTES,
    )
    if isinstance(answer, Refusal) and not 400 <= answer.status < 500:
        raise ContractBroken(f"the door answered {answer.status} {answer.code}")
    if not isinstance(answer, Accepted | Refusal):
        raise ContractBroken(f"the door answered {answer!r}")


class Secrets:
    """The door's secret source: the one fuzzing secret for every provider."""

    def for_provider(self, provider: str) -> list[str]:
        return [SECRET]


def decision(data: bytes) -> None:
    """`clear_each` decides, with the provider left to recognition and forced to one of them."""
    providers = sorted(policies().providers)
    forced = providers[zlib.crc32(data) % len(providers)]
    for provider in (None, forced):
        decided = clear_each(data, policies=policies(), now=NOW, provider=provider)
        if not decided:
            raise ContractBroken(f"clear_each returned no decision (provider {provider})")


_XML_SAMPLES = ("newsml-g2", "nitf", "newsml-1.2", "rss-atom")
_JSON_SAMPLES = ("ninjs", "ap-media-json", "dpa-digitalwires")
_WIRE_SAMPLES = ("anpa-1312", "iptc-7901")
_READERS = ("g2", "nitf", "newsml1", "syndication", "ninjs", "agencyjson", "plaintext")

TARGETS: Mapping[str, Target] = {
    target.name: target
    for target in (
        Target("g2", reader("application/vnd.iptc.g2.newsmessage+xml"), ("newsml-g2",)),
        Target("nitf", reader("application/nitf+xml"), ("nitf",)),
        Target("newsml1", reader("application/xml"), ("newsml-1.2",)),
        Target("syndication", reader("application/rss+xml"), ("rss-atom",)),
        Target("ninjs", reader("application/ninjs+json"), ("ninjs",)),
        Target("agencyjson", reader("application/json"), ("ap-media-json", "dpa-digitalwires")),
        Target("plaintext", reader("text/plain"), _WIRE_SAMPLES),
        Target("chooser", choose, (*_XML_SAMPLES, *_JSON_SAMPLES, *_WIRE_SAMPLES), _READERS),
        Target("decision", decision, (*_XML_SAMPLES, *_JSON_SAMPLES), _READERS),
    )
}
