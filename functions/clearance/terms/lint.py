"""Checks a policy must pass before it governs anything: shape, ids, refs and regular expressions.

An engineer adding a provider runs `clearance policy lint`; the engine runs the same checks when it
loads policies and refuses (fails closed on) any policy that does not pass.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from clearance.contracts.pointers import error_pointer
from clearance.contracts.re2validator import UnsupportedPatternError, compile_re2
from clearance.contracts.schemas import load_schema, validator_for
from clearance.contracts.territory import TerritoryError, territory_code
from clearance.ingest.strictjson import JsonBodyError, parse_json
from clearance.terms.notices import PLACEHOLDER
from clearance.terms.regexlint import find_unsafe_patterns
from clearance.terms.rulelint import constraint_problems


def lint_policy_bytes(
    raw: bytes, expected_id: str | None = None
) -> tuple[dict[str, Any] | None, list[str]]:
    """The parsed policy (when it parses) and every problem found, as readable sentences."""
    try:
        document = parse_json(raw)
    except JsonBodyError as error:
        return None, [f"not valid JSON: {error}"]
    if not isinstance(document, dict):
        return None, ["a policy is a JSON object"]
    problems = [
        f"{error_pointer(error) or '/'}: {error.message}"
        for error in validator_for("policy.schema.json").iter_errors(document)
    ]
    if problems:
        return document, sorted(problems)
    if expected_id is not None and document["id"] != expected_id:
        problems.append(
            f"/id: '{document['id']}' does not match the file name '{expected_id}.json'"
        )
    problems += _duplicate_ids(document)
    problems += _remote_refs(document)
    problems += _dangling_refs(document)
    problems += _placeholders(document)
    problems += _notice_forms(document)
    problems += [_as_pointer(problem) for problem in constraint_problems(document["constraints"])]
    problems += _feed_restrictions(document)
    problems += _wording(document)
    for section in ("requirements", "cleared"):
        problems += [
            f"/{section}{unsafe.pointer}: unsafe pattern {unsafe.pattern!r}: {unsafe.reason}"
            for unsafe in find_unsafe_patterns(document[section])
        ]
    return document, problems


def lint_policy_file(path: Path) -> list[str]:
    """A provider's file is `<id>.json`, or a version file in the provider's folder `<id>/`."""
    raw = path.read_bytes()
    document, problems = lint_policy_bytes(raw)
    if (
        document is not None
        and not problems
        and document["id"] not in (path.stem, path.parent.name)
    ):
        problems.append(
            f"/id: '{document['id']}' does not match the file name '{path.name}' (or, for a "
            f"version of a provider's terms, its folder '{path.parent.name}')"
        )
    return problems


def _duplicate_ids(document: Mapping[str, Any]) -> list[str]:
    rule_ids = Counter(rule["x-rule-id"] for rule in document["requirements"]["allOf"])
    notice_ids = Counter(notice["id"] for notice in document["notices"])
    return [
        f"/{where}: {kind} id '{name}' is used {count} times"
        for where, kind, counts in (
            ("requirements/allOf", "rule", rule_ids),
            ("notices", "notice", notice_ids),
        )
        for name, count in sorted(counts.items())
        if count > 1
    ]


def _remote_refs(document: Mapping[str, Any]) -> list[str]:
    """Only local fragments and the project's own schemas may be referenced: no network, ever."""
    local = {load_schema(name)["$id"] for name in ("article.schema.json", "cleared.schema.json")}
    return [
        f"{pointer}: $ref '{ref}' is not local (only '#...' and the project's own schemas)"
        for pointer, ref in _refs(document, "")
        if not (ref.startswith("#") or ref.split("#")[0] in local)
    ]


def _dangling_refs(document: Mapping[str, Any]) -> list[str]:
    """A `$ref` must lead somewhere: one pointing at nothing would fail only on an article."""
    ours = {
        schema["$id"]: schema
        for schema in map(load_schema, ("article.schema.json", "cleared.schema.json"))
    }
    problems = []
    for section in ("requirements", "cleared"):
        for pointer, ref in _refs(document[section], f"/{section}"):
            base, _, fragment = ref.partition("#")
            target = document[section] if not base else ours.get(base)
            if target is not None and fragment and not _resolves(target, fragment):
                problems.append(f"{pointer}: $ref '{ref}' points to nothing")
    return problems


def _resolves(schema: object, fragment: str) -> bool:
    """Whether a JSON pointer (`/a/0`) or an `$anchor` name is found in `schema`."""
    if not fragment.startswith("/"):
        return any(key == "$anchor" and value == fragment for key, value in _members(schema))
    node = schema
    for part in fragment[1:].split("/"):
        name = unquote(part).replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and name in node:
            node = node[name]
        elif isinstance(node, list) and name.isdigit() and int(name) < len(node):
            node = node[int(name)]
        else:
            return False
    return True


def _members(value: object) -> Iterator[tuple[str, object]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key), item
            yield from _members(item)
    elif isinstance(value, list):
        for item in value:
            yield from _members(item)


def _refs(value: object, pointer: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            here = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if key in ("$ref", "$dynamicRef") and isinstance(item, str):
                yield here, item
            else:
                yield from _refs(item, here)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _refs(item, f"{pointer}/{index}")


def _placeholders(document: Mapping[str, Any]) -> list[str]:
    fields = set(load_schema("article.schema.json")["properties"])
    return [
        f"/notices/{index}/{key}: unknown placeholder {{{name}}}"
        for index, notice in enumerate(document["notices"])
        for key in ("text", "link")
        for name in PLACEHOLDER.findall(notice.get(key, ""))
        if name not in fields
    ]


def _notice_forms(document: Mapping[str, Any]) -> list[str]:
    problems = []
    for index, notice in enumerate(document["notices"]):
        if notice.get("replaces") == "byline" and notice["placement"] != "byline":
            problems.append(
                f"/notices/{index}: a notice that replaces the byline must be placed in the byline"
            )
        for number, variant in enumerate(notice.get("variants", ())):
            if not PLACEHOLDER.search(variant):
                problems.append(
                    f"/notices/{index}/variants/{number}: a variant needs at least one {{slot}}"
                )
    return problems


def _feed_restrictions(document: Mapping[str, Any]) -> list[str]:
    problems = []
    for index, restriction in enumerate(document.get("feed_restrictions", ())):
        where = f"/feed_restrictions/{index}"
        try:
            compiled = compile_re2(restriction["pattern"])
        except UnsupportedPatternError as error:
            problems.append(f"{where}/pattern: {error.reason}")
        else:
            if b"territory" not in compiled.groupindex:
                problems.append(f"{where}/pattern: it has no named group 'territory'")
        for name, code in restriction.get("aliases", {}).items():
            try:
                territory_code(code)
            except TerritoryError as error:
                problems.append(f"{where}/aliases/{name}: {error}")
    return problems


def _wording(document: Mapping[str, Any]) -> list[str]:
    """Every pattern of the provider's own wording and of its covered pictures compiles in RE2."""
    patterns = [
        (f"/wording/{index}/pattern", wording["pattern"])
        for index, wording in enumerate(document.get("wording", ()))
    ]
    images = document.get("associations", {}).get("images", ())
    patterns += [(f"/associations/images/{index}", image) for index, image in enumerate(images)]
    problems = []
    for where, pattern in patterns:
        try:
            compile_re2(pattern)
        except UnsupportedPatternError as error:
            problems.append(f"{where}: {error.reason}")
    return problems


def _as_pointer(problem: str) -> str:
    """`constraints.prohibitions[0].constraint[1]: ...` as `/constraints/prohibitions/0/...`."""
    where, sep, message = problem.partition(": ")
    path = re.sub(r"\[(\d+)\]", r".\1", where).replace(".", "/")
    return f"/{path}{sep}{message}"
