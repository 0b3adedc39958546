"""Static analysis for catastrophic backtracking in a policy's regular expressions.

The regex is parsed with `re`'s own parser into a small tree, then two shapes are looked for
inside every repetition that can run more than once: a variable-length piece whose characters
the next piece of the repetition could also take (`(a+)+`, `(\\w+\\s?)*`), and alternatives that
can match the same text (`(a|a)*`, `(\\w|\\d)+`). Either lets a backtracking engine try
exponentially many ways to split a string that ultimately fails. Character sets are compared
over a sample alphabet: the first 0x250 code points, a spread of non-Latin letters, digits and
spaces, and every character the pattern itself names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import sre_constants as _constants
    import sre_parse as _parser
else:
    from re import _constants, _parser

from clearance.terms.regextree import (
    AT_TEXT,
    CATEGORY_TEXT,
    NOTHING,
    Atom,
    Branch,
    CharSet,
    Empty,
    Group,
    Node,
    Opaque,
    Repeat,
    atom_text,
    describe,
    render_node,
    shorten,
    suffix,
)

_BASE_ALPHABET: Final[CharSet] = frozenset(map(chr, range(0x250))) | frozenset(
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


def backtracking_problems(pattern: str) -> list[str]:
    try:
        parsed = _parse_for_analysis(pattern)
        analysis = _Analysis(parsed)
        analysis.scan(analysis.root, NOTHING, None)
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
        self._first: dict[int, CharSet] = {}
        self._nullable: dict[int, bool] = {}
        self.problems: list[str] = []
        self.root = self._convert(parsed.data, parsed.state.flags)

    # Building the tree.

    def _convert(self, data: Sequence[Any], flags: int) -> tuple[Node, ...]:
        return tuple(self._convert_one(op, av, flags) for op, av in data)

    def _convert_one(self, op: object, av: Any, flags: int) -> Node:
        if op in _SINGLE_CHARACTER:
            return Atom(_atom_chars(op, _hashable(av), flags, self._alphabet), atom_text(op, av))
        if op == _constants.AT:
            return Empty(AT_TEXT.get(av, ""))
        if op == _constants.SUBPATTERN:
            group, add_flags, del_flags, body = av
            inner = (flags | add_flags) & ~del_flags
            return Group(self._convert(body.data, inner), self._opener(group, add_flags, del_flags))
        if op in (_constants.ASSERT, _constants.ASSERT_NOT):
            direction, body = av
            look = "=" if op == _constants.ASSERT else "!"
            opener = f"(?{look}" if direction == 1 else f"(?<{look}"
            return Group(self._convert(body.data, flags), opener, zero_width=True)
        if op == _constants.ATOMIC_GROUP:
            return Group(self._convert(av.data, flags), "(?>")
        if op == _constants.BRANCH:
            alternatives = tuple(self._convert(each.data, flags) for each in av[1])
            return Branch(alternatives, "", is_choice=True)
        if op == _constants.GROUPREF_EXISTS:
            group, yes, no = av
            branches = (yes,) if no is None else (yes, no)
            alternatives = tuple(self._convert(each.data, flags) for each in branches)
            name = self._group_names.get(group, str(group))
            return Branch(alternatives, f"(?({name})", is_choice=False)
        if op in _REPEATS:
            if _is_marker(op, av):
                return Empty("")
            low, high, body = av
            return Repeat(low, high, self._convert(body.data, flags), suffix(op, low, high))
        if op == _constants.GROUPREF:
            ref_name = self._group_names.get(av)
            return Opaque(f"(?P={ref_name})" if ref_name else f"\\{av}")
        return Opaque("…")

    def _opener(self, group: int | None, add_flags: int, del_flags: int) -> str:
        if group is not None:
            name = self._group_names.get(group)
            return f"(?P<{name}>" if name else "("
        added = "".join(letter for flag, letter in _FLAG_LETTERS if add_flags & flag)
        removed = "".join(letter for flag, letter in _FLAG_LETTERS if del_flags & flag)
        return f"(?{added}-{removed}:" if removed else f"(?{added}:"

    # What a piece can match.

    def first(self, items: Sequence[Node]) -> CharSet:
        """Characters a match of `items` can start with."""
        chars: CharSet = NOTHING
        for node in items:
            chars |= self._first_of(node)
            if not self._nullable_one(node):
                break
        return chars

    def _first_of(self, node: Node) -> CharSet:
        key = id(node)
        if key not in self._first:
            self._first[key] = self._compute_first(node)
        return self._first[key]

    def _compute_first(self, node: Node) -> CharSet:
        match node:
            case Atom(chars=chars):
                return chars
            case Opaque():
                return self._alphabet
            case Group(zero_width=False, items=items):
                return self.first(items)
            case Branch(alternatives=alternatives):
                return NOTHING.union(*(self.first(each) for each in alternatives))
            case Repeat(high=high, body=body) if high > 0:
                return self.first(body)
        return NOTHING

    def nullable(self, items: Sequence[Node]) -> bool:
        """Whether `items` can match the empty string."""
        return all(self._nullable_one(node) for node in items)

    def _nullable_one(self, node: Node) -> bool:
        key = id(node)
        if key not in self._nullable:
            self._nullable[key] = self._compute_nullable(node)
        return self._nullable[key]

    def _compute_nullable(self, node: Node) -> bool:
        match node:
            case Atom():
                return False
            case Group(zero_width=False, items=items):
                return self.nullable(items)
            case Branch(alternatives=alternatives):
                return any(self.nullable(each) for each in alternatives)
            case Repeat(low=low, high=high, body=body) if high > 0 and low > 0:
                return self.nullable(body)
        return True

    # The search.

    def scan(self, items: Sequence[Node], after: CharSet, loop: Repeat | None) -> None:
        """Check `items`; `after` is what can follow them within the innermost repetition."""
        follows: list[CharSet] = []
        follow = after
        for node in reversed(items):
            follows.append(follow)
            follow = self._first_of(node) | (follow if self._nullable_one(node) else NOTHING)
        for node, node_after in zip(items, reversed(follows), strict=True):
            self._visit(node, node_after, loop)

    def _visit(self, node: Node, after: CharSet, loop: Repeat | None) -> None:
        match node:
            case Group():
                self.scan(node.items, NOTHING if node.zero_width else after, loop)
            case Branch():
                if loop is not None and node.is_choice:
                    self._check_alternatives(node, loop)
                for alternative in node.alternatives:
                    self.scan(alternative, after, loop)
            case Repeat() if node.high > 0:
                self._check_repeat(node, after, loop)
                if node.high > 1:
                    inside = self.first(node.body) | (after if loop is not None else NOTHING)
                    self.scan(node.body, inside, node)
                else:
                    self.scan(node.body, after, loop)

    def _check_repeat(self, node: Repeat, after: CharSet, loop: Repeat | None) -> None:
        if loop is None or node.low == node.high or not self.first(node.body) & after:
            return
        self.problems.append(
            f"nested quantifier: {shorten(render_node(loop))} can backtrack exponentially, "
            f"because {shorten(render_node(node))} inside it competes with what follows it "
            "for the same characters"
        )

    def _check_alternatives(self, node: Branch, loop: Repeat) -> None:
        alternatives = node.alternatives
        for index, left in enumerate(alternatives):
            for right in alternatives[index + 1 :]:
                if self._may_overlap(left, right):
                    self.problems.append(
                        f"overlapping alternatives: {shorten(render_node(loop))} can backtrack "
                        f"exponentially, because its alternatives {describe(left)} and "
                        f"{describe(right)} can match the same text"
                    )
                    return

    def _may_overlap(self, left: Sequence[Node], right: Sequence[Node]) -> bool:
        """Whether both can match the same text, or one a prefix of the other."""
        left = [node for node in left if self.first((node,)) or not self._nullable_one(node)]
        right = [node for node in right if self.first((node,)) or not self._nullable_one(node)]
        index = 0
        while (
            index < len(left)
            and index < len(right)
            and isinstance(left[index], Atom)
            and isinstance(right[index], Atom)
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


def _named_characters(data: Sequence[Any]) -> CharSet:
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
def _atom_chars(op: object, av: Any, flags: int, alphabet: CharSet) -> CharSet:
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
    if op == _constants.CATEGORY and av in CATEGORY_TEXT:
        category = re.compile(CATEGORY_TEXT[av], re.ASCII if flags & re.ASCII else 0)
        return lambda char: category.fullmatch(char) is not None
    if op == _constants.NEGATE:
        return lambda char: False
    return lambda char: True
