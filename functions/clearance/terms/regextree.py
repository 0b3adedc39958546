"""A regex as a small tree of pieces, and each piece printed back as regex text for reasons.

Built by `backtracking` from `re`'s own parser output; only what that analysis needs is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeAlias

if TYPE_CHECKING:
    import sre_constants as _constants
else:
    from re import _constants

CharSet: TypeAlias = frozenset[str]
UNBOUNDED: Final = int(_constants.MAXREPEAT)

NOTHING: Final[CharSet] = frozenset()

CATEGORY_TEXT: Final[Mapping[object, str]] = {
    _constants.CATEGORY_DIGIT: r"\d",
    _constants.CATEGORY_NOT_DIGIT: r"\D",
    _constants.CATEGORY_SPACE: r"\s",
    _constants.CATEGORY_NOT_SPACE: r"\S",
    _constants.CATEGORY_WORD: r"\w",
    _constants.CATEGORY_NOT_WORD: r"\W",
}
AT_TEXT: Final[Mapping[object, str]] = {
    _constants.AT_BEGINNING: "^",
    _constants.AT_BEGINNING_STRING: r"\A",
    _constants.AT_END: "$",
    _constants.AT_END_STRING: r"\Z",
    _constants.AT_BOUNDARY: r"\b",
    _constants.AT_NON_BOUNDARY: r"\B",
}


@dataclass(eq=False)
class Atom:
    """Exactly one character, drawn from `chars`."""

    chars: CharSet
    text: str


@dataclass(eq=False)
class Empty:
    """Matches without consuming: anchors, and the markers placed around `|`."""

    text: str


@dataclass(eq=False)
class Opaque:
    """Consumes text the analysis cannot see into (a backreference): assume anything."""

    text: str


@dataclass(eq=False)
class Group:
    items: tuple[Node, ...]
    opener: str
    zero_width: bool = False


@dataclass(eq=False)
class Branch:
    alternatives: tuple[tuple[Node, ...], ...]
    opener: str
    is_choice: bool


@dataclass(eq=False)
class Repeat:
    low: int
    high: int
    body: tuple[Node, ...]
    suffix: str


Node: TypeAlias = Atom | Empty | Opaque | Group | Branch | Repeat


def render(items: Sequence[Node]) -> str:
    return "".join(render_node(node) for node in items)


def render_node(node: Node) -> str:
    match node:
        case Atom(text=text) | Empty(text=text) | Opaque(text=text):
            return text
        case Group():
            return f"{node.opener}{render(node.items)})"
        case Branch():
            alternatives = "|".join(render(each) for each in node.alternatives)
            return f"{node.opener}{alternatives})" if node.opener else alternatives
        case Repeat():
            body = [each for each in node.body if not (isinstance(each, Empty) and not each.text)]
            text = render(body)
            if len(body) != 1 or isinstance(body[0], Branch | Repeat):
                text = f"(?:{text})"
            return text + node.suffix
    return ""


def describe(items: Sequence[Node]) -> str:
    return shorten(render(items)) or "(empty)"


def shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def suffix(op: object, low: int, high: int) -> str:
    if (low, high) == (0, UNBOUNDED):
        base = "*"
    elif (low, high) == (1, UNBOUNDED):
        base = "+"
    elif (low, high) == (0, 1):
        base = "?"
    elif low == high:
        base = f"{{{low}}}"
    elif high == UNBOUNDED:
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


def atom_text(op: object, av: Any) -> str:
    if op == _constants.LITERAL:
        return escape_char(chr(av), _SPECIAL)
    if op == _constants.NOT_LITERAL:
        return f"[^{escape_char(chr(av), _CLASS_SPECIAL)}]"
    if op == _constants.ANY:
        return "."
    items = list(av)
    negate = bool(items) and items[0][0] == _constants.NEGATE
    if negate:
        items = items[1:]
    if not negate and len(items) == 1 and items[0][0] == _constants.CATEGORY:
        return CATEGORY_TEXT.get(items[0][1], "[…]")
    parts: list[str] = []
    for item_op, item_av in items:
        if item_op == _constants.LITERAL:
            parts.append(escape_char(chr(item_av), _CLASS_SPECIAL))
        elif item_op == _constants.RANGE:
            low, high = (escape_char(chr(each), _CLASS_SPECIAL) for each in item_av)
            parts.append(f"{low}-{high}")
        elif item_op == _constants.CATEGORY:
            parts.append(CATEGORY_TEXT.get(item_av, "…"))
    return f"[{'^' if negate else ''}{''.join(parts)}]"


def escape_char(char: str, special: str) -> str:
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
