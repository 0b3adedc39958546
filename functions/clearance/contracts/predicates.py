"""JSON Schema keywords as predicates, judged as jsonschema judges them: types (`integer` takes
1.0, never a boolean), equality (`const`, `enum`, `uniqueItems`: True is not 1, 1.0 is 1), bounds
(written as jsonschema writes them, so a NaN passes), and patterns matched by RE2 over UTF-8 as
`re2validator` matches them. The pieces `compiled` builds a schema's predicate from.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from clearance.contracts.re2validator import UnsupportedPatternError, compile_re2

Predicate = Callable[[Any], bool]
"""True when the instance is valid against the schema it was compiled from."""


class Refused(Exception):
    """The schema uses something that is left to jsonschema."""


def always(instance: Any) -> bool:
    return True


def never(instance: Any) -> bool:
    return False


def all_of(checks: list[Predicate]) -> Predicate:
    checks = [check for check in checks if check is not always]
    if not checks:
        return always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda instance: first(instance) and second(instance)
    every = tuple(checks)

    def each(instance: Any) -> bool:
        for check in every:  # noqa: SIM110 - a loop, not all() over a generator: this is the hot path
            if not check(instance):
                return False
        return True

    return each


def any_of(checks: list[Predicate]) -> Predicate:
    some = tuple(checks)
    return lambda instance: any(check(instance) for check in some)


def one_of(checks: list[Predicate]) -> Predicate:
    some = tuple(checks)
    return lambda instance: sum(1 for check in some if check(instance)) == 1


def is_integer(instance: Any) -> bool:
    if isinstance(instance, bool):
        return False
    return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())


def is_number(instance: Any) -> bool:
    return not isinstance(instance, bool) and isinstance(instance, numbers.Number)


TYPES: dict[str, Predicate] = {
    "null": lambda instance: instance is None,
    "boolean": lambda instance: isinstance(instance, bool),
    "integer": is_integer,
    "number": is_number,
    "string": lambda instance: isinstance(instance, str),
    "array": lambda instance: isinstance(instance, list),
    "object": lambda instance: isinstance(instance, dict),
}
_CLASSES: dict[str, type] = {"boolean": bool, "string": str, "array": list, "object": dict}


def type_of(types: Any) -> Predicate:
    names = [types] if isinstance(types, str) else types
    if not isinstance(names, list) or not all(name in TYPES for name in names):
        raise Refused
    if len(names) == 1:
        return TYPES[names[0]]
    if all(name in _CLASSES or name == "null" for name in names):
        classes = tuple(_CLASSES[name] for name in names if name != "null")
        if "null" in names:
            return lambda instance: instance is None or isinstance(instance, classes)
        return lambda instance: isinstance(instance, classes)
    checks = tuple(TYPES[name] for name in names)
    return lambda instance: any(check(instance) for check in checks)


def const(value: Any) -> Predicate:
    if isinstance(value, str):
        return lambda instance: isinstance(instance, str) and instance == value
    return lambda instance: equal(instance, value)


def enum(values: Any) -> Predicate:
    if not isinstance(values, list):
        raise Refused
    if all(isinstance(value, str) for value in values):
        strings = frozenset(values)
        return lambda instance: isinstance(instance, str) and instance in strings
    return lambda instance: any(equal(value, instance) for value in values)


def required(names: Any) -> Predicate:
    wanted = _names(names)
    return lambda instance: instance.keys() >= wanted


def dependent_required(dependencies: Any) -> Predicate:
    pairs = [(name, _names(each)) for name, each in mapping(dependencies).items()]
    return lambda instance: all(
        instance.keys() >= wanted for name, wanted in pairs if name in instance
    )


def _names(names: Any) -> frozenset[str]:
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise Refused
    return frozenset(names)


def bounds(schema: dict[str, Any]) -> list[Predicate]:
    """Bounds written as jsonschema writes them (`not x < m`, never `x >= m`: NaN passes)."""
    checks: list[Predicate] = []
    if "minimum" in schema:
        minimum = bound(schema["minimum"])
        checks.append(lambda instance: not instance < minimum)
    if "maximum" in schema:
        maximum = bound(schema["maximum"])
        checks.append(lambda instance: not instance > maximum)
    if "exclusiveMinimum" in schema:
        above = bound(schema["exclusiveMinimum"])
        checks.append(lambda instance: not instance <= above)
    if "exclusiveMaximum" in schema:
        below = bound(schema["exclusiveMaximum"])
        checks.append(lambda instance: not instance >= below)
    if not checks:
        return []
    every = all_of(checks)
    return [lambda instance: not is_number(instance) or every(instance)]


def sizes(schema: dict[str, Any], least: str, most: str) -> list[Predicate]:
    """`minItems`/`maxItems`, `minLength`/`maxLength`, `minProperties`/`maxProperties`: the
    instance's `len` within the bounds, written as jsonschema writes them."""
    checks: list[Predicate] = []
    if least in schema:
        low = bound(schema[least])
        checks.append(lambda instance: not len(instance) < low)
    if most in schema:
        high = bound(schema[most])
        checks.append(lambda instance: not len(instance) > high)
    return checks


def bound(value: Any) -> int | float:
    if not isinstance(value, int | float):
        raise Refused
    return value


def mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Refused
    return value


def search(pattern: Any) -> Predicate:
    """Unanchored RE2 search over UTF-8, as `re2validator` evaluates `pattern`."""
    if not isinstance(pattern, str):
        raise Refused
    try:
        find = compile_re2(pattern).search
    except UnsupportedPatternError:
        raise Refused from None
    return lambda text: find(text.encode("utf-8", "surrogatepass")) is not None


_TRUE, _FALSE = object(), object()


def _unbool(element: Any) -> Any:
    """True and False kept apart from 1 and 0, as jsonschema's `unbool` does."""
    if element is True:
        return _TRUE
    if element is False:
        return _FALSE
    return element


def equal(one: Any, two: Any) -> bool:
    """jsonschema's `equal`: True is not 1, 1.0 is 1, sequences and mappings compared inside."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(equal(i, j) for i, j in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return len(one) == len(two) and all(
            key in two and equal(value, two[key]) for key, value in one.items()
        )
    return bool(_unbool(one) == _unbool(two))


def unique(container: list[Any]) -> bool:
    """jsonschema's `uniq`, line for line: neighbours compared after sorting where the items
    sort, every pair otherwise."""
    try:
        ordered = sorted(_unbool(each) for each in container)
        for one, two in itertools.pairwise(ordered):
            if equal(one, two):
                return False
    except (NotImplementedError, TypeError):
        seen: list[Any] = []
        for each in container:
            element = _unbool(each)
            if any(equal(other, element) for other in seen):
                return False
            seen.append(element)
    return True
