"""Keep licence-policy regular expressions from hanging on hostile article bodies.

Provider licence policies are JSON Schema documents written by engineers and evaluated against
untrusted article bodies of up to ~2 MB. jsonschema evaluates `pattern` and `patternProperties`
with Python's backtracking `re`, which has no timeout, so one nested quantifier such as `^(a+)+$`
lets a crafted body pin a worker for hours.

There are two defences here. `find_unsafe_patterns` lints a policy before it governs anything:
each regex must compile under RE2 (which guarantees matching in linear time) and under `re`, and
must not have the shape that makes backtracking engines blow up, so the policy stays safe wherever
else it is evaluated. `PolicyValidator` is `Draft202012Validator` with every regex evaluated by
RE2, so even a policy that skipped the lint cannot hang.

RE2 follows ECMA-262 (the dialect JSON Schema specifies) more closely than `re` does: `\\d` and
`\\w` are ASCII-only and `$` does not match before a trailing newline.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeAlias

import jsonschema.validators  # type: ignore[import-untyped, unused-ignore]
import re2

if TYPE_CHECKING:
    import sre_constants as _constants
    import sre_parse as _parser
else:
    from re import _constants, _parser

__all__ = ["PolicyValidator", "UnsafePattern", "UnsupportedPatternError", "find_unsafe_patterns"]


@dataclass(frozen=True)
class UnsafePattern:
    """A policy regex that could stall validation, located so the engineer can fix it."""

    pointer: str
    pattern: str
    reason: str


class UnsupportedPatternError(ValueError):
    """RE2 rejects the regex; falling back to `re` would reopen the door to hangs."""

    def __init__(self, pattern: str, reason: str) -> None:
        super().__init__(f"{pattern!r}: {reason}")
        self.pattern = pattern
        self.reason = reason


# Values of these keywords are instance data, so a `pattern` key inside them is not a regex.
_DATA_KEYWORDS: Final = frozenset({"const", "default", "enum", "examples"})
# Values of these keywords map names (or regexes) to subschemas; the names are not keywords.
_SUBSCHEMA_MAP_KEYWORDS: Final = frozenset(
    {"$defs", "definitions", "dependencies", "dependentSchemas", "patternProperties", "properties"}
)


def find_unsafe_patterns(schema: object, base_pointer: str = "") -> list[UnsafePattern]:
    """Every regex in the schema that RE2 or `re` rejects or that could backtrack exponentially.

    Anything under a keyword this walk does not know is treated as a possible subschema, because
    `$ref` can point anywhere in the document.
    """
    return list(_walk_schema(schema, base_pointer))


def _walk_schema(schema: object, pointer: str) -> Iterator[UnsafePattern]:
    if isinstance(schema, list):
        for index, item in enumerate(schema):
            yield from _walk_schema(item, f"{pointer}/{index}")
        return
    if not isinstance(schema, dict):
        return
    for keyword, value in schema.items():
        here = f"{pointer}/{_escape_pointer(str(keyword))}"
        if keyword == "pattern":
            if isinstance(value, str):
                yield from _report(here, value)
        elif keyword in _DATA_KEYWORDS:
            continue
        elif keyword in _SUBSCHEMA_MAP_KEYWORDS and isinstance(value, dict):
            for name, subschema in value.items():
                at = f"{here}/{_escape_pointer(str(name))}"
                if keyword == "patternProperties" and isinstance(name, str):
                    yield from _report(at, name)
                yield from _walk_schema(subschema, at)
        else:
            yield from _walk_schema(value, here)


def _escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _report(pointer: str, pattern: str) -> Iterator[UnsafePattern]:
    problems = _pattern_problems(pattern)
    if problems:
        yield UnsafePattern(pointer=pointer, pattern=pattern, reason="; ".join(problems))


@functools.lru_cache(maxsize=1024)
def _pattern_problems(pattern: str) -> tuple[str, ...]:
    problems: list[str] = []
    parses = True
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as error:
        problems.append(f"Python's re cannot compile it ({error})")
        parses = False
    try:
        _compile_re2(pattern)
    except UnsupportedPatternError as error:
        problems.append(error.reason)
    if parses:
        problems.extend(_backtracking_problems(pattern))
    return tuple(problems)


# --- RE2 evaluation ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _compile_re2(pattern: str) -> Any:
    """Compile once per pattern, so building a validator per article costs nothing extra."""
    options = re2.Options()
    options.log_errors = False
    try:
        # Bytes in and out: the str API cannot encode the lone surrogates JSON allows in bodies.
        return re2.compile(pattern.encode("utf-8", "surrogatepass"), options)
    except re2.error as error:
        detail = error.args[0] if error.args else error
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        raise UnsupportedPatternError(
            pattern,
            f"RE2 cannot compile it ({detail}); policies must stay within RE2 syntax (no "
            "backreferences, lookaround, atomic groups or possessive quantifiers) because RE2 is "
            "what guarantees matching in linear time",
        ) from None


def _search(pattern: str, text: str) -> bool:
    """Unanchored search, as JSON Schema defines `pattern`, in time linear in the text."""
    return _compile_re2(pattern).search(text.encode("utf-8", "surrogatepass")) is not None


# The keyword functions mirror jsonschema's own (jsonschema/_keywords.py and _utils.py) line for
# line, so errors are identical; only the regex engine differs. `additionalProperties` and
# `unevaluatedProperties` are here too because upstream they also run `patternProperties` with `re`.


def _pattern(validator: Any, patrn: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    if validator.is_type(instance, "string") and not _search(patrn, instance):
        yield jsonschema.ValidationError(f"{instance!r} does not match {patrn!r}")


def _pattern_properties(
    validator: Any, pattern_properties: Mapping[str, Any], instance: Any, schema: Mapping[str, Any]
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return

    for pattern, subschema in pattern_properties.items():
        for k, v in instance.items():
            if _search(pattern, k):
                yield from validator.descend(v, subschema, path=k, schema_path=pattern)


def _find_additional_properties(instance: Any, schema: Mapping[str, Any]) -> Iterator[Any]:
    properties = schema.get("properties", {})
    patterns = schema.get("patternProperties", {})
    for property in instance:
        if property not in properties and not any(_search(each, property) for each in patterns):
            yield property


def _extras_msg(extras: Sequence[Any]) -> tuple[str, str]:
    verb = "was" if len(extras) == 1 else "were"
    return ", ".join(repr(extra) for extra in extras), verb


def _additional_properties(
    validator: Any, additional: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return

    extras = set(_find_additional_properties(instance, schema))

    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif not additional and extras:
        if "patternProperties" in schema:
            verb = "does" if len(extras) == 1 else "do"
            joined = ", ".join(repr(each) for each in sorted(extras))
            patterns = ", ".join(repr(each) for each in sorted(schema["patternProperties"]))
            error = f"{joined} {verb} not match any of the regexes: {patterns}"
            yield jsonschema.ValidationError(error)
        else:
            error = "Additional properties are not allowed (%s %s unexpected)"
            yield jsonschema.ValidationError(error % _extras_msg(sorted(extras, key=str)))


def _is_valid(errors: Iterator[Any]) -> bool:
    return next(errors, None) is None


def _evaluated_property_keys(validator: Any, instance: Any, schema: Any) -> list[Any]:
    if validator.is_type(schema, "boolean"):
        return []
    evaluated_keys: list[Any] = []

    for reference in ("$ref", "$dynamicRef"):
        ref = schema.get(reference)
        if ref is not None:
            resolved = validator._resolver.lookup(ref)
            evaluated_keys.extend(
                _evaluated_property_keys(
                    validator.evolve(schema=resolved.contents, _resolver=resolved.resolver),
                    instance,
                    resolved.contents,
                )
            )

    properties = schema.get("properties")
    if validator.is_type(properties, "object"):
        evaluated_keys += properties.keys() & instance.keys()

    for keyword in ["additionalProperties", "unevaluatedProperties"]:
        if (subschema := schema.get(keyword)) is None:
            continue
        evaluated_keys += (
            key for key, value in instance.items() if _is_valid(validator.descend(value, subschema))
        )

    if "patternProperties" in schema:
        for property in instance:
            for pattern in schema["patternProperties"]:
                if _search(pattern, property):
                    evaluated_keys.append(property)

    if "dependentSchemas" in schema:
        for property, subschema in schema["dependentSchemas"].items():
            if property not in instance:
                continue
            evaluated_keys += _evaluated_property_keys(validator, instance, subschema)

    for keyword in ["allOf", "oneOf", "anyOf"]:
        for subschema in schema.get(keyword, []):
            if not _is_valid(validator.descend(instance, subschema)):
                continue
            evaluated_keys += _evaluated_property_keys(validator, instance, subschema)

    if "if" in schema:
        if validator.evolve(schema=schema["if"]).is_valid(instance):
            evaluated_keys += _evaluated_property_keys(validator, instance, schema["if"])
            if "then" in schema:
                evaluated_keys += _evaluated_property_keys(validator, instance, schema["then"])
        elif "else" in schema:
            evaluated_keys += _evaluated_property_keys(validator, instance, schema["else"])

    return evaluated_keys


def _unevaluated_properties(
    validator: Any, unevaluated: Any, instance: Any, schema: Mapping[str, Any]
) -> Iterator[Any]:
    if not validator.is_type(instance, "object"):
        return
    evaluated_keys = _evaluated_property_keys(validator, instance, schema)
    unevaluated_keys = []
    for property in instance:
        if property not in evaluated_keys:
            for _ in validator.descend(
                instance[property],
                unevaluated,
                path=property,
                schema_path=property,
            ):
                unevaluated_keys.append(property)

    if unevaluated_keys:
        if unevaluated is False:
            error = "Unevaluated properties are not allowed (%s %s unexpected)"
            extras = sorted(unevaluated_keys, key=str)
            yield jsonschema.ValidationError(error % _extras_msg(extras))
        else:
            error = (
                "Unevaluated properties are not valid under "
                "the given schema (%s %s unevaluated and invalid)"
            )
            yield jsonschema.ValidationError(error % _extras_msg(unevaluated_keys))


PolicyValidator: Any = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft202012Validator,
    {
        "additionalProperties": _additional_properties,
        "pattern": _pattern,
        "patternProperties": _pattern_properties,
        "unevaluatedProperties": _unevaluated_properties,
    },
    format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
)
"""Draft 2020-12 with RE2 regexes: a policy cannot hang on a hostile body, linted or not.

Raises `UnsupportedPatternError` when it meets a regex RE2 cannot compile.
"""


# --- Static analysis for catastrophic backtracking ----------------------------------------------
#
# The regex is parsed with `re`'s own parser into a small tree, then two shapes are looked for
# inside every repetition that can run more than once: a variable-length piece whose characters
# the next piece of the repetition could also take (`(a+)+`, `(\w+\s?)*`), and alternatives that
# can match the same text (`(a|a)*`, `(\w|\d)+`). Either lets a backtracking engine try
# exponentially many ways to split a string that ultimately fails. Character sets are compared
# over a sample alphabet: the first 0x250 code points, a spread of non-Latin letters, digits and
# spaces, and every character the pattern itself names.

_UNBOUNDED: Final = int(_constants.MAXREPEAT)

_CharSet: TypeAlias = frozenset[str]
_NOTHING: Final[_CharSet] = frozenset()

_BASE_ALPHABET: Final[_CharSet] = frozenset(map(chr, range(0x250))) | frozenset(
    "\u0660\u0663\u06f0\u0966\u0e50\uff10\u2160"
    "\u1680\u2000\u2007\u200a\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
    "\u0391\u03b1\u0410\u0430\u05d0\u0627\u0905\u3042\u4e2d\uac00\u212a\u1e9e"
    "\u2013\u2014\u2018\u2019\u201c\u201d\u2026\u20ac\ue000\ufffd\U00010400\U0001f600"
)

# `|` is rewritten with a distinct empty marker on each side before parsing, because `re`'s parser
# turns `\w|\d` into the class `[\w\d]` and `a|ab` into `a(?:|b)`. Those rewrites hide from the
# analysis exactly the overlap that makes other engines (and the regex as written) backtrack.
_MARKER_FIRST: Final = 0xF0000
_MARKER_LAST: Final = 0xFFFFD

_CATEGORY_TEXT: Final[Mapping[object, str]] = {
    _constants.CATEGORY_DIGIT: r"\d",
    _constants.CATEGORY_NOT_DIGIT: r"\D",
    _constants.CATEGORY_SPACE: r"\s",
    _constants.CATEGORY_NOT_SPACE: r"\S",
    _constants.CATEGORY_WORD: r"\w",
    _constants.CATEGORY_NOT_WORD: r"\W",
}
_AT_TEXT: Final[Mapping[object, str]] = {
    _constants.AT_BEGINNING: "^",
    _constants.AT_BEGINNING_STRING: r"\A",
    _constants.AT_END: "$",
    _constants.AT_END_STRING: r"\Z",
    _constants.AT_BOUNDARY: r"\b",
    _constants.AT_NON_BOUNDARY: r"\B",
}
_FLAG_LETTERS: Final = (
    (re.ASCII, "a"),
    (re.IGNORECASE, "i"),
    (re.LOCALE, "L"),
    (re.MULTILINE, "m"),
    (re.DOTALL, "s"),
    (re.UNICODE, "u"),
    (re.VERBOSE, "x"),
)
_REPEATS: Final = frozenset(
    {_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT}
)
_SINGLE_CHARACTER: Final = frozenset(
    {_constants.LITERAL, _constants.NOT_LITERAL, _constants.ANY, _constants.IN}
)


@dataclass(eq=False)
class _Atom:
    """Exactly one character, drawn from `chars`."""

    chars: _CharSet
    text: str


@dataclass(eq=False)
class _Empty:
    """Matches without consuming: anchors, and the markers placed around `|`."""

    text: str


@dataclass(eq=False)
class _Opaque:
    """Consumes text the analysis cannot see into (a backreference): assume anything."""

    text: str


@dataclass(eq=False)
class _Group:
    items: tuple[_Node, ...]
    opener: str
    zero_width: bool = False


@dataclass(eq=False)
class _Branch:
    alternatives: tuple[tuple[_Node, ...], ...]
    opener: str
    is_choice: bool


@dataclass(eq=False)
class _Repeat:
    low: int
    high: int
    body: tuple[_Node, ...]
    suffix: str


_Node: TypeAlias = _Atom | _Empty | _Opaque | _Group | _Branch | _Repeat


def _backtracking_problems(pattern: str) -> list[str]:
    try:
        parsed = _parse_for_analysis(pattern)
        analysis = _Analysis(parsed)
        analysis.scan(analysis.root, _NOTHING, None)
    except RecursionError:
        return ["it is nested too deeply to check for catastrophic backtracking"]
    return list(dict.fromkeys(analysis.problems))


def _parse_for_analysis(pattern: str) -> _parser.SubPattern:
    marked = _mark_alternatives(pattern)
    if marked != pattern:
        try:
            return _parser.parse(marked)
        except re.error:
            pass
    return _parser.parse(pattern)


def _marker(index: int) -> str:
    return f"(?:\\U{_MARKER_FIRST + index:08x}){{0}}"


def _mark_alternatives(pattern: str) -> str:
    out: list[str] = []
    markers = 0
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            end = index + 1
            end += pattern.startswith("^", end)
            end += pattern.startswith("]", end)
            out.append(pattern[index:end])
            index = end
            in_class = True
            continue
        elif pattern.startswith("(?#", index):
            end = index + 3
            while end < len(pattern) and pattern[end] != ")":
                end += 2 if pattern[end] == "\\" else 1
            out.append(pattern[index : end + 1])
            index = end + 1
            continue
        elif char == "|":
            if _MARKER_FIRST + markers + 1 > _MARKER_LAST:
                return pattern
            out.append(f"{_marker(markers)}|{_marker(markers + 1)}")
            markers += 2
            index += 1
            continue
        out.append(char)
        index += 1
    return "".join(out)


def _is_marker(op: object, av: Any) -> bool:
    if op not in _REPEATS or av[1] != 0 or len(av[2].data) != 1:
        return False
    inner_op, inner_av = av[2].data[0]
    return bool(inner_op == _constants.LITERAL and _MARKER_FIRST <= inner_av <= _MARKER_LAST)


class _Analysis:
    """One regex's tree, with the shapes found so far."""

    def __init__(self, parsed: _parser.SubPattern) -> None:
        self._group_names = {number: name for name, number in parsed.state.groupdict.items()}
        self._alphabet = _BASE_ALPHABET | _named_characters(parsed.data)
        self._first: dict[int, _CharSet] = {}
        self._nullable: dict[int, bool] = {}
        self.problems: list[str] = []
        self.root = self._convert(parsed.data, parsed.state.flags)

    # Building the tree.

    def _convert(self, data: Sequence[Any], flags: int) -> tuple[_Node, ...]:
        return tuple(self._convert_one(op, av, flags) for op, av in data)

    def _convert_one(self, op: object, av: Any, flags: int) -> _Node:
        if op in _SINGLE_CHARACTER:
            return _Atom(_atom_chars(op, _hashable(av), flags, self._alphabet), _atom_text(op, av))
        if op == _constants.AT:
            return _Empty(_AT_TEXT.get(av, ""))
        if op == _constants.SUBPATTERN:
            group, add_flags, del_flags, body = av
            inner = (flags | add_flags) & ~del_flags
            return _Group(
                self._convert(body.data, inner), self._opener(group, add_flags, del_flags)
            )
        if op in (_constants.ASSERT, _constants.ASSERT_NOT):
            direction, body = av
            look = "=" if op == _constants.ASSERT else "!"
            opener = f"(?{look}" if direction == 1 else f"(?<{look}"
            return _Group(self._convert(body.data, flags), opener, zero_width=True)
        if op == _constants.ATOMIC_GROUP:
            return _Group(self._convert(av.data, flags), "(?>")
        if op == _constants.BRANCH:
            alternatives = tuple(self._convert(each.data, flags) for each in av[1])
            return _Branch(alternatives, "", is_choice=True)
        if op == _constants.GROUPREF_EXISTS:
            group, yes, no = av
            branches = (yes,) if no is None else (yes, no)
            alternatives = tuple(self._convert(each.data, flags) for each in branches)
            name = self._group_names.get(group, str(group))
            return _Branch(alternatives, f"(?({name})", is_choice=False)
        if op in _REPEATS:
            if _is_marker(op, av):
                return _Empty("")
            low, high, body = av
            return _Repeat(low, high, self._convert(body.data, flags), _suffix(op, low, high))
        if op == _constants.GROUPREF:
            ref_name = self._group_names.get(av)
            return _Opaque(f"(?P={ref_name})" if ref_name else f"\\{av}")
        return _Opaque("…")

    def _opener(self, group: int | None, add_flags: int, del_flags: int) -> str:
        if group is not None:
            name = self._group_names.get(group)
            return f"(?P<{name}>" if name else "("
        added = "".join(letter for flag, letter in _FLAG_LETTERS if add_flags & flag)
        removed = "".join(letter for flag, letter in _FLAG_LETTERS if del_flags & flag)
        return f"(?{added}-{removed}:" if removed else f"(?{added}:"

    # What a piece can match.

    def first(self, items: Sequence[_Node]) -> _CharSet:
        """Characters a match of `items` can start with."""
        chars: _CharSet = _NOTHING
        for node in items:
            chars |= self._first_of(node)
            if not self._nullable_one(node):
                break
        return chars

    def _first_of(self, node: _Node) -> _CharSet:
        key = id(node)
        if key not in self._first:
            self._first[key] = self._compute_first(node)
        return self._first[key]

    def _compute_first(self, node: _Node) -> _CharSet:
        match node:
            case _Atom(chars=chars):
                return chars
            case _Opaque():
                return self._alphabet
            case _Group(zero_width=False, items=items):
                return self.first(items)
            case _Branch(alternatives=alternatives):
                return _NOTHING.union(*(self.first(each) for each in alternatives))
            case _Repeat(high=high, body=body) if high > 0:
                return self.first(body)
        return _NOTHING

    def nullable(self, items: Sequence[_Node]) -> bool:
        """Whether `items` can match the empty string."""
        return all(self._nullable_one(node) for node in items)

    def _nullable_one(self, node: _Node) -> bool:
        key = id(node)
        if key not in self._nullable:
            self._nullable[key] = self._compute_nullable(node)
        return self._nullable[key]

    def _compute_nullable(self, node: _Node) -> bool:
        match node:
            case _Atom():
                return False
            case _Group(zero_width=False, items=items):
                return self.nullable(items)
            case _Branch(alternatives=alternatives):
                return any(self.nullable(each) for each in alternatives)
            case _Repeat(low=low, high=high, body=body) if high > 0 and low > 0:
                return self.nullable(body)
        return True

    # The search.

    def scan(self, items: Sequence[_Node], after: _CharSet, loop: _Repeat | None) -> None:
        """Check `items`; `after` is what can follow them within the innermost repetition."""
        follows: list[_CharSet] = []
        follow = after
        for node in reversed(items):
            follows.append(follow)
            follow = self._first_of(node) | (follow if self._nullable_one(node) else _NOTHING)
        for node, node_after in zip(items, reversed(follows), strict=True):
            self._visit(node, node_after, loop)

    def _visit(self, node: _Node, after: _CharSet, loop: _Repeat | None) -> None:
        match node:
            case _Group():
                self.scan(node.items, _NOTHING if node.zero_width else after, loop)
            case _Branch():
                if loop is not None and node.is_choice:
                    self._check_alternatives(node, loop)
                for alternative in node.alternatives:
                    self.scan(alternative, after, loop)
            case _Repeat() if node.high > 0:
                self._check_repeat(node, after, loop)
                if node.high > 1:
                    inside = self.first(node.body) | (after if loop is not None else _NOTHING)
                    self.scan(node.body, inside, node)
                else:
                    self.scan(node.body, after, loop)

    def _check_repeat(self, node: _Repeat, after: _CharSet, loop: _Repeat | None) -> None:
        if loop is None or node.low == node.high or not self.first(node.body) & after:
            return
        self.problems.append(
            f"nested quantifier: {_shorten(_render_node(loop))} can backtrack exponentially, "
            f"because {_shorten(_render_node(node))} inside it competes with what follows it "
            "for the same characters"
        )

    def _check_alternatives(self, node: _Branch, loop: _Repeat) -> None:
        alternatives = node.alternatives
        for index, left in enumerate(alternatives):
            for right in alternatives[index + 1 :]:
                if self._may_overlap(left, right):
                    self.problems.append(
                        f"overlapping alternatives: {_shorten(_render_node(loop))} can backtrack "
                        f"exponentially, because its alternatives {_describe(left)} and "
                        f"{_describe(right)} can match the same text"
                    )
                    return

    def _may_overlap(self, left: Sequence[_Node], right: Sequence[_Node]) -> bool:
        """Whether both can match the same text, or one a prefix of the other."""
        left = [node for node in left if self.first((node,)) or not self._nullable_one(node)]
        right = [node for node in right if self.first((node,)) or not self._nullable_one(node)]
        index = 0
        while (
            index < len(left)
            and index < len(right)
            and isinstance(left[index], _Atom)
            and isinstance(right[index], _Atom)
        ):
            if not self._first_of(left[index]) & self._first_of(right[index]):
                return False
            index += 1
        left_rest, right_rest = left[index:], right[index:]
        if not left_rest or not right_rest:
            return True
        if self.nullable(left_rest) and self.nullable(right_rest):
            return True
        return bool(self.first(left_rest) & self.first(right_rest))


def _named_characters(data: Sequence[Any]) -> _CharSet:
    """Characters the pattern names, with case variants, so overlaps on them are exact."""
    chars: set[str] = set()
    for op, av in data:
        if op in (_constants.LITERAL, _constants.NOT_LITERAL):
            if not _MARKER_FIRST <= av <= _MARKER_LAST:
                chars.add(chr(av))
        elif op == _constants.IN:
            for item_op, item_av in av:
                if item_op == _constants.LITERAL:
                    chars.add(chr(item_av))
                elif item_op == _constants.RANGE:
                    chars.update(chr(item_av[0]), chr(item_av[1]))
        else:
            for child in _children(av):
                chars |= _named_characters(child.data)
    return frozenset(
        variant
        for char in chars
        for variant in (char, char.lower(), char.upper())
        if len(variant) == 1
    )


def _children(av: Any) -> Iterator[_parser.SubPattern]:
    if isinstance(av, _parser.SubPattern):
        yield av
    elif isinstance(av, tuple | list):
        for item in av:
            yield from _children(item)


def _hashable(av: Any) -> Any:
    if isinstance(av, list | tuple):
        return tuple(_hashable(item) for item in av)
    return av


@functools.lru_cache(maxsize=4096)
def _atom_chars(op: object, av: Any, flags: int, alphabet: _CharSet) -> _CharSet:
    test = _atom_test(op, av, flags)
    if flags & re.IGNORECASE:
        return frozenset(
            char
            for char in alphabet
            if any(test(variant) for variant in (char, char.lower(), char.upper()))
        )
    return frozenset(char for char in alphabet if test(char))


def _atom_test(op: object, av: Any, flags: int) -> Callable[[str], bool]:
    if op == _constants.LITERAL:
        return lambda char: char == chr(av)
    if op == _constants.NOT_LITERAL:
        return lambda char: char != chr(av)
    if op == _constants.ANY:
        return lambda char: bool(flags & re.DOTALL) or char != "\n"
    negate = bool(av) and av[0][0] == _constants.NEGATE
    tests = [_class_item_test(item_op, item_av, flags) for item_op, item_av in av]
    return lambda char: negate != any(test(char) for test in tests)


def _class_item_test(op: object, av: Any, flags: int) -> Callable[[str], bool]:
    if op == _constants.LITERAL:
        return lambda char: char == chr(av)
    if op == _constants.RANGE:
        low, high = av
        return lambda char: len(char) == 1 and low <= ord(char) <= high
    if op == _constants.CATEGORY and av in _CATEGORY_TEXT:
        category = re.compile(_CATEGORY_TEXT[av], re.ASCII if flags & re.ASCII else 0)
        return lambda char: category.fullmatch(char) is not None
    if op == _constants.NEGATE:
        return lambda char: False
    return lambda char: True


# --- Rendering pieces back into regex text for the reasons ----------------------------------------


def _render(items: Sequence[_Node]) -> str:
    return "".join(_render_node(node) for node in items)


def _render_node(node: _Node) -> str:
    match node:
        case _Atom(text=text) | _Empty(text=text) | _Opaque(text=text):
            return text
        case _Group():
            return f"{node.opener}{_render(node.items)})"
        case _Branch():
            alternatives = "|".join(_render(each) for each in node.alternatives)
            return f"{node.opener}{alternatives})" if node.opener else alternatives
        case _Repeat():
            body = [each for each in node.body if not (isinstance(each, _Empty) and not each.text)]
            text = _render(body)
            if len(body) != 1 or isinstance(body[0], _Branch | _Repeat):
                text = f"(?:{text})"
            return text + node.suffix
    return ""


def _describe(items: Sequence[_Node]) -> str:
    return _shorten(_render(items)) or "(empty)"


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _suffix(op: object, low: int, high: int) -> str:
    if (low, high) == (0, _UNBOUNDED):
        base = "*"
    elif (low, high) == (1, _UNBOUNDED):
        base = "+"
    elif (low, high) == (0, 1):
        base = "?"
    elif low == high:
        base = f"{{{low}}}"
    elif high == _UNBOUNDED:
        base = f"{{{low},}}"
    else:
        base = f"{{{low},{high}}}"
    if op == _constants.MIN_REPEAT:
        return base + "?"
    if op == _constants.POSSESSIVE_REPEAT:
        return base + "+"
    return base


_SPECIAL: Final = ".^$*+?{}[]\\|()"
_CLASS_SPECIAL: Final = "[]\\^-"


def _atom_text(op: object, av: Any) -> str:
    if op == _constants.LITERAL:
        return _escape_char(chr(av), _SPECIAL)
    if op == _constants.NOT_LITERAL:
        return f"[^{_escape_char(chr(av), _CLASS_SPECIAL)}]"
    if op == _constants.ANY:
        return "."
    items = list(av)
    negate = bool(items) and items[0][0] == _constants.NEGATE
    if negate:
        items = items[1:]
    if not negate and len(items) == 1 and items[0][0] == _constants.CATEGORY:
        return _CATEGORY_TEXT.get(items[0][1], "[…]")
    parts: list[str] = []
    for item_op, item_av in items:
        if item_op == _constants.LITERAL:
            parts.append(_escape_char(chr(item_av), _CLASS_SPECIAL))
        elif item_op == _constants.RANGE:
            low, high = (_escape_char(chr(each), _CLASS_SPECIAL) for each in item_av)
            parts.append(f"{low}-{high}")
        elif item_op == _constants.CATEGORY:
            parts.append(_CATEGORY_TEXT.get(item_av, "…"))
    return f"[{'^' if negate else ''}{''.join(parts)}]"


def _escape_char(char: str, special: str) -> str:
    if char in special:
        return "\\" + char
    named = {"\n": r"\n", "\r": r"\r", "\t": r"\t", "\f": r"\f", "\v": r"\v"}
    if char in named:
        return named[char]
    if char.isprintable():
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
