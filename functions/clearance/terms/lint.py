"""Checks a policy must pass before it governs anything: shape, ids, refs and regular expressions.

An engineer adding a provider runs `clearance policy lint`; the engine runs the same checks when it
loads policies and refuses (fails closed on) any policy that does not pass.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from clearance.contracts.pointers import error_pointer
from clearance.contracts.schemas import load_schema, validator_for
from clearance.ingest.strictjson import JsonBodyError, parse_json
from clearance.terms.notices import PLACEHOLDER
from clearance.terms.regexlint import find_unsafe_patterns


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
    problems += _placeholders(document)
    for section in ("requirements", "cleared"):
        problems += [
            f"/{section}{unsafe.pointer}: unsafe pattern {unsafe.pattern!r}: {unsafe.reason}"
            for unsafe in find_unsafe_patterns(document[section])
        ]
    return document, problems


def lint_policy_file(path: Path) -> list[str]:
    _, problems = lint_policy_bytes(path.read_bytes(), expected_id=path.stem)
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
