"""Strict JSON for untrusted request bodies and files.

Python's `json` is lenient where an untrusted body should not be: it accepts `NaN` and
`Infinity`, keeps the last of duplicate keys without a word, passes lone UTF-16 surrogates
(`"\\ud800"`) into `str` values that then fail to encode far from the cause, converts integers
of any length (slowly, then with a bare `ValueError` past 4300 digits), turns `1e400` into `inf`
and, on deeply nested input, raises `RecursionError`. `parse_json` rejects all of these before
or while parsing, with a single exception type whose `reason` is a stable code and whose message
a client can act on. Everything else parses exactly as `json.loads` would.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from functools import lru_cache
from itertools import accumulate
from typing import Any

__all__ = ["JsonBodyError", "parse_json"]

_BOM = b"\xef\xbb\xbf"
_JSON_WHITESPACE = " \t\n\r"

_STRUCTURE = b'"[]{}'
_ESCAPE_TARGETS = b'\\"/bfnrtu'
_ESCAPE_LETTERS = b"\\/bfnrtu"
_ALL_BUT_STRUCTURE = bytes(sorted(set(range(256)) - set(_STRUCTURE)))
_ALL_BUT_STRUCTURE_AND_ESCAPES = bytes(
    sorted(set(range(256)) - set(_STRUCTURE) - set(_ESCAPE_TARGETS))
)
_OPEN_AS_SQUARE = bytes.maketrans(b"{}", b"[]")
_SIGNED_STEP = bytes.maketrans(b"[]", b"\x01\xff")

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
# A high surrogate escape not followed by a low one, or a low one not preceded by a high one:
# exactly the escapes json.loads leaves unpaired, once escaped backslashes are masked.
_LONE_SURROGATE_ESCAPE = re.compile(
    r"\\u[dD](?:[89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD])[c-fC-F][0-9a-fA-F]{2})"
)


class JsonBodyError(ValueError):
    """Why a body is not acceptable JSON; `reason` is a short stable code, str(e) a sentence a
    client can read."""

    reason: str

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[type[JsonBodyError], tuple[str, str]]:
        return type(self), (self.reason, str(self))


def parse_json(data: bytes | str, *, max_depth: int = 64, max_number_digits: int = 64) -> Any:
    """Parse one JSON document from an untrusted source, or raise JsonBodyError.

    Bytes must be UTF-8 (a leading BOM is skipped). Pass bytes when you have them: a `str` is
    encoded once more for the nesting scan.
    """
    if max_depth < 0 or max_number_digits < 1:
        raise ValueError("max_depth must be >= 0 and max_number_digits >= 1")
    text, raw = _decode(data)
    if not _few_openers(raw, max_depth) and _deeper_than(_structure(raw), max_depth):
        raise JsonBodyError(
            "depth", f"JSON nests arrays and objects more than {max_depth} levels deep"
        )
    try:
        value = _decoder(max_number_digits).decode(text)
    except JsonBodyError:
        raise
    except json.JSONDecodeError as error:
        if not text.strip(_JSON_WHITESPACE):
            raise JsonBodyError("empty", "body is empty; expected a JSON document") from None
        raise JsonBodyError(
            "syntax",
            f"body is not valid JSON: {error.msg}: line {error.lineno} column {error.colno}",
        ) from None
    except RecursionError:
        raise JsonBodyError("depth", "JSON nests arrays and objects too deeply to parse") from None
    except ValueError as error:
        raise JsonBodyError("number", f"number cannot be converted: {error}") from None
    if b"\\" in raw:
        at = _lone_surrogate_escape(text)
        if at >= 0:
            raise JsonBodyError(
                "surrogate",
                f"string has an unpaired UTF-16 surrogate escape {text[at : at + 6]} at "
                f"{_line_column(text, at)}",
            )
    return value


def _decode(data: bytes | str) -> tuple[str, bytes]:
    """The text for json and its UTF-8 bytes for the structure scan, a leading BOM cut off."""
    if isinstance(data, str):
        text = data[1:] if data.startswith("\ufeff") else data
        try:
            return text, text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise JsonBodyError(
                "surrogate",
                f"text has an unpaired UTF-16 surrogate U+{ord(text[error.start]):04X} at "
                f"{_line_column(text, error.start)}",
            ) from None
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError(f"parse_json takes bytes or str, not {type(data).__name__}")
    raw = bytes(data)
    bom = raw.startswith(_BOM)
    if bom:
        raw = raw[len(_BOM) :]
    try:
        return raw.decode("utf-8"), raw
    except UnicodeDecodeError as error:
        offset = error.start + (len(_BOM) if bom else 0)
        whole = bytes(data)
        line = whole.count(b"\n", 0, offset) + 1
        column = offset - whole.rfind(b"\n", 0, offset)
        raise JsonBodyError(
            "encoding",
            f"body is not valid UTF-8: {error.reason} at line {line} byte column {column} "
            f"(byte offset {offset})",
        ) from None


def _few_openers(raw: bytes, limit: int) -> bool:
    """Whether `raw` has at most `limit` of `[` and `{` in all, strings included.

    Typical articles do, and two counts cost far less than the structure scan.
    """
    openers = raw.count(b"{")
    return openers <= limit and openers + raw.count(b"[") <= limit


def _structure(raw: bytes) -> bytes:
    """The brackets of `raw` outside strings, in order.

    Everything runs in bytes.translate/replace/split at C speed. Escapes are kept long enough
    to pair each backslash with its target, so `\\"` and `\\\\` cannot end a string early.
    """
    if b"\\" in raw:
        kept = raw.translate(None, _ALL_BUT_STRUCTURE_AND_ESCAPES).replace(b"\\\\", b"")
        structure = kept.replace(b'\\"', b"").translate(None, _ESCAPE_LETTERS)
    else:
        structure = raw.translate(None, _ALL_BUT_STRUCTURE)
    # Removing two adjacent quotes keeps every bracket on the same side of every string.
    structure = structure.replace(b'""', b"")
    if b'"' in structure:
        structure = b"".join(structure.split(b'"')[::2])
    return structure


def _deeper_than(structure: bytes, limit: int) -> bool:
    """Whether the brackets nest more than `limit` deep, without recursion.

    Stripping innermost `[]` pairs once per level settles ordinary documents in a few C passes;
    chains that shrink slowly fall through to a running sum that stops at the first excess.
    """
    levels = structure.translate(_OPEN_AS_SQUARE)
    if levels.count(b"[") <= limit:
        return False
    rest = levels
    for _ in range(limit):
        shorter = rest.replace(b"[]", b"")
        if not shorter:
            return False
        if len(shorter) * 4 > len(rest) * 3:
            break
        rest = shorter
    steps = memoryview(levels.translate(_SIGNED_STEP)).cast("b")
    return any(map(limit.__lt__, accumulate(steps)))


def _lone_surrogate_escape(text: str) -> int:
    """Index of the first `\\uD800`-`\\uDFFF` escape that json leaves unpaired, or -1."""
    if _SURROGATE_ESCAPE.search(text) is None:
        return -1
    masked = text.replace("\\\\", "\0\0")
    match = _LONE_SURROGATE_ESCAPE.search(masked)
    return -1 if match is None else match.start()


def _line_column(text: str, index: int) -> str:
    """Where an editor shows `text[index]`, a BOM not counted, as json itself reports."""
    line = text.count("\n", 0, index) + 1
    column = index - text.rfind("\n", 0, index)
    return f"line {line} column {column}"


@lru_cache(maxsize=16)
def _decoder(max_number_digits: int) -> json.JSONDecoder:
    """One decoder per digit limit: building one per call costs more than a small parse."""
    return json.JSONDecoder(
        object_pairs_hook=_unique_keys,
        parse_constant=_no_constant,
        parse_int=_int_parser(max_number_digits),
        parse_float=_float_parser(max_number_digits),
    )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonBodyError("duplicate-key", f"object has duplicate key {_quote(key)}")
            seen.add(key)
    return obj


def _no_constant(name: str) -> Any:
    raise JsonBodyError("number", f"{name} is not a JSON number; JSON numbers are finite")


def _int_parser(limit: int) -> Callable[[str], int]:
    def parse_int(literal: str) -> int:
        if len(literal) > limit:
            _check_digits(literal, limit)
        return int(literal)

    return parse_int


def _float_parser(limit: int) -> Callable[[str], float]:
    def parse_float(literal: str) -> float:
        if len(literal) > limit:
            _check_digits(literal, limit)
        value = float(literal)
        if math.isinf(value):
            raise JsonBodyError(
                "number", f"number {_excerpt(literal)} is too large for a double-precision float"
            )
        return value

    return parse_float


def _check_digits(literal: str, limit: int) -> None:
    digits = len(literal) - sum(map(literal.count, "-+.eE"))
    if digits > limit:
        raise JsonBodyError(
            "number",
            f"number {_excerpt(literal)} has {digits} digits; at most {limit} are accepted",
        )


def _excerpt(literal: str) -> str:
    return literal if len(literal) <= 24 else f"{literal[:20]}..."


def _quote(key: str) -> str:
    quoted = json.dumps(key)
    return quoted if len(quoted) <= 80 else f'{quoted[:76]}..."'
