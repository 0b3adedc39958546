"""A JSON Schema compiled once into a plain predicate: valid or not, in one pass over the data.

jsonschema answers by descending: every subschema it enters builds a validator object and runs
each keyword as a generator of errors (the cleared copy of a sample article takes 52 descents,
about 8 µs each). A fixed-shape schema is compiled here instead, once per process, into nested
closures that only answer valid or invalid. Errors still come from jsonschema: a caller asks the
predicate and, only when it says invalid, asks the validator for `iter_errors` (see
`contracts.schemas.Checker`), so the findings are jsonschema's by construction. The predicate
has to agree with jsonschema's verdict on every input, which tests/unit/contracts/test_compiled.py
checks differentially.

The verdict is the one `PolicyValidator` gives: Draft 2020-12, with `pattern`,
`patternProperties` and `additionalProperties` matched by RE2 on UTF-8 (surrogates passed
through), formats by the functions of the FormatChecker the validator is given; types, equality,
uniqueness and bounds as jsonschema judges them (`contracts.predicates`).

What is not compiled makes `compile_predicate` answer None, and the caller keeps jsonschema: the
keywords `$dynamicRef`, `prefixItems`, `unevaluatedItems`, `unevaluatedProperties` and
`multipleOf`; a keyword value of the wrong shape, such as an unknown type name (jsonschema raises
on those when it meets them); a pattern RE2 cannot compile; a subschema carrying its own `$id`
or `$schema` (jsonschema changes base or validator class there); a `$ref` the registry cannot
resolve.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from clearance.contracts.predicates import (
    Predicate,
    Refused,
    all_of,
    always,
    any_of,
    bound,
    bounds,
    const,
    dependent_required,
    enum,
    mapping,
    never,
    one_of,
    required,
    search,
    sizes,
    type_of,
    unique,
)
from clearance.contracts.re2validator import PolicyValidator

if TYPE_CHECKING:
    from jsonschema import FormatChecker
    from referencing import Registry
    from referencing._core import Resolver

__all__ = ["Predicate", "compile_predicate"]

_COMPILED = frozenset(
    {
        "$ref",
        "additionalProperties",
        "allOf",
        "anyOf",
        "const",
        "contains",
        "dependentRequired",
        "dependentSchemas",
        "enum",
        "exclusiveMaximum",
        "exclusiveMinimum",
        "format",
        "if",
        "items",
        "maxItems",
        "maxLength",
        "maxProperties",
        "maximum",
        "minItems",
        "minLength",
        "minProperties",
        "minimum",
        "not",
        "oneOf",
        "pattern",
        "patternProperties",
        "properties",
        "propertyNames",
        "required",
        "type",
        "uniqueItems",
    }
)
_KEYWORDS = frozenset(PolicyValidator.VALIDATORS)
_LEFT_TO_JSONSCHEMA = _KEYWORDS - _COMPILED
"""Keywords the validator acts on that are not compiled here (a jsonschema release adding one
makes every schema using it compile to None, never to a predicate that ignores it)."""


def compile_predicate(
    schema: Any, *, registry: Registry[Any], format_checker: FormatChecker | None
) -> Predicate | None:
    """The schema as a predicate, or None where jsonschema must keep answering.

    `registry` and `format_checker` are those the schema's jsonschema validator is built with.
    """
    if not isinstance(schema, dict | bool) or not _COMPILED <= _KEYWORDS:
        return None
    resolver = registry.resolver_with_root(DRAFT202012.create_resource(schema))
    try:
        return _Compiler(format_checker).schema(schema, resolver, root=True)
    except (Refused, RecursionError):
        return None


class _Compiler:
    def __init__(self, format_checker: FormatChecker | None) -> None:
        self.formats = format_checker
        self.references: dict[int, list[Predicate]] = {}

    def schema(
        self, schema: Any, resolver: Resolver[Any], *, root: bool = False, target: bool = False
    ) -> Predicate:
        """`root`: the schema the validator was built with; `target`: reached through `$ref`,
        with the resolver of the resource it lives in."""
        if schema is True:
            return always
        if schema is False:
            return never
        if not isinstance(schema, dict):
            raise Refused
        if "$schema" in schema and not root:
            raise Refused
        if "$id" in schema and not (root or target):
            raise Refused
        if schema.keys() & _LEFT_TO_JSONSCHEMA:
            raise Refused
        checks = [
            *self._any_type(schema, resolver),
            *_guarded(dict, self._object(schema, resolver)),
            *_guarded(list, self._array(schema, resolver)),
            *_guarded(str, self._string(schema)),
            *bounds(schema),
        ]
        return all_of(checks)

    def _any_type(self, schema: dict[str, Any], resolver: Resolver[Any]) -> list[Predicate]:
        checks: list[Predicate] = []
        if "type" in schema:
            checks.append(type_of(schema["type"]))
        if "const" in schema:
            checks.append(const(schema["const"]))
        if "enum" in schema:
            checks.append(enum(schema["enum"]))
        if "format" in schema and (check := self._format(schema["format"])) is not None:
            checks.append(check)
        if "$ref" in schema:
            checks.append(self._reference(schema["$ref"], resolver))
        if "allOf" in schema:
            checks.append(all_of(self._each(schema["allOf"], resolver)))
        if "anyOf" in schema:
            checks.append(any_of(self._each(schema["anyOf"], resolver)))
        if "oneOf" in schema:
            checks.append(one_of(self._each(schema["oneOf"], resolver)))
        if "not" in schema:
            inner = self.schema(schema["not"], resolver)
            checks.append(lambda instance: not inner(instance))
        if "if" in schema:
            checks.append(self._conditional(schema, resolver))
        return checks

    def _each(self, schemas: Any, resolver: Resolver[Any]) -> list[Predicate]:
        if not isinstance(schemas, list):
            raise Refused
        return [self.schema(each, resolver) for each in schemas]

    def _conditional(self, schema: dict[str, Any], resolver: Resolver[Any]) -> Predicate:
        condition = self.schema(schema["if"], resolver)
        then = self.schema(schema["then"], resolver) if "then" in schema else always
        otherwise = self.schema(schema["else"], resolver) if "else" in schema else always

        def conditional(instance: Any) -> bool:
            return then(instance) if condition(instance) else otherwise(instance)

        return conditional

    def _format(self, name: Any) -> Predicate | None:
        if not isinstance(name, str):
            raise Refused
        if self.formats is None or name not in self.formats.checkers:
            return None
        function, raises = self.formats.checkers[name]

        def conforms(instance: Any) -> bool:
            try:
                return bool(function(instance))
            except raises:
                return False

        return conforms

    def _reference(self, reference: Any, resolver: Resolver[Any]) -> Predicate:
        if not isinstance(reference, str):
            raise Refused
        try:
            resolved = resolver.lookup(reference)
        except Unresolvable:
            raise Refused from None
        key = id(resolved.contents)
        cell = self.references.get(key)
        if cell is None:
            cell = self.references[key] = []
            cell.append(self.schema(resolved.contents, resolved.resolver, target=True))
        if cell:
            return cell[0]

        def recursive(instance: Any) -> bool:
            return cell[0](instance)

        return recursive

    def _object(self, schema: dict[str, Any], resolver: Resolver[Any]) -> list[Predicate]:
        checks: list[Predicate] = []
        if "required" in schema:
            checks.append(required(schema["required"]))
        checks += sizes(schema, "minProperties", "maxProperties")
        properties = mapping(schema.get("properties", {}))
        patterns = mapping(schema.get("patternProperties", {}))
        if properties:
            checks.append(self._properties(properties, resolver))
        if patterns:
            checks.append(self._pattern_properties(patterns, resolver))
        if "additionalProperties" in schema:
            checks.append(
                self._additional(schema["additionalProperties"], properties, patterns, resolver)
            )
        if "propertyNames" in schema:
            names = self.schema(schema["propertyNames"], resolver)
            checks.append(lambda instance: all(names(name) for name in instance))
        if "dependentRequired" in schema:
            checks.append(dependent_required(schema["dependentRequired"]))
        if "dependentSchemas" in schema:
            dependent = [
                (name, self.schema(each, resolver))
                for name, each in mapping(schema["dependentSchemas"]).items()
            ]
            checks.append(
                lambda instance: all(
                    check(instance) for name, check in dependent if name in instance
                )
            )
        return checks

    def _properties(self, properties: Mapping[str, Any], resolver: Resolver[Any]) -> Predicate:
        compiled = [(name, self.schema(each, resolver)) for name, each in properties.items()]
        pairs = tuple((name, check) for name, check in compiled if check is not always)

        def each_property(instance: dict[Any, Any]) -> bool:
            for name, check in pairs:
                if name in instance and not check(instance[name]):
                    return False
            return True

        return each_property

    def _pattern_properties(
        self, patterns: Mapping[str, Any], resolver: Resolver[Any]
    ) -> Predicate:
        compiled = [
            (search(pattern), self.schema(each, resolver)) for pattern, each in patterns.items()
        ]

        def pattern_properties(instance: dict[Any, Any]) -> bool:
            for matches, check in compiled:
                for name, value in instance.items():
                    if matches(name) and not check(value):
                        return False
            return True

        return pattern_properties

    def _additional(
        self,
        additional: Any,
        properties: Mapping[str, Any],
        patterns: Mapping[str, Any],
        resolver: Resolver[Any],
    ) -> Predicate:
        if additional is True:
            return always
        named = frozenset(properties)
        searches = [search(pattern) for pattern in patterns]
        if additional is False and not searches:
            return lambda instance: instance.keys() <= named

        def extra(name: Any) -> bool:
            return name not in named and not any(matches(name) for matches in searches)

        if additional is False:
            return lambda instance: not any(extra(name) for name in instance)
        check = self.schema(additional, resolver)
        return lambda instance: all(check(value) for name, value in instance.items() if extra(name))

    def _array(self, schema: dict[str, Any], resolver: Resolver[Any]) -> list[Predicate]:
        checks = sizes(schema, "minItems", "maxItems")
        if "items" in schema:
            item = self.schema(schema["items"], resolver)
            if item is not always:
                checks.append(lambda instance: all(item(each) for each in instance))
        if "contains" in schema:
            checks.append(self._contains(schema, resolver))
        if "uniqueItems" in schema:
            distinct = schema["uniqueItems"]
            if not isinstance(distinct, bool):
                raise Refused
            if distinct:
                checks.append(unique)
        return checks

    def _contains(self, schema: dict[str, Any], resolver: Resolver[Any]) -> Predicate:
        matches = self.schema(schema["contains"], resolver)
        least = bound(schema.get("minContains", 1))
        most = bound(schema["maxContains"]) if "maxContains" in schema else None

        def contains(instance: list[Any]) -> bool:
            found = 0
            limit = len(instance) if most is None else most
            for each in instance:
                if matches(each):
                    found += 1
                    if found > limit:
                        return False
            return not found < least

        return contains

    def _string(self, schema: dict[str, Any]) -> list[Predicate]:
        checks = sizes(schema, "minLength", "maxLength")
        if "pattern" in schema:
            checks.append(search(schema["pattern"]))
        return checks


def _guarded(kind: type, checks: list[Predicate]) -> list[Predicate]:
    """Checks that apply only to instances of `kind`, as one predicate passing anything else."""
    every = all_of(checks)
    if every is always:
        return []

    def guarded(instance: Any) -> bool:
        return not isinstance(instance, kind) or every(instance)

    return [guarded]
