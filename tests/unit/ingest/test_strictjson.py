"""Strict JSON parsing: what json.loads lets through must be rejected, the rest must not change."""

from __future__ import annotations

import json
import pickle
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.ingest.strictjson import JsonBodyError, parse_json
from tests.conftest import needs_samples, sample_paths

pytestmark = pytest.mark.reliability

BOM = b"\xef\xbb\xbf"


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def nested_objects(depth: int) -> str:
    return '{"k": ' * depth + "0" + "}" * depth


GOOD = [
    "{}",
    "[]",
    "0",
    "-0",
    "1.5e3",
    "-2.5E-3",
    "1e308",
    "1e-400",
    "null",
    "true",
    '"text"',
    ' \t\r\n{"a": [1, 2.0, {"b": null}], "c": "d"}\n ',
    '[{"a": 1}, {"a": 2}]',
    '{"a": 1, "A": 1}',
    '"caf\u00e9 \u2014 \U0001f600"',
    '"caf\\u00e9 \\u2014"',
    '"\\ud83d\\ude00"',
    '{"\\ud83d\\ude00": "\\uD83D\\uDE00"}',
    '"\\\\ud800"',
    '"\\\\\\ud83d\\ude00"',
    '"\\\\\\\\ud800"',
    '["]]]]]", "[[[[[", "{{{{{"]',
    '["\\"[[[[[[", "\\\\", "]]"]',
    '"\\"\\\\\\/\\b\\f\\n\\r\\t"',
    "9" * 64,
    "-" + "9" * 64,
    "0." + "0" * 62 + "1",
    nested(64),
    "[" * 32 + "{}" + "]" * 32,
    nested_objects(64),
    '["' + "[" * 1000 + '"]',
    '["\\\\", ' + nested(63) + "]",
]


@pytest.mark.parametrize("body", GOOD)
def test_valid_json_parses_exactly_as_json_loads(body: str) -> None:
    # Given a valid JSON body, and what json.loads reads from it
    expected = repr(json.loads(body))
    # When it is parsed as text and as bytes, then it reads exactly the same
    assert repr(parse_json(body)) == expected
    assert repr(parse_json(body.encode())) == expected


@pytest.mark.parametrize("body", [BOM + b'{"a": 1}', '\ufeff{"a": 1}'])
def test_utf8_bom_is_skipped(body: bytes | str) -> None:
    # Given a JSON body that begins with a UTF-8 byte order mark, as bytes or as text
    # When it is parsed, then the mark is skipped and the object read
    assert parse_json(body) == {"a": 1}


def test_bytearray_and_memoryview_are_read_as_bytes() -> None:
    # Given a JSON body in a bytearray or in a memoryview
    # When it is parsed, then it is read as bytes would be
    assert parse_json(bytearray(b"[1]")) == [1]  # type: ignore[arg-type]
    assert parse_json(memoryview(b"[1]")) == [1]  # type: ignore[arg-type]


BAD: list[tuple[bytes | str, str, str]] = [
    (b"\xff{}", "encoding", "not valid UTF-8: invalid start byte at line 1 byte column 1"),
    (b'{"a":\n "\xc3\x28"}', "encoding", "invalid continuation byte at line 2 byte column 3"),
    (BOM + b'"\xed\xa0\x80"', "encoding", "byte offset 4"),
    (b"\x00\x00\x00[", "syntax", "Expecting value"),
    (b"", "empty", "empty"),
    ("", "empty", "empty"),
    (b" \t\r\n ", "empty", "empty"),
    (BOM, "empty", "empty"),
    (b'{"a": 1,}', "syntax", "Expecting property name enclosed in double quotes: line 1 column 9"),
    (b'{\n  "a": 1,\n  "b": ]\n}', "syntax", "Expecting value: line 3 column 8"),
    (BOM + b"[1, 2", "syntax", "Expecting ',' delimiter: line 1 column 6"),
    ("\ufeff[1,\n\ud800]", "surrogate", "U+D800 at line 2 column 1"),
    (b'{"a": 1} {"b": 2}', "syntax", "Extra data: line 1 column 10"),
    (b"[1] x", "syntax", "Extra data"),
    (b"'single'", "syntax", "Expecting value"),
    (b'"unterminated', "syntax", "Unterminated string"),
    (b'"tab\there"', "syntax", "Invalid control character"),
    (b'["\\x"]', "syntax", "Invalid \\escape"),
    (b'"\\u12"', "syntax", "Invalid \\uXXXX escape"),
    (b"\x0b1", "syntax", "Expecting value"),
    (b"NaN", "number", "NaN is not a JSON number"),
    (b"[Infinity]", "number", "Infinity is not a JSON number"),
    (b'{"x": -Infinity}', "number", "-Infinity is not a JSON number"),
    (b"1" * 65, "number", "has 65 digits; at most 64"),
    (b"-" + b"9" * 65, "number", "has 65 digits"),
    (b"[" + b"1" * 5000 + b"]", "number", "has 5000 digits"),
    (b"0." + b"0" * 70 + b"1", "number", "has 72 digits"),
    (b"12345678901234567890.1234567890123456789012345678901234567890e12345", "number", "digits"),
    (b"1e400", "number", "1e400 is too large"),
    (b"[-1.8e308]", "number", "too large"),
    (b'{"a": 1, "a": 2}', "duplicate-key", 'duplicate key "a"'),
    (b'[{"x": {"k": 1, "k": 1}}]', "duplicate-key", 'duplicate key "k"'),
    (b'{"\\u0061": 1, "a": 2}', "duplicate-key", 'duplicate key "a"'),
    (b'{"\\ud83d\\ude00": 1, "\\ud83d\\ude00": 2}', "duplicate-key", 'key "\\ud83d\\ude00"'),
    (b'"\\ud800"', "surrogate", "unpaired UTF-16 surrogate escape \\ud800 at line 1 column 2"),
    (b'{"\\uDC00": 1}', "surrogate", "surrogate escape \\uDC00 at line 1 column 3"),
    (b'["ok",\n "x\\ud83d"]', "surrogate", "\\ud83d at line 2 column 4"),
    (b'"\\ud83d\\ud83d\\ude00"', "surrogate", "\\ud83d at line 1 column 2"),
    (b'"\\ude00\\ud83d"', "surrogate", "\\ude00"),
    (b'"\\ud800\\\\udc00"', "surrogate", "\\ud800"),
    (b'"\\\\\\ud800"', "surrogate", "\\ud800 at line 1 column 4"),
    (b'"\\\\uD800\\uDC00"', "surrogate", "\\uDC00 at line 1 column 9"),
    ('"\ud800"', "surrogate", "unpaired UTF-16 surrogate U+D800 at line 1 column 2"),
    ('{"a": "\udfff"}', "surrogate", "U+DFFF"),
    (nested(65), "depth", "more than 64 levels deep"),
    (nested_objects(65), "depth", "more than 64 levels deep"),
    ("[" * 100_000, "depth", "more than 64 levels"),
    ('["\\\\", ' + nested(64) + "]", "depth", "64 levels"),
    ('["\\"]", ' + nested(64) + "]", "depth", "64 levels"),
]


@pytest.mark.parametrize(("body", "reason", "named"), BAD, ids=lambda v: repr(v)[:40])
def test_bad_body_is_rejected_with_reason_and_message(
    body: bytes | str, reason: str, named: str
) -> None:
    # Given a body that is not strict JSON: bad encoding, empty, bad syntax, NaN,
    # too many digits, a duplicate key, a lone surrogate, or nesting too deep
    # When it is parsed, then it is rejected
    with pytest.raises(JsonBodyError) as caught:
        parse_json(body)
    # And the error gives the reason, and a message saying what was wrong and where
    assert caught.value.reason == reason
    assert named in str(caught.value)


def test_duplicate_key_is_rejected_naming_the_key() -> None:
    # Given an object that gives its "licence" twice
    # When it is parsed, then it is rejected, naming the key
    with pytest.raises(JsonBodyError, match='duplicate key "licence"') as caught:
        parse_json(b'{"meta": {"licence": "a", "x": 1, "licence": "b"}}')
    # And the reason is a duplicate key
    assert caught.value.reason == "duplicate-key"


def test_long_duplicate_key_is_shortened_in_the_message() -> None:
    # Given an object that gives a 10,000-character key twice
    key = "k" * 10_000
    # When it is parsed
    with pytest.raises(JsonBodyError) as caught:
        parse_json(json.dumps({key: 1}).replace("}", f', "{key}": 2}}'))
    # Then it is rejected as a duplicate key
    assert caught.value.reason == "duplicate-key"
    # And the message stays short
    assert len(str(caught.value)) < 120


@pytest.mark.parametrize("limit", [0, 1, 2, 7])
def test_depth_limit_allows_exactly_max_depth_levels(limit: int) -> None:
    # Given a depth limit, and arrays and objects nested exactly that deep (none at zero)
    allowed = [nested(limit), nested_objects(limit)] if limit else ["1", '"[{"']
    # When they are parsed, then they read as json.loads reads them
    for body in allowed:
        assert parse_json(body, max_depth=limit) == json.loads(body)
    # And one level deeper is rejected as too deep
    for body in (nested(limit + 1), nested_objects(limit + 1)):
        with pytest.raises(JsonBodyError) as caught:
            parse_json(body, max_depth=limit)
        assert caught.value.reason == "depth"


def test_brackets_inside_strings_do_not_count_towards_depth() -> None:
    # Given strings full of brackets, quotes and backslashes, two levels deep
    body = json.dumps(["[" * 500, '"{' * 500, "\\" * 9, "]" * 500, {"k": "[[[\\"}])
    # When it is parsed with a depth limit of two, then it reads as json.loads reads it
    assert parse_json(body, max_depth=2) == json.loads(body)


def test_hundred_thousand_deep_nesting_is_rejected_fast_without_recursion_error() -> None:
    # Given arrays and objects nested 100,000 levels deep, closed or not
    for body in (b"[" * 100_000, nested(100_000).encode(), (nested_objects(100_000)).encode()):
        # When each is parsed
        started = time.perf_counter()
        with pytest.raises(JsonBodyError) as caught:
            parse_json(body)
        # Then it is rejected as too deep, not with a recursion error
        assert caught.value.reason == "depth"
        # And within half a second
        assert time.perf_counter() - started < 0.5


def test_nesting_beyond_the_interpreter_stack_is_still_a_depth_error() -> None:
    # Given arrays nested 100,000 deep, under a depth limit far above that
    # When the body is parsed
    with pytest.raises(JsonBodyError) as caught:
        parse_json(nested(100_000), max_depth=1_000_000)
    # Then it is still rejected as too deep, not a crash of the interpreter
    assert caught.value.reason == "depth"
    # And the message says it is nested too deeply
    assert "too deeply" in str(caught.value)


def test_number_beyond_pythons_own_digit_limit_is_a_number_error() -> None:
    # Given a 5,000-digit number, past Python's own limit, under a digit limit above it
    # When it is parsed
    with pytest.raises(JsonBodyError) as caught:
        parse_json(b"1" * 5000, max_number_digits=10_000)
    # Then it is rejected as a number error
    assert caught.value.reason == "number"


def test_digit_limit_is_configurable() -> None:
    # Given digit limits of five and of three
    # When numbers with exactly that many digits are parsed, then they are read
    assert parse_json(b"12345", max_number_digits=5) == 12345
    assert parse_json(b"-1.25", max_number_digits=3) == -1.25
    # And numbers with one digit more are rejected, saying how many digits they have
    with pytest.raises(JsonBodyError, match="6 digits"):
        parse_json(b"123456", max_number_digits=5)
    with pytest.raises(JsonBodyError, match="4 digits"):
        parse_json(b"1.125", max_number_digits=3)


def test_error_is_a_value_error_that_survives_pickling() -> None:
    # Given a body of NaN, rejected as a ValueError
    with pytest.raises(ValueError, match="NaN") as caught:
        parse_json(b"NaN")
    # When the error is pickled and read back
    copy = pickle.loads(pickle.dumps(caught.value))  # noqa: S301
    # Then it is the same error, with its reason and message
    assert isinstance(copy, JsonBodyError)
    assert (copy.reason, str(copy)) == ("number", str(caught.value))


def test_nonsense_limits_and_types_are_programming_errors() -> None:
    # Given a negative depth limit, a zero digit limit, or a body neither bytes nor str
    # When parse_json is called with one, then it refuses it as a programming error
    with pytest.raises(ValueError, match="max_depth"):
        parse_json(b"1", max_depth=-1)
    with pytest.raises(ValueError, match="max_number_digits"):
        parse_json(b"1", max_number_digits=0)
    with pytest.raises(TypeError, match="bytes or str"):
        parse_json(1)  # type: ignore[arg-type]


@needs_samples
@pytest.mark.samples
@pytest.mark.parametrize(
    "path", sample_paths("ninjs/[0-9]*/*.json"), ids=lambda p: f"{p.parent.name}/{p.name}"
)
def test_shared_ninjs_samples_parse_as_json_loads(path: Path) -> None:
    # Given a shared ninjs sample
    data = path.read_bytes()
    # When it is parsed, then it reads as json.loads reads it
    assert parse_json(data) == json.loads(data)


surrogate_free_text = st.text(st.characters(exclude_categories=["Cs"]))
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**63), max_value=10**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | surrogate_free_text
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(surrogate_free_text, children, max_size=4)
    ),
    max_leaves=24,
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, ensure_ascii=st.booleans(), indent=st.sampled_from([None, 0, 2]))
def test_any_dumped_json_value_round_trips_as_json_loads(
    value: Any, ensure_ascii: bool, indent: int | None
) -> None:
    # Given any JSON value, dumped with or without ASCII escapes and indentation
    body = json.dumps(value, ensure_ascii=ensure_ascii, indent=indent)
    expected = json.loads(body)
    # When it is parsed as text and as bytes, then it reads as json.loads reads it
    assert parse_json(body) == expected
    assert parse_json(body.encode()) == expected


REASONS = {"encoding", "empty", "syntax", "number", "duplicate-key", "surrogate", "depth"}
json_ish = st.text(alphabet='[]{}",:\\ 0123456789.eE+-nultrfaNIyid\ud800\n', max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=80) | json_ish | json_ish.map(lambda s: s.encode("utf-8", "replace"))
)
def test_arbitrary_input_only_ever_raises_json_body_error(body: bytes | str) -> None:
    # Given arbitrary bytes, or text made of JSON's own characters
    # When it is parsed with a depth limit of four
    try:
        value = parse_json(body, max_depth=4)
    except JsonBodyError as error:
        reason, message = error.reason, str(error)
    else:
        # Then either it reads as json.loads reads it
        assert value == json.loads(body)
        return
    # Or it is rejected with one of the known reasons and a message, never another error
    assert reason in REASONS
    assert message
