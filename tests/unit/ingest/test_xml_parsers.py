"""A document with no DOCTYPE is read by expat building the tree in C; one with a DOCTYPE by the
defused parser. Both give the same tree, and refuse a malformed document with the same message,
so which one reads a document changes no decision."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.ingest import xmldoc
from clearance.ingest.article import UnreadableError
from tests.conftest import DEMO_ARTICLES, PROJECT, SAMPLES, sample_paths

FUZZ = PROJECT / "tests" / "fuzz"
needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"shared samples not found at {SAMPLES}"
)


def read_by(text: bytes, parser: object) -> bytes | tuple[str, str]:
    """The tree as ElementTree writes it, or the refusal's reason and message."""
    try:
        root = xmldoc._root(text, parser)  # type: ignore[arg-type]
    except UnreadableError as error:
        return error.reason, str(error)
    return xmldoc.serialise(root)


def assert_read_alike(text: bytes) -> None:
    assert xmldoc._DOCTYPE not in text
    assert read_by(text, xmldoc.expat_parser()) == read_by(text, xmldoc.defused_parser())


def documents(*folders: Path) -> list[bytes]:
    found = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                try:
                    text = xmldoc._utf8(path.read_bytes())
                except UnreadableError:
                    continue
                if text.lstrip().startswith(b"<") and xmldoc._DOCTYPE not in text:
                    found.append(text)
    return found


def cut(text: bytes, parts: int = 7) -> list[bytes]:
    """The document and its truncations, each one malformed in its own place."""
    return [text] + [text[: len(text) * n // parts] for n in range(1, parts)]


def test_the_examples_and_fuzz_corpus_read_alike_whole_and_truncated() -> None:
    # Given every XML example and fuzz case with no DOCTYPE, whole and cut short
    texts = documents(DEMO_ARTICLES, FUZZ)
    assert len(texts) > 20
    # Then expat in C and the defused parser give the same tree or the same refusal
    for text in texts:
        for each in cut(text):
            assert_read_alike(each)


@needs_samples
@pytest.mark.samples
def test_the_real_feeds_read_alike_whole_and_truncated() -> None:
    # Given every real agency document with no DOCTYPE, whole and cut short
    texts = documents(*(path for path in sample_paths("feeds/*") if path.is_dir()))
    assert len(texts) > 15
    for text in texts:
        for each in cut(text, 11):
            assert_read_alike(each)


@pytest.mark.parametrize(
    "text",
    [
        b"<a>&undefined;</a>",
        b"<a>&amp;&lt;&#x41;&#65;</a>",
        b"<a>&#0;</a>",
        b"<a><!-- a comment --><?pi data?><![CDATA[<b>&x;</b>]]></a>",
        b'<a xml:lang="de" xmlns:h="http://www.w3.org/1999/xhtml"><h:p h:x="1">t</h:p></a>',
        b'<a xmlns="urn:x}y"><b/></a>',
        b'<a xmlns:p="urn:p"><p:b p:c="1" c="2"/></a>',
        b'<?xml version="1.0" encoding="ISO-8859-1"?><a>caf\xc3\xa9</a>',
        b"<a></b>",
        b"<a/><b/>",
        b"",
        b"   ",
        b"<a>" + b"<b>" * 300 + b"</b>" * 300 + b"</a>",
        b"<a>" + b"<b/>" * 100_001 + b"</a>",
        b"<a b='1' b='2'/>",
        b"<a>\x01</a>",
        b"<!doctype html><html/>",
    ],
    ids=[
        "undefined-entity",
        "predefined-and-character-references",
        "invalid-character-reference",
        "comment-pi-cdata",
        "namespaced-attributes",
        "brace-in-namespace",
        "prefixed-and-plain-attributes",
        "declared-latin-1-over-utf-8",
        "mismatched-tag",
        "junk-after-root",
        "empty",
        "blank",
        "too-deep",
        "too-many",
        "duplicate-attribute",
        "control-character",
        "lowercase-doctype",
    ],
)
def test_edge_documents_read_alike(text: bytes) -> None:
    # Given a document at an edge of XML with no DOCTYPE, both parsers read or refuse it alike
    assert_read_alike(text)


def test_a_doctype_anywhere_takes_the_defused_parser() -> None:
    # Given an internal subset declaring an entity, even after a comment
    text = b'<!-- x --><!DOCTYPE a [<!ENTITY e "boom">]><a>&e;</a>'
    # Then the document is refused for its DTD, the entity never expanded
    with pytest.raises(UnreadableError) as refused:
        xmldoc.parse_xml(text)
    assert refused.value.reason == "xml-dtd"


texts = st.sampled_from(
    [
        *("text", " ", "\n", "&amp;", "&lt;", "&#233;", "é", "\u2028", "'", '"', ""),
        *("<!-- c -->", "<?pi x?>", "<![CDATA[<z>]]>"),
    ]
)
TAGS = [
    ("a", ""),
    ("b", " x='1'"),
    ("p:d", ' xmlns:p="urn:p" p:y="2"'),
    ("e", ' xml:lang="en"'),
    ("f", ' xmlns="http://iptc.org/std/nar/2006-10-01/"'),
]
elements = st.recursive(
    texts,
    lambda inner: st.builds(
        lambda tag, children: f"<{tag[0]}{tag[1]}>{''.join(children)}</{tag[0]}>",
        st.sampled_from(TAGS),
        st.lists(inner, max_size=4),
    ),
    max_leaves=12,
)
documents_made = st.builds(
    lambda tag, body: f"<{tag[0]}{tag[1]}>{body}</{tag[0]}>", st.sampled_from(TAGS), elements
)
flaws = st.sampled_from(["&nope;", "&", "<", ">", "</a>", "<a>", "\x01", "<c/>", "'"])


@st.composite
def flawed(draw: st.DrawFn) -> str:
    """A well-formed document, or one with a flaw put somewhere in it."""
    text = draw(documents_made)
    if draw(st.booleans()):
        place = draw(st.integers(0, len(text)))
        text = text[:place] + draw(flaws) + text[place:]
    return text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(flawed())
def test_made_documents_read_alike_well_formed_or_flawed(text: str) -> None:
    # Given a document made of elements, text, references, comments, instructions and CDATA,
    # well-formed or with one flaw put anywhere in it
    assert_read_alike(text.encode())
