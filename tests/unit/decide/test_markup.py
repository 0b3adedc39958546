"""Sanitised article HTML, read back by html5lib as a browser would parse it: nothing left runs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import html5lib
import pytest

from clearance.decide.engine import clear
from clearance.decide.findings import Outcome
from clearance.decide.markup import sanitise
from clearance.terms.policy import PolicySet
from tests.conftest import DEMO_ARTICLES, NOW

pytestmark = pytest.mark.reliability

# Markup that runs script, loads another document or fetches from a URL a provider chose, in
# the shapes XSS filter-evasion lists and mutation-XSS reports use.
HOSTILE_HTML = {
    "script": "<p>Ports</p><script>alert(1)</script>",
    "script in upper case": "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "script split by a nested tag": "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "script with a bogus attribute": '<script x=">" src="//evil.example/x.js"></script>',
    "style element": "<style>body{background:url(javascript:alert(1))}</style><p>x</p>",
    "style attribute": '<p style="background:url(javascript:alert(1))">x</p>',
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "iframe srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "object": '<object data="https://evil.example/x.swf"></object>',
    "embed": '<embed src="https://evil.example/x.swf">',
    "img onerror": '<img src="x" onerror="alert(1)">',
    "img onerror without quotes": "<img src=x onerror=alert(1)//>",
    "body onload": '<body onload="alert(1)"><p>x</p></body>',
    "svg onload": "<svg onload=alert(1)><circle r=1></circle></svg>",
    "svg script": "<svg><script>alert(1)</script></svg>",
    "svg animate href": (
        '<svg><a><animate attributeName="href" values="javascript:alert(1)"/>'
        "<text>x</text></a></svg>"
    ),
    "math with xlink href": '<math><mi xlink:href="javascript:alert(1)">x</mi></math>',
    "javascript href": '<a href="javascript:alert(1)">x</a>',
    "javascript href in mixed case": '<a href="JaVaScRiPt:alert(1)">x</a>',
    "javascript href with entities": (
        '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>'
    ),
    "javascript href with hex entities": '<a href="&#x6A;avascript:alert(1)">x</a>',
    "javascript href with a tab": '<a href="jav&#x09;ascript:alert(1)">x</a>',
    "javascript href with a newline": '<a href="jav\nascript:alert(1)">x</a>',
    "javascript href with leading controls": '<a href="&#x01; javascript:alert(1)">x</a>',
    "vbscript href": '<a href="vbscript:msgbox(1)">x</a>',
    "data href": '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    "data img": '<img src="data:image/svg+xml,<svg onload=alert(1)>">',
    "data img in upper case": '<img src="DATA:image/png;base64,AAAA">',
    "form action": '<form action="javascript:alert(1)"><button>x</button></form>',
    "button formaction": '<button formaction="javascript:alert(1)">x</button>',
    "input autofocus onfocus": "<input autofocus onfocus=alert(1)>",
    "details ontoggle": "<details open ontoggle=alert(1)><summary>x</summary></details>",
    "video poster and source": (
        '<video poster="javascript:alert(1)"><source src="javascript:alert(1)"></video>'
    ),
    "audio onerror": "<audio src=x onerror=alert(1)></audio>",
    "base href": '<base href="javascript:alert(1)//"><a href="/x">x</a>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "link import": '<link rel="import" href="https://evil.example/x.html">',
    "template": "<template><script>alert(1)</script></template>",
    "noscript mutation": '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "style in a table": "<table><style><img src=x onerror=alert(1)></style></table>",
    "comment breaking out": "<!--><img src=x onerror=alert(1)>-->",
    "conditional comment": "<!--[if IE]><script>alert(1)</script><![endif]-->",
    "cdata in html": "<![CDATA[<script>alert(1)</script>]]>",
    "unclosed attribute": '<a href="https://ok.example/" onclick="alert(1)',
    "srcset": '<img srcset="javascript:alert(1) 1x, data:image/png;base64,AAAA 2x">',
    "xmp and plaintext": "<xmp><script>alert(1)</script></xmp><plaintext><script>",
    "frameset": '<frameset><frame src="javascript:alert(1)"></frameset>',
    "marquee onstart": "<marquee onstart=alert(1)>x</marquee>",
}

FORBIDDEN_ELEMENTS = {
    *("script", "style", "iframe", "frame", "frameset", "object", "embed", "applet"),
    *("base", "meta", "link", "form", "template", "noscript", "xmp", "plaintext"),
}
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "poster", "data", "background", "values"}
UNSAFE_SCHEME = re.compile(r"^(javascript|vbscript|data):")
# What a browser ignores before or inside a URL's scheme: leading C0 controls and spaces, and
# tabs and newlines anywhere (WHATWG URL parsing).
IGNORED_IN_SCHEME = re.compile(r"^[\x00-\x20]+|[\t\n\r]")


def local(name: str) -> str:
    """An element or attribute name without the namespace html5lib gives foreign content."""
    return name.rsplit("}", 1)[-1].lower()


def elements(markup: str) -> Iterator[Any]:
    """Every element of the fragment, parsed as a browser parses a page's body."""
    fragment = html5lib.parseFragment(markup, treebuilder="etree", namespaceHTMLElements=False)
    for element in fragment.iter():
        if isinstance(element.tag, str):
            yield element


def harmless(tag: str, attributes: dict[str, str]) -> bool:
    """A page's own head: its character set, and links that only name related pages."""
    if tag == "meta":
        return set(attributes) <= {"charset", "name", "content"}
    return tag == "link" and attributes.get("rel", "").lower() in {"canonical", "license", "author"}


def urls(value: str) -> list[str]:
    """The URLs an attribute value names: one, or each candidate of a srcset."""
    candidates = [value, *(part.strip().split(" ")[0] for part in value.split(","))]
    return [IGNORED_IN_SCHEME.sub("", candidate).lower() for candidate in candidates]


def what_runs(markup: str) -> list[str]:
    """What would run, load or fetch in the markup, each described in a few words."""
    found: list[str] = []
    for element in elements(markup):
        tag = local(element.tag)
        if tag in FORBIDDEN_ELEMENTS and not harmless(tag, element.attrib):
            found.append(f"<{tag}> element")
        for raw_name, value in element.attrib.items():
            name = local(raw_name)
            if name.startswith("on"):
                found.append(f"{name} attribute on <{tag}>")
            elif name == "style" and re.search(r"javascript:|expression\(|url\(", value, re.I):
                found.append(f"script in the style of <{tag}>")
            elif name in URL_ATTRIBUTES | {"srcset", "srcdoc"} and (
                name == "srcdoc" or any(UNSAFE_SCHEME.match(url) for url in urls(value))
            ):
                found.append(f"{name}={value!r} on <{tag}>")
    return found


# Inert where an article body is parsed (a fragment inside <body>), kept for the sanitiser's sake.
INERT_IN_A_BODY = {
    "script split by a nested tag",
    "body onload",
    "conditional comment",
    "cdata in html",
    "unclosed attribute",
    "frameset",
}


def test_the_checker_finds_what_runs_in_the_catalogue_before_sanitising() -> None:
    # Given the hostile catalogue as a provider sent it / Then html5lib finds what runs in each
    # entry that a browser would run in an article body
    unfound = {name for name, markup in HOSTILE_HTML.items() if not what_runs(markup)}
    assert unfound == INERT_IN_A_BODY


def test_sanitised_hostile_html_parsed_by_html5lib_keeps_nothing_that_runs(
    figure: Callable[[str], None],
) -> None:
    # Given markup that would run script or load another document in a browser
    survivors: dict[str, list[str]] = {}
    stable = 0
    parsed = 0
    for name, markup in HOSTILE_HTML.items():
        # When it is sanitised as an article body is
        cleaned = sanitise(markup)
        # Then html5lib, parsing it as a browser would, finds no element, handler or URL that runs
        parsed += sum(1 for _ in elements(cleaned))
        if found := what_runs(cleaned):
            survivors[name] = found
        # And sanitising it again changes nothing
        stable += sanitise(cleaned) == cleaned
    assert survivors == {}
    assert stable == len(HOSTILE_HTML)
    figure(
        f"{len(HOSTILE_HTML)} hostile HTML snippets sanitised and parsed by html5lib"
        f" ({parsed} elements): 0 script/style/iframe/object/embed elements, 0 on* attributes,"
        " 0 javascript:/data: URLs; every output unchanged by a second pass"
    )


def test_the_html_copy_of_a_cleared_article_carrying_the_catalogue_runs_nothing(
    policies: PolicySet,
) -> None:
    # Given an NTB article (its terms allow changes) whose HTML body carries the whole catalogue
    document = json.loads((DEMO_ARTICLES / "ntb-kill.json").read_text())
    document.update(pubstatus="usable", version="1")
    hostile = "<p>Strømprisene stiger.</p>" + "".join(HOSTILE_HTML.values())
    document["bodies"] = [{"role": "text", "contenttype": "text/html", "value": hostile}]
    # When it is decided
    decision = clear(json.dumps(document).encode(), policies=policies, now=NOW)
    # Then it is cleared, and its HTML copy and the HTML inside its JSON copy run nothing
    assert decision.outcome is Outcome.CLEARED, decision.findings
    page = next(r.data.decode() for r in decision.renditions if r.name == "html")
    assert "Strømprisene stiger." in page
    assert what_runs(page) == []
    copy = json.loads(next(r.data for r in decision.renditions if r.name == "json"))
    html_bodies = [b["value"] for b in copy["bodies"] if b["contentType"] == "text/html"]
    assert html_bodies
    assert [what_runs(value) for value in html_bodies] == [[] for _ in html_bodies]
