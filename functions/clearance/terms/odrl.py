"""Licence rules in the W3C ODRL / IPTC RightsML vocabulary: one model for every source of them.

A provider's policy file, the ODRL a ninjs item carries in `rightsInfo.encodedRights`, and the
restrictions a feed states in prose ("TURKEY OUT") all say the same kind of thing: an action is
permitted or prohibited, or a duty is imposed, when some constraints hold. Reading them into one
small model lets one evaluation (in `decide`) treat them alike. Only what can be evaluated is
read: an action, operand or value outside the supported vocabulary is `Unintelligible`, never
skipped, because a licence rule silently ignored could clear what its terms forbid.

Parties (`assigner`, `assignee`) and the `target` of encoded rules are not read: the rights an
item carries apply to the item, and a rule meant for someone else is applied to us too (fail
closed).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, cast, get_args

from clearance.contracts.circumstances import CHANNELS, USES
from clearance.contracts.territory import TerritoryError, territory_code

LeftOperand = Literal["spatial", "dateTime", "purpose", "deliveryChannel"]
Operator = Literal["eq", "neq", "isAnyOf", "isNoneOf", "lt", "lteq", "gt", "gteq"]
RuleKind = Literal["permission", "prohibition", "duty"]

ODRL = "http://www.w3.org/ns/odrl/2/"

# Actions that republish the article; `print` and `play` only on their own channels.
REPUBLICATION_ACTIONS = ("use", "distribute", "reproduce", "display", "present", "play", "print")
# Republication actions that concern every channel.
EVERY_CHANNEL_ACTIONS = frozenset({"use", "distribute", "reproduce", "display", "present"})
DUTY_ACTIONS = ("attribute", "inform", "compensate")
ACTIONS = frozenset({*REPUBLICATION_ACTIONS, "commercialize", "modify", "derive", *DUTY_ACTIONS})
VALUE_OPERATORS: tuple[Operator, ...] = ("eq", "neq", "isAnyOf", "isNoneOf")
TIME_OPERATORS: tuple[Operator, ...] = ("lt", "lteq", "gt", "gteq")
OPERATORS_FOR: Mapping[LeftOperand, tuple[Operator, ...]] = {
    "spatial": VALUE_OPERATORS,
    "purpose": VALUE_OPERATORS,
    "deliveryChannel": VALUE_OPERATORS,
    "dateTime": TIME_OPERATORS,
}
LOGICAL_OPERANDS = ("and", "or", "xone", "andSequence")
# Constraint members that change what the right operand means; not supported, so not ignored.
UNSUPPORTED_CONSTRAINT_KEYS = ("rightOperandReference", "unit", "status")

_DURATION = re.compile(
    r"P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?",
)


@dataclass(frozen=True, slots=True)
class RelativeTime:
    """A time counted from an event of the article: `published` + `offset`."""

    anchor: Literal["published"]
    offset: timedelta


@dataclass(frozen=True, slots=True)
class Constraint:
    """Spatial values are ISO 3166-1 alpha-2 codes; purposes and channels their short names."""

    left_operand: LeftOperand
    operator: Operator
    right_operand: tuple[str, ...] | datetime | RelativeTime


@dataclass(frozen=True, slots=True)
class Rule:
    """One permission, prohibition or duty: `action` is its ODRL short name."""

    kind: RuleKind
    action: str
    constraints: tuple[Constraint, ...]
    id: str
    description: str | None = None


class Unintelligible(ValueError):
    """A licence term outside what clearance can evaluate; `pointer` is where it is (RFC 6901)."""

    def __init__(self, term: str, pointer: str, reason: str | None = None) -> None:
        self.term = term
        self.pointer = pointer
        self.reason = reason or f"{term} is not understood"
        super().__init__(f"{pointer or '/'}: {self.reason}")


class UnknownTerritory(Unintelligible, TerritoryError):
    """A spatial value that is no ISO 3166-1 code: unintelligible, and a territory error."""


_POLICY_SECTIONS: tuple[tuple[RuleKind, str], ...] = (
    ("permission", "permissions"),
    ("prohibition", "prohibitions"),
)


def rules_from_policy(constraints: Mapping[str, Any]) -> tuple[Rule, ...]:
    """The rules of a policy's `constraints` object: its `permissions`, then `prohibitions`.

    A permission's `duty` list becomes duty rules with ids `{permission id}-duty-{n}`.
    """
    rules: list[Rule] = []
    for kind, section in _POLICY_SECTIONS:
        items = entries(constraints.get(section), f"/constraints/{section}")
        for index, entry in enumerate(items):
            pointer = f"/constraints/{section}/{index}"
            rule_id = str(entry.get("id") or f"{kind}-{index}")
            rules += read_rules(
                entry, kind, pointer, [rule_id], description=entry.get("description")
            )
            for number, duty in enumerate(entries(entry.get("duty"), f"{pointer}/duty")):
                rules += read_rules(
                    duty,
                    "duty",
                    f"{pointer}/duty/{number}",
                    [str(duty.get("id") or f"{rule_id}-duty-{number}")],
                    description=duty.get("description"),
                )
    return tuple(rules)


def dotted(pointer: str) -> str:
    """`/constraints/prohibitions/0/constraint/1` as `constraints.prohibitions[0].constraint[1]`."""
    text = ""
    for part in pointer.lstrip("/").split("/"):
        name = part.replace("~1", "/").replace("~0", "~")
        text += f"[{name}]" if name.isdigit() else f".{name}" if text else name
    return text


def entries(value: object, pointer: str) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    items = [value] if isinstance(value, Mapping) else value
    if not isinstance(items, list):
        raise Unintelligible("a list of rules", pointer, "rules must be a list of objects")
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise Unintelligible("a rule", f"{pointer}/{index}", "a rule must be an object")
    return cast("list[Mapping[str, Any]]", items)


def read_rules(
    entry: Mapping[str, Any],
    kind: RuleKind,
    pointer: str,
    ids: Sequence[str],
    *,
    description: object = None,
    default_action: object = None,
) -> list[Rule]:
    """One rule per action of `entry`; `ids` names them (one id per action, or one shared)."""
    actions = read_actions(entry.get("action", default_action), f"{pointer}/action")
    constraints = tuple(_constraints_of(entry, pointer))
    text = description if isinstance(description, str) else None
    names = list(ids)
    if len(names) < len(actions):
        names = [f"{names[0]}.{action}" for action, _ in actions]
    return [
        Rule(kind, action, (*constraints, *refinements), name, text)
        for (action, refinements), name in zip(actions, names, strict=False)
    ]


def _constraints_of(entry: Mapping[str, Any], pointer: str) -> Iterator[Constraint]:
    for key in ("constraint", "constraints"):
        raw = entry.get(key)
        if raw is None:
            continue
        items = raw if isinstance(raw, list) else [raw]
        for index, item in enumerate(items):
            here = f"{pointer}/{key}/{index}" if isinstance(raw, list) else f"{pointer}/{key}"
            yield read_constraint(item, here)


def read_actions(raw: object, pointer: str) -> list[tuple[str, tuple[Constraint, ...]]]:
    """Each action named, with the refinements (ODRL 2.2 `rdf:value` form) that narrow it."""
    if raw is None:
        raise Unintelligible("a rule without an action", pointer, "the rule names no action")
    if isinstance(raw, list):
        if not raw:
            raise Unintelligible("an empty list of actions", pointer)
        return [
            item
            for index, one in enumerate(raw)
            for item in read_actions(one, f"{pointer}/{index}")
        ]
    refinements: tuple[Constraint, ...] = ()
    value = raw
    if isinstance(raw, Mapping):
        if "rdf:value" in raw:
            value = raw["rdf:value"]
            refined = raw.get("refinement", [])
            items = refined if isinstance(refined, list) else [refined]
            refinements = tuple(
                read_constraint(item, f"{pointer}/refinement/{index}")
                for index, item in enumerate(items)
            )
        if isinstance(value, Mapping):
            value = value.get("@id", value)
    name = short_term(value) if isinstance(value, str) else None
    if name not in ACTIONS:
        raise Unintelligible(f"action {value!r}", pointer)
    return [(name, refinements)]


def read_constraint(raw: object, pointer: str) -> Constraint:
    if not isinstance(raw, Mapping):
        raise Unintelligible("a constraint", pointer, "a constraint must be an object")
    for key in raw:
        if short_term(str(key)) in LOGICAL_OPERANDS:
            raise Unintelligible(
                f"logical constraint {short_term(str(key))!r}",
                pointer,
                f"logical constraint '{short_term(str(key))}' is not supported",
            )
        if key in UNSUPPORTED_CONSTRAINT_KEYS:
            raise Unintelligible(f"constraint member {key!r}", f"{pointer}/{key}")
    left_key = "leftOperand" if "leftOperand" in raw else "name"
    right_key = "rightOperand" if "rightOperand" in raw else "rightoperand"
    left = _term(raw.get(left_key), f"{pointer}/{left_key}", "leftOperand")
    if left not in OPERATORS_FOR:
        raise Unintelligible(f"leftOperand {left!r}", f"{pointer}/{left_key}")
    left_operand = cast("LeftOperand", left)
    operator = _term(raw.get("operator"), f"{pointer}/operator", "operator")
    if operator not in get_args(Operator):
        raise Unintelligible(f"operator {operator!r}", f"{pointer}/operator")
    if operator not in OPERATORS_FOR[left_operand]:
        raise Unintelligible(
            f"operator {operator!r} on {left_operand}",
            f"{pointer}/operator",
            f"operator '{operator}' does not suit {left_operand} "
            f"(use {', '.join(OPERATORS_FOR[left_operand])})",
        )
    if right_key not in raw:
        raise Unintelligible(
            "a constraint without rightOperand", pointer, "the constraint has no rightOperand"
        )
    right = _right_operand(left_operand, operator, raw[right_key], f"{pointer}/{right_key}")
    return Constraint(left_operand, operator, right)


def _term(raw: object, pointer: str, what: str) -> str:
    value = raw.get("@id", raw.get("@value")) if isinstance(raw, Mapping) else raw
    if not isinstance(value, str):
        raise Unintelligible(f"{what} {raw!r}", pointer, f"{what} {raw!r} is not a name")
    return short_term(value)


def short_term(value: str) -> str:
    """An ODRL term's short name, from a short name, an `odrl:` name or the full IRI."""
    for prefix in (ODRL, "https://www.w3.org/ns/odrl/2/", "odrl:"):
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def _unwrapped(raw: object) -> object:
    if isinstance(raw, Mapping) and ("@value" in raw or "@id" in raw):
        return raw.get("@value", raw.get("@id"))
    return raw


def _right_operand(
    left: LeftOperand, operator: Operator, raw: object, pointer: str
) -> tuple[str, ...] | datetime | RelativeTime:
    here = pointer
    items = [_unwrapped(item) for item in raw] if isinstance(raw, list) else [_unwrapped(raw)]
    if left == "dateTime":
        if len(items) != 1:
            raise Unintelligible(
                f"dateTime with {len(items)} values", here, "a dateTime constraint takes one time"
            )
        return _time(items[0], here)
    if not items or not all(isinstance(item, str) for item in items):
        raise Unintelligible(
            f"rightOperand {raw!r}", here, f"{left} values must be one or more names"
        )
    if operator in ("eq", "neq") and len(items) != 1:
        raise Unintelligible(
            f"{len(items)} values for '{operator}'",
            here,
            f"'{operator}' compares one value; use isAnyOf or isNoneOf for {len(items)}",
        )
    values = [cast("str", item) for item in items]
    if left == "spatial":
        return _unique(_territory(value, here) for value in values)
    known = USES if left == "purpose" else CHANNELS
    noun = "purpose" if left == "purpose" else "delivery channel"
    normalised = []
    for value in values:
        name = short_term(value).rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
        if name not in known:
            raise Unintelligible(
                f"{left} {value!r}", here, f"unknown {noun} {value!r} (known: {', '.join(known)})"
            )
        normalised.append(name)
    return _unique(normalised)


def _territory(value: str, pointer: str) -> str:
    try:
        return territory_code(value)
    except TerritoryError as error:
        raise UnknownTerritory(f"spatial {value!r}", pointer, str(error)) from error


def _unique(values: Iterator[str] | Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _time(raw: object, pointer: str) -> datetime | RelativeTime:
    if isinstance(raw, Mapping):
        anchor = raw.get("from")
        if anchor != "published":
            raise Unintelligible(
                f"time counted from {anchor!r}",
                f"{pointer}/from",
                f"a time can be counted from 'published' only, not {anchor!r}",
            )
        return RelativeTime("published", duration(raw.get("offset"), f"{pointer}/offset"))
    if not isinstance(raw, str):
        raise Unintelligible(f"dateTime {raw!r}", pointer)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise Unintelligible(
            f"dateTime {raw!r}", pointer, f"{raw!r} is not an ISO 8601 date-time"
        ) from None
    if moment.utcoffset() is None:
        raise Unintelligible(
            f"dateTime {raw!r}", pointer, f"dateTime {raw!r} has no UTC offset, so no fixed time"
        )
    return moment


def duration(raw: object, pointer: str = "") -> timedelta:
    """An ISO 8601 duration of weeks, days, hours, minutes and seconds (`P30D`, `PT6H`, `P1DT2H`).

    Months and years are refused: their length depends on the date, so a licence period in them
    has no one end.
    """
    match = _DURATION.fullmatch(raw) if isinstance(raw, str) else None
    if match is None or not any(match.groupdict().values()):
        months = isinstance(raw, str) and re.search(r"\d+[YM]", raw.split("T")[0])
        raise Unintelligible(
            f"offset {raw!r}",
            pointer,
            f"offset {raw!r} is not a duration in weeks, days, hours and minutes"
            + (" (months and years have no fixed length)" if months else ""),
        )
    parts = {name: int(value) for name, value in match.groupdict().items() if value}
    return timedelta(**parts)


def span(offset: timedelta) -> str:
    """A duration in words: "30 days", "1 day 6 hours"."""
    hours, rest = divmod(offset.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [
        f"{count} {unit}{'s' if count != 1 else ''}"
        for count, unit in (
            (offset.days, "day"),
            (hours, "hour"),
            (minutes, "minute"),
            (seconds, "second"),
        )
        if count
    ]
    return " ".join(parts) or "0 seconds"
