"""ODRL as a news item carries it (ninjs `rightsInfo.encodedRights`), read into licence rules.

Two encodings are met in real feeds: ODRL 2.2 JSON-LD (`permission`, `prohibition`,
`obligation`, `constraint` with `leftOperand`) and the ODRL 2.0 JSON that the IPTC ninjs examples
use (`policytype`, `permissions`, `prohibitions`). Anything outside the vocabulary `odrl` reads
is `Unintelligible`, so the article is held rather than cleared on a rule nobody read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from clearance.ingest.strictjson import JsonBodyError, parse_json
from clearance.terms.odrl import (
    Rule,
    RuleKind,
    Unintelligible,
    entries,
    read_actions,
    read_rules,
    short_term,
)

POLICY_TYPES = frozenset({"Set", "Offer", "Agreement", "Policy"})
_ENCODED_SECTIONS: tuple[tuple[RuleKind, tuple[str, ...]], ...] = (
    ("permission", ("permission", "permissions")),
    ("prohibition", ("prohibition", "prohibitions")),
    ("duty", ("obligation", "obligations", "duties", "duty")),
)


def read_encoded_rights(text: str) -> tuple[Rule, ...]:
    """The rules of ODRL carried in an item (ODRL 2.2 JSON-LD, or the ODRL 2.0 JSON of ninjs).

    Rule ids are `{kind}-{index}`, numbered per kind in document order; duties attached to a
    permission are numbered with the policy's obligations.
    """
    try:
        document = parse_json(text)
    except JsonBodyError as error:
        raise Unintelligible(
            "encoded rights", "", f"encoded rights are not valid JSON: {error}"
        ) from error
    if not isinstance(document, dict):
        raise Unintelligible("encoded rights", "", "encoded rights are not a JSON object")
    _check_policy_type(document)
    for key in ("inheritFrom", "constraint", "constraints"):
        if key in document:
            raise Unintelligible(f"policy-level {key!r}", f"/{key}")
    default_action = document.get("action")
    numbering: Counter[str] = Counter()

    def numbered(kind: str, entry: Mapping[str, Any], pointer: str, action: object) -> list[str]:
        count = len(read_actions(entry.get("action", action), f"{pointer}/action"))
        first = numbering[kind]
        numbering[kind] += count
        return [f"{kind}-{first + n}" for n in range(count)]

    rules: list[Rule] = []
    for kind, keys in _ENCODED_SECTIONS:
        for key in keys:
            for index, entry in enumerate(entries(document.get(key), f"/{key}")):
                pointer = f"/{key}/{index}"
                ids = numbered(kind, entry, pointer, default_action)
                rules += read_rules(entry, kind, pointer, ids, default_action=default_action)
                for duty_key in ("duty", "duties"):
                    duties = entries(entry.get(duty_key), f"{pointer}/{duty_key}")
                    for number, duty in enumerate(duties):
                        here = f"{pointer}/{duty_key}/{number}"
                        rules += read_rules(duty, "duty", here, numbered("duty", duty, here, None))
    if not rules:
        raise Unintelligible("a policy with no rules", "", "the encoded rights hold no rules")
    return tuple(rules)


def _check_policy_type(document: Mapping[str, Any]) -> None:
    for key in ("@type", "type", "policytype"):
        if key in document:
            raw = document[key]
            policy_type = short_term(raw) if isinstance(raw, str) else None
            if policy_type not in POLICY_TYPES:
                raise Unintelligible(f"policy type {raw!r}", f"/{key}")
            return
