"""Compiled schemas give jsonschema's verdict: on every copy and article the engine makes from the
examples and the real feeds, on hypothesis-made mutations of them, and on random schemas of every
compiled keyword; and the engine's findings for a broken copy are jsonschema's own.

The reference is the validator the project checks with: `PolicyValidator`, which is jsonschema's
`Draft202012Validator` with regexes evaluated by RE2, on the project's registry and with the
validator's own FormatChecker.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.contracts import keys, media
from clearance.contracts.compiled import compile_predicate
from clearance.contracts.keys import DECISIONS
from clearance.contracts.re2validator import PolicyValidator
from clearance.contracts.schemas import Checker, checker_for, load_schema, registry
from clearance.decide.decision import Decision
from clearance.decide.engine import _check_cleared
from clearance.decide.evaluate import evaluate
from clearance.decide.findings import Severity, schema_findings
from clearance.decide.identify import read
from clearance.decide.licensee import Licensee
from clearance.decide.render import Rendition, prepare_body, render
from clearance.ingest.article import Article
from clearance.lifecycle.events import KillOrdered
from clearance.terms.policy import Policy, PolicySet
from tests.conftest import DEMO_ARTICLES, SAMPLES, dpa_article, sample_paths
from tests.unit.services.container import DELIVERED, day_of

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)
LICENSEE = Licensee("GB", "editorial", "web")
FORMATS = PolicyValidator.FORMAT_CHECKER

needs_samples = pytest.mark.skipif(
    not SAMPLES.is_dir(), reason=f"shared samples not found at {SAMPLES}"
)

Made = tuple[dict[str, Any], tuple[Rendition, ...], Policy]
"""A cleared copy, its renditions, and the terms it was made under."""


@cache
def shipped() -> PolicySet:
    return PolicySet.load()


@cache
def every_version() -> tuple[Policy, ...]:
    return tuple(policy for versions in shipped().histories.values() for policy in versions)


@cache
def reference(schema_json: str) -> Any:
    """The project's validator for a schema (given as JSON text, so it can be cached)."""
    return PolicyValidator(json.loads(schema_json), registry=registry(), format_checker=FORMATS)


def verdict(schema: Any, instance: Any) -> bool:
    return bool(reference(json.dumps(schema, sort_keys=True)).is_valid(instance))


@cache
def compiled(schema_json: str) -> Callable[[Any], bool]:
    predicate = compile_predicate(
        json.loads(schema_json), registry=registry(), format_checker=FORMATS
    )
    assert predicate is not None, schema_json
    return predicate


def predicted(schema: Any, instance: Any) -> bool:
    return compiled(json.dumps(schema, sort_keys=True))(instance)


def articles_of(path: Path) -> Iterator[tuple[dict[str, Any], str]]:
    """The normalised, schema-valid articles a delivery holds, with each item's own hash."""
    items = read(path.read_bytes(), policies=shipped(), media_type=media.of_extension(path.suffix))
    if isinstance(items, Decision):
        return
    for item in items:
        if item.article is not None:
            yield dict(item.article), item.sha256


def copies_of(path: Path, *, every_provider: bool) -> list[Made]:
    """The cleared copy of every article in a delivery, rendered under the terms of the provider
    that recognises it and of every provider (`every_provider`) or one more in turn, whatever
    those terms would decide: the copy's shape is what is checked."""
    providers = sorted(shipped().histories)
    made = []
    for turn, (article, digest) in enumerate(articles_of(path)):
        chosen = shipped().recognise(cast("Article", article))
        named = [chosen[0][0]] if chosen else []
        others = providers if every_provider else [providers[turn % len(providers)]]
        for provider in dict.fromkeys([*named, *others]):
            made.append(rendered(article, digest, shipped().histories[provider][-1]))
    return made


def rendered(article: dict[str, Any], digest: str, policy: Policy) -> Made:
    own = cast("Article", copy.deepcopy(article))
    own["provider"] = policy.id
    body = prepare_body(own)
    evaluation = evaluate(own, policy, NOW, LICENSEE, body.altered)
    cleared, renditions = render(
        own,
        body,
        evaluation.notices,
        evaluation.media,
        policy=policy,
        now=NOW,
        licensee=LICENSEE,
        input_sha256=digest,
    )
    return cleared, renditions, policy


def files(folder: Path, pattern: str) -> list[Path]:
    return sorted(p for p in folder.glob(pattern) if p.is_file() and p.suffix != ".md")


@cache
def example_copies() -> tuple[Made, ...]:
    return tuple(
        made for path in files(DEMO_ARTICLES, "*") for made in copies_of(path, every_provider=True)
    )


@cache
def sample_copies() -> tuple[Made, ...]:
    return tuple(made for path in sample_files() for made in copies_of(path, every_provider=False))


@cache
def example_articles() -> tuple[dict[str, Any], ...]:
    return tuple(article for path in files(DEMO_ARTICLES, "*") for article, _ in articles_of(path))


@cache
def sample_articles() -> tuple[dict[str, Any], ...]:
    return tuple(article for path in sample_files() for article, _ in articles_of(path))


def sample_files() -> list[Path]:
    """The agencies' deliveries among the samples (not the AWS events beside them)."""
    found = [*sample_paths("feeds/*/*"), *sample_paths("menafn/*"), *sample_paths("ninjs/*")]
    return [path for path in found if path.is_file() and path.suffix != ".md"]


def cleared_schemas(policy: Policy) -> list[Any]:
    """The schemas a copy made under `policy` must pass: the project's and the terms' own."""
    return [load_schema("cleared.schema.json"), policy.document["cleared"]]


def agree_on_copy(made: Made) -> None:
    cleared, _, policy = made
    for schema in cleared_schemas(policy):
        assert predicted(schema, cleared) == verdict(schema, cleared), (schema, cleared)
    for other in every_version():
        schema = other.document["cleared"]
        assert predicted(schema, cleared) == verdict(schema, cleared), (other.id, cleared)


def agree_on_article(article: Any) -> None:
    schema = load_schema("article.schema.json")
    assert predicted(schema, article) == verdict(schema, article), article
    for policy in every_version():
        rules = policy.document["requirements"]
        assert predicted(rules, article) == verdict(rules, article), (policy.id, article)


# Mutations: what a bug in a reader or in rendering could do to a copy or an article.

SPECIAL: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    1.0,
    -1,
    2.5,
    "",
    " ",
    "x",
    "\n",
    "usable",
    "canceled",
    "withheld",
    "text/plain",
    "text/html",
    "dateline",
    "byline",
    "start",
    "end",
    "ninjs-3",
    "GB",
    "gb",
    "GBR",
    "0123456789abcdef" * 4,
    "0123456789abcdef" * 4 + "\n",
    "0123456789ABCDEF" * 4,
    "0123456789abcdef" * 4 + "0",
    "2026-12-06T12:00:00Z",
    "2026-12-06T12:00:00+00:00",
    "2026-12-06t12:00:00z",
    "2026-13-06T12:00:00Z",
    "2026-12-06 12:00:00",
    "2026-12-06",
    "dpa",
    "Bad_Id",
    "-dpa",
    "https://theconversation.com/trees",
    "https://www.businesswire.com/news/home/1",
    "http://example.com/a b",
    "https://",
    "NTB",
    "TT",
    "(MENAFN)",
    "(MENAFN- Example)",
    "Dateline (MENAFN) text",
    "For editorial use only",
    ", ProPublica",
    "\ud800",
    [],
    {},
    [""],
    [{}],
    ["a", "a"],
    {"x": 1},
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
values = st.sampled_from(SPECIAL) | json_values
Path_ = tuple[str | int, ...]


def paths(node: Any, here: Path_ = ()) -> Iterator[Path_]:
    """Every place in a document, itself first."""
    yield here
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, (*here, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, (*here, index))


def at(document: Any, where: Path_) -> Any:
    for step in where:
        document = document[step]
    return document


def retyped(value: Any) -> list[Any]:
    """Values of other types standing for `value`."""
    if isinstance(value, str):
        return [len(value), None, [value], {"value": value}, value == "", 1.0]
    if isinstance(value, bool):
        return [int(value), str(value).lower(), None]
    if isinstance(value, int | float):
        return [str(value), bool(value), None, [value]]
    if isinstance(value, list):
        return [dict(enumerate(value)), value[0] if value else None, json.dumps(value)]
    if isinstance(value, dict):
        return [list(value.values()), list(value), json.dumps(value)]
    return [0, False, "", [], {}]


def broken(value: Any) -> list[Any]:
    """A string's near misses: what breaks a pattern, a format, a length or an enum."""
    if not isinstance(value, str):
        return retyped(value)
    return [
        value + "\n",
        " " + value,
        value.upper(),
        value.lower(),
        value[:-1],
        value[1:],
        value.replace("T", " "),
        value.replace("-", "/"),
        value.replace(":", ""),
        value + "x",
        "",
        value * 2,
        value.replace("https", "http"),
        value.replace("a", "\ud800"),
    ]


@st.composite
def mutated(draw: st.DrawFn, document: Any, keep: Callable[[Path_], bool] = lambda _: True) -> Any:
    """`document` with one to three of: a field deleted, replaced, retyped, broken or emptied,
    an unknown property added, at any depth (notices, renditions, associations, bodies)."""
    document = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        places = [p for p in paths(document) if keep(p)]
        if not places:
            break
        where = draw(st.sampled_from(places))
        node = at(document, where)
        action = draw(st.sampled_from(["delete", "replace", "retype", "break", "add", "empty"]))
        if action == "add" or not where:
            target = node if isinstance(node, dict) else at(document, where[:-1]) if where else None
            if isinstance(target, dict):
                name = draw(st.sampled_from(["extra", "x-note", "Uri", "uri ", ""]) | st.text())
                target[name] = draw(values)
            continue
        parent, last = at(document, where[:-1]), where[-1]
        if action == "delete":
            del parent[last]
            continue
        if action == "replace":
            new = draw(values)
        elif action == "retype":
            new = draw(st.sampled_from(retyped(node)))
        elif action == "break":
            new = draw(st.sampled_from(broken(node)))
        else:
            new = type(node)() if isinstance(node, list | dict | str) else None
        parent[last] = new
    return document


FAST = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# The project's fixed-shape schemas compile, so the engine's fast path is in use.


def test_every_schema_checked_on_a_decision_compiles_to_a_predicate() -> None:
    # Given the cleared copy's schema, the article schema and every version of every provider's
    # cleared schema and requirements
    assert checker_for("cleared.schema.json").valid is not None
    assert checker_for("article.schema.json").valid is not None
    for policy in every_version():
        # Then each compiles, so no decision descends through jsonschema when all is well
        assert policy.cleared.valid is not None, policy.id
        assert policy.requirements.valid is not None, policy.id


# Verdicts on the examples and the real feeds, and on mutations of them.


def test_every_example_copy_gets_jsonschemas_verdict() -> None:
    # Given the cleared copy of every article in events/articles under each provider's terms
    made = example_copies()
    assert len(made) > 50
    # Then each schema's predicate answers as jsonschema does, on every copy
    for each in made:
        agree_on_copy(each)


def test_every_example_article_gets_jsonschemas_verdict() -> None:
    # Given every normalised article of events/articles, against the article schema and every
    # provider's requirements
    for article in example_articles():
        agree_on_article(article)


@settings(FAST)
@given(st.data())
def test_mutated_example_copies_get_jsonschemas_verdict(data: st.DataObject) -> None:
    # Given an example copy broken in one to three places
    cleared, _, policy = data.draw(st.sampled_from(example_copies()))
    broken_copy = data.draw(mutated(cleared))
    # Then every cleared schema's predicate answers as jsonschema does
    agree_on_copy((broken_copy, (), policy))


@settings(FAST)
@given(st.data())
def test_mutated_example_articles_get_jsonschemas_verdict(data: st.DataObject) -> None:
    # Given an example article broken in one to three places
    article = data.draw(mutated(data.draw(st.sampled_from(example_articles()))))
    # Then the article schema's and every requirement's predicate answer as jsonschema does
    agree_on_article(article)


@needs_samples
@pytest.mark.samples
def test_every_sample_copy_and_article_gets_jsonschemas_verdict() -> None:
    # Given the cleared copy of every article in ../shared/samples, under its provider's terms
    # and another provider's
    made = sample_copies()
    assert len(made) > 100
    # Then each schema's predicate answers as jsonschema does
    for each in made:
        agree_on_copy(each)
    for article in sample_articles():
        agree_on_article(article)


@needs_samples
@pytest.mark.samples
@settings(FAST)
@given(st.data())
def test_mutated_sample_copies_and_articles_get_jsonschemas_verdict(data: st.DataObject) -> None:
    # Given a copy and an article of the real feeds, each broken in one to three places
    cleared, _, policy = data.draw(st.sampled_from(sample_copies()))
    agree_on_copy((data.draw(mutated(cleared)), (), policy))
    agree_on_article(data.draw(mutated(data.draw(st.sampled_from(sample_articles())))))


# Audit records: every kind a licence's life writes, checked before each is written.


@cache
def example_records() -> tuple[dict[str, Any], ...]:
    """The records a day of dpa articles leaves in the log: cleared, held and approved,
    embargoed and released, corrected, killed and checked at the deadline, unreadable."""
    world = day_of(shipped())

    def drop(name: str, data: bytes, at: datetime = DELIVERED) -> None:
        world.deliver(f"inbound/dpa/{name}", data, at, f"req-{name}")

    uri = "urn:newsml:dpa.com:20261123:records"
    drop("cleared.json", dpa_article(uri))
    drop("corrected.json", dpa_article(uri, "2", text="Fassung 2, berichtigt."))
    held = "urn:newsml:dpa.com:20261123:held"
    drop("held.json", dpa_article(held, copyrightNotice="(c) somebody else"))
    world.reviews.verdict(
        keys.article_id("dpa", held),
        {"version": "1", "verdict": "approve", "reason": "checked"},
        "arn:aws:iam::123456789012:user/reviewer",
        "req-review",
    )
    embargoed = "urn:newsml:dpa.com:20261123:embargoed"
    drop(
        "embargoed.json",
        dpa_article(embargoed, embargo=(DELIVERED + timedelta(hours=1)).isoformat()),
    )
    world.articles.apply(
        keys.article_id("dpa", uri), lambda _: KillOrdered("api:editor", "req-kill"), DELIVERED
    )
    drop("unreadable.json", b"{not json")
    world.lifecycle.sweep()
    audit = world.cloud.bucket("audit").objects()
    return tuple(
        json.loads(data) for key, data in sorted(audit.items()) if key.startswith(DECISIONS)
    )


def agree_on_record(record: Any) -> None:
    schema = load_schema("audit-record.schema.json")
    assert predicted(schema, record) == verdict(schema, record), record


def test_every_kind_of_audit_record_gets_jsonschemas_verdict() -> None:
    # Given the records of a licence's life: deliveries, a correction, a verdict, a release,
    # a kill and its deadline, an unreadable file
    records = example_records()
    kinds = {record["event"]["kind"] for record in records}
    assert {"delivery", "review", "timer", "kill", "supersede"} <= kinds, kinds
    assert checker_for("audit-record.schema.json").valid is not None
    # Then the record schema's predicate answers as jsonschema does, on every one
    for record in records:
        agree_on_record(record)


@settings(FAST)
@given(st.data())
def test_mutated_audit_records_get_jsonschemas_verdict(data: st.DataObject) -> None:
    # Given a record broken in one to three places
    record = data.draw(mutated(data.draw(st.sampled_from(example_records()))))
    # Then the record schema's predicate answers as jsonschema does
    agree_on_record(record)


# The engine: the predicate decides whether to ask, jsonschema says what is wrong.


def outside_notices(where: Path_) -> bool:
    """A place whose change leaves the notices the engine compares with the renditions."""
    return where[:1] != ("clearance",) or (len(where) > 1 and where[1] != "notices")


@settings(FAST)
@given(st.data())
def test_a_broken_copy_gets_jsonschemas_own_findings_from_the_engine(
    data: st.DataObject,
) -> None:
    # Given an example copy broken outside its notices, and the terms it was made under
    cleared, renditions, policy = data.draw(st.sampled_from(example_copies()))
    broken_copy = data.draw(mutated(cleared, outside_notices))
    if not isinstance(broken_copy.get("clearance"), dict):
        broken_copy["clearance"] = {}
    broken_copy["clearance"]["notices"] = copy.deepcopy(cleared["clearance"]["notices"])
    # When the engine checks the copy before writing it
    findings = _check_cleared(broken_copy, renditions, policy)
    # Then its schema findings are those jsonschema gives, message for message
    expected = schema_findings(
        reference(json.dumps(load_schema("cleared.schema.json"))).iter_errors(broken_copy),
        "cleared.schema",
        Severity.CRITICAL,
        "the cleared copy is malformed",
    ) + schema_findings(
        reference(json.dumps(policy.document["cleared"])).iter_errors(broken_copy),
        f"cleared.{policy.id}",
        Severity.CRITICAL,
        f"the cleared copy breaks {policy.name}'s terms",
    )
    assert [f for f in findings if f.rule_id != "cleared.notice"] == expected


def test_a_copy_the_predicate_finds_valid_never_reaches_jsonschema() -> None:
    # Given a checker whose validator must not be asked
    class Unasked:
        def iter_errors(self, instance: Any) -> Iterator[Any]:
            raise AssertionError("jsonschema was asked about a valid instance")

    checker = Checker(Unasked(), lambda instance: True)  # type: ignore[arg-type]
    # Then a valid instance has no errors, without asking it
    assert list(checker.iter_errors({"any": "thing"})) == []


def test_a_copy_the_predicate_finds_invalid_gets_every_jsonschema_error() -> None:
    # Given a copy with two faults: no uri, and a policy hash that is not one
    cleared = copy.deepcopy(example_copies()[0][0])
    del cleared["uri"]
    cleared["clearance"]["policy"]["sha256"] = "not a hash"
    checker = checker_for("cleared.schema.json")
    # Then the checker reports what jsonschema reports, both faults
    errors = [error.message for error in checker.iter_errors(cleared)]
    assert errors == [error.message for error in checker.validator.iter_errors(cleared)]
    assert len(errors) == 2


# Keyword semantics where Python's and JSON Schema's equality part ways.


@pytest.mark.parametrize(
    ("schema", "instance"),
    [
        ({"type": "integer"}, 1.0),
        ({"type": "integer"}, True),
        ({"type": "integer"}, 1.5),
        ({"type": "number"}, False),
        ({"type": ["string", "null"]}, None),
        ({"type": ["integer", "null"]}, 2.0),
        ({"const": 1}, True),
        ({"const": True}, 1),
        ({"const": 1}, 1.0),
        ({"const": [1]}, [True]),
        ({"const": {"a": 0}}, {"a": False}),
        ({"enum": [1, "a"]}, True),
        ({"enum": [False]}, 0),
        ({"enum": [0.0]}, 0),
        ({"enum": ["a"]}, ["a"]),
        ({"uniqueItems": True}, [1, True]),
        ({"uniqueItems": True}, [1, 1.0]),
        ({"uniqueItems": True}, [[1], [True], [1]]),
        ({"uniqueItems": True}, [{"a": 1}, {"a": 1}]),
        ({"uniqueItems": True}, [0, False, None, "", [], {}]),
        ({"minimum": 0}, float("nan")),
        ({"exclusiveMaximum": 0}, float("nan")),
        ({"minLength": 2}, "\ud800\udc00"),
        ({"pattern": "^[0-9a-f]{4}$"}, "abcd\n"),
        ({"pattern": "^\\d$"}, "٣"),
        ({"pattern": "(?i)editorial use"}, "EDITORIAL USE only"),
        ({"format": "date-time"}, "2026-12-06t12:00:00z"),
        ({"format": "date-time"}, "2026-02-30T12:00:00Z"),
        ({"format": "uri"}, "relative/path"),
        ({"format": "unknown-format"}, "anything"),
        ({"additionalProperties": False, "patternProperties": {"^x-": {}}}, {"x-a": 1}),
        ({"additionalProperties": False, "patternProperties": {"^x-": {}}}, {"y": 1}),
        ({"contains": {"const": 1}, "minContains": 2}, [1, True, 1.0]),
        ({"contains": {"const": 1}, "maxContains": 1}, [1, 1]),
        ({"contains": {"const": 1}, "minContains": 0}, []),
        ({"oneOf": [{"type": "integer"}, {"type": "number"}]}, 1),
        ({"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"const": 0}}, "a"),
        ({"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"const": 0}}, 1),
        ({"if": {"type": "string"}, "else": {"const": 0}}, "a"),
        ({"items": False}, []),
        ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"A": 1}),
    ],
)
def test_equality_types_and_patterns_are_judged_as_jsonschema_judges_them(
    schema: dict[str, Any], instance: Any
) -> None:
    # Given a schema and an instance where Python's own notion would differ, the predicate's
    # verdict is jsonschema's
    assert predicted(schema, instance) == verdict(schema, instance)


def test_a_hash_with_a_trailing_newline_is_refused_as_re2_refuses_it() -> None:
    # Given a policy hash followed by a newline, which Python's re would let `$` accept
    cleared = copy.deepcopy(example_copies()[0][0])
    cleared["clearance"]["policy"]["sha256"] += "\n"
    # Then the compiled cleared schema refuses it, as the project's validator does
    checker = checker_for("cleared.schema.json")
    assert checker.valid is not None
    assert checker.valid(cleared) is False
    assert checker.validator.is_valid(cleared) is False


@pytest.mark.parametrize(
    "schema",
    [
        {"multipleOf": 2},
        {"prefixItems": [{}]},
        {"unevaluatedProperties": False},
        {"properties": {"a": {"unevaluatedItems": False}}},
        {"$dynamicRef": "#x"},
        {"pattern": "(a)\\1"},
        {"type": "any"},
        {"properties": []},
        {"minLength": "1"},
        {"properties": {"a": {"$id": "https://elsewhere.example/a"}}},
        {"items": {"$schema": "https://json-schema.org/draft/2020-12/schema"}},
        {"$ref": "https://elsewhere.example/never-fetched.json"},
        {"format": 1},
    ],
)
def test_a_schema_compiles_to_none_where_jsonschema_must_answer(schema: dict[str, Any]) -> None:
    # Given a keyword not compiled, a malformed value, a pattern RE2 refuses, a change of base
    # or dialect, or a reference the registry cannot resolve: the caller keeps jsonschema
    assert compile_predicate(schema, registry=registry(), format_checker=FORMATS) is None


def test_a_reference_into_the_common_schema_is_followed() -> None:
    # Given a schema referring to the shared provider id pattern
    schema = {"$ref": "https://clearance.example/schemas/common.schema.json#/$defs/provider_id"}
    # Then the pattern behind the reference is what is checked
    for instance in ("dpa", "the-conversation", "Bad_Id", "-dpa", 3):
        assert predicted(schema, instance) == verdict(schema, instance)
    assert predicted(schema, "Bad_Id") is False


# Random schemas of every compiled keyword against random instances.

KEYS = ["a", "b", "x-c"]
PATTERNS = ["^a", "b$", "^[0-9]+$", "\\d", "(?i)^X", "^[a-z]{1,2}$", "-"]
TYPES = ["null", "boolean", "integer", "number", "string", "array", "object"]
FORMAT_NAMES = ["date-time", "uri", "uri-reference", "email", "ipv4", "unknown"]
counts = st.integers(0, 3)
numbers = st.integers(-2, 2) | st.sampled_from([0.5, -1.5, 2.0])
instances = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, 1.0, 1.5, -2.0, float("nan"), float("inf")])
    | st.sampled_from(["", "a", "ab", "b", "A1", "12", "x-c", "\n", "2026-12-06T12:00:00Z"])
    | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from([*KEYS, "d", "1"]), inner, max_size=4)
    ),
    max_leaves=8,
)
leaf_keywords = st.one_of(
    st.builds(lambda t: {"type": t}, st.sampled_from(TYPES)),
    st.builds(lambda t: {"type": t}, st.lists(st.sampled_from(TYPES), max_size=3, unique=True)),
    st.builds(lambda v: {"const": v}, instances),
    st.builds(lambda v: {"enum": v}, st.lists(instances, max_size=3)),
    st.builds(lambda n: {"minLength": n}, counts),
    st.builds(lambda n: {"maxLength": n}, counts),
    st.builds(lambda p: {"pattern": p}, st.sampled_from(PATTERNS)),
    st.builds(lambda f: {"format": f}, st.sampled_from(FORMAT_NAMES)),
    st.builds(lambda n: {"minimum": n}, numbers),
    st.builds(lambda n: {"maximum": n}, numbers),
    st.builds(lambda n: {"exclusiveMinimum": n}, numbers),
    st.builds(lambda n: {"exclusiveMaximum": n}, numbers),
    st.builds(lambda n: {"minItems": n}, counts),
    st.builds(lambda n: {"maxItems": n}, counts),
    st.builds(lambda u: {"uniqueItems": u}, st.booleans()),
    st.builds(lambda r: {"required": r}, st.lists(st.sampled_from(KEYS), max_size=2)),
    st.builds(lambda n: {"minProperties": n}, counts),
    st.builds(lambda n: {"maxProperties": n}, counts),
    st.builds(
        lambda d: {"dependentRequired": d},
        st.dictionaries(st.sampled_from(KEYS), st.lists(st.sampled_from(KEYS), max_size=2)),
    ),
)


def composite_keywords(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of(
        st.builds(
            lambda p: {"properties": p}, st.dictionaries(st.sampled_from(KEYS), inner, max_size=2)
        ),
        st.builds(
            lambda p: {"patternProperties": p},
            st.dictionaries(st.sampled_from(PATTERNS), inner, max_size=2),
        ),
        st.builds(lambda a: {"additionalProperties": a}, inner),
        st.builds(
            lambda p, a: {"properties": p, "additionalProperties": a},
            st.dictionaries(st.sampled_from(KEYS), inner, max_size=2),
            inner,
        ),
        st.builds(
            lambda p, a: {"patternProperties": p, "additionalProperties": a},
            st.dictionaries(st.sampled_from(PATTERNS), inner, max_size=2),
            st.booleans() | inner,
        ),
        st.builds(lambda i: {"items": i}, inner),
        st.builds(
            lambda c, low, high: {
                "contains": c,
                **({} if low is None else {"minContains": low}),
                **({} if high is None else {"maxContains": high}),
            },
            inner,
            st.none() | counts,
            st.none() | counts,
        ),
        st.builds(lambda s: {"allOf": s}, st.lists(inner, max_size=3)),
        st.builds(lambda s: {"anyOf": s}, st.lists(inner, max_size=3)),
        st.builds(lambda s: {"oneOf": s}, st.lists(inner, max_size=3)),
        st.builds(lambda s: {"not": s}, inner),
        st.builds(
            lambda c, t, e: {"if": c, **t, **e},
            inner,
            st.just({}) | st.builds(lambda s: {"then": s}, inner),
            st.just({}) | st.builds(lambda s: {"else": s}, inner),
        ),
        st.builds(lambda s: {"propertyNames": s}, inner),
        st.builds(
            lambda d: {"dependentSchemas": d},
            st.dictionaries(st.sampled_from(KEYS), inner, max_size=2),
        ),
    )


def merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    schema: dict[str, Any] = {}
    for part in parts:
        schema.update(part)
    return schema


schemas = st.recursive(
    st.booleans() | st.builds(merged, st.lists(leaf_keywords, max_size=3)),
    lambda inner: st.builds(
        merged,
        st.lists(st.one_of(leaf_keywords, composite_keywords(inner)), min_size=1, max_size=3),
    ),
    max_leaves=6,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas, st.lists(instances, min_size=1, max_size=4))
def test_random_schemas_of_every_compiled_keyword_agree_with_jsonschema(
    schema: Any, batch: list[Any]
) -> None:
    # Given a schema built from the compiled keywords, and instances of every JSON type
    predicate = compile_predicate(schema, registry=registry(), format_checker=FORMATS)
    # Then it compiles, and its verdict on each instance is jsonschema's
    assert predicate is not None
    validator = PolicyValidator(schema, registry=registry(), format_checker=FORMATS)
    for instance in batch:
        assert predicate(instance) == validator.is_valid(instance), (schema, instance)
