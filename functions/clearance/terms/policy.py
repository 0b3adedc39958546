"""Provider policies: a provider's terms read from data, compiled once, and used to recognise it."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from jsonschema.protocols import Validator

from clearance.contracts.schemas import compile_schema, schema_dir
from clearance.ingest.article import Article
from clearance.terms.lint import lint_policy_bytes

Placement = Literal["dateline", "byline", "start", "end"]


class PolicyError(ValueError):
    """A policy that cannot be used; `problems` lists every reason."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Notice:
    id: str
    kind: str
    placement: Placement
    text: str | None = None
    source_field: str | None = None
    delivered_in: str | None = None
    heading: str | None = None
    verbatim: bool = True
    link: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    description: str
    holds: bool


@dataclass(frozen=True, slots=True)
class Recognise:
    """Signals of a provider; names are stored case-folded, as they are compared."""

    uri_prefixes: tuple[str, ...] = ()
    copyright_holders: tuple[str, ...] = ()
    credit_lines: tuple[str, ...] = ()
    dateline_credits: tuple[str, ...] = ()
    disclaimer_headings: tuple[str, ...] = ()

    def score(self, article: Article) -> int:
        """How strongly an article looks like this provider's; 0 means not at all."""
        uri = article.get("uri") or ""
        score = 4 * any(uri.startswith(prefix) for prefix in self.uri_prefixes)
        score += 2 * _folded_in(article.get("copyright_holder"), self.copyright_holders)
        score += 2 * _folded_in(article.get("credit_line"), self.credit_lines)
        score += 2 * _folded_in(article.get("dateline_credit"), self.dateline_credits)
        score += 1 * bool(article.get("disclaimer") and self.disclaimer_headings)
        return score

    @classmethod
    def from_document(cls, document: Mapping[str, list[str]]) -> Recognise:
        def folded(key: str) -> tuple[str, ...]:
            return tuple(value.strip().casefold() for value in document.get(key, ()))

        return cls(
            uri_prefixes=tuple(document.get("uri_prefixes", ())),
            copyright_holders=folded("copyright_holders"),
            credit_lines=folded("credit_lines"),
            dateline_credits=folded("dateline_credits"),
            disclaimer_headings=tuple(document.get("disclaimer_headings", ())),
        )


def _folded_in(value: str | None, folded: tuple[str, ...]) -> bool:
    return value is not None and value.strip().casefold() in folded


@dataclass(frozen=True, slots=True)
class Policy:
    id: str
    name: str
    version: str
    effective: datetime
    sha256: str
    recognise: Recognise
    rules: tuple[Rule, ...]
    requirements: Validator
    notices: tuple[Notice, ...]
    constraints: Mapping[str, Any]
    cleared: Validator
    document: Mapping[str, Any] = field(repr=False)

    @property
    def ref(self) -> dict[str, str]:
        return {"id": self.id, "version": self.version, "sha256": self.sha256}


def policy_from_document(document: Mapping[str, Any], raw: bytes) -> Policy:
    """Compile a policy already checked by `clearance.terms.lint`."""
    rules = tuple(
        Rule(rule["x-rule-id"], rule["description"], rule.get("x-outcome") == "held")
        for rule in document["requirements"]["allOf"]
    )
    notices = tuple(
        Notice(
            id=notice["id"],
            kind=notice["kind"],
            placement=notice["placement"],
            text=notice.get("text"),
            source_field=notice.get("from"),
            delivered_in=notice.get("delivered_in", notice.get("from")),
            heading=notice.get("heading"),
            verbatim=notice.get("verbatim", True),
            link=notice.get("link"),
        )
        for notice in document["notices"]
    )
    return Policy(
        id=document["id"],
        name=document["name"],
        version=document["version"],
        effective=datetime.fromisoformat(document["effective"]),
        sha256=hashlib.sha256(raw).hexdigest(),
        recognise=Recognise.from_document(document["recognise"]),
        rules=rules,
        requirements=compile_schema(document["requirements"]),
        notices=notices,
        constraints=document["constraints"],
        cleared=compile_schema(document["cleared"]),
        document=document,
    )


def load_policy(path: Path) -> Policy:
    raw = path.read_bytes()
    document, problems = lint_policy_bytes(raw, expected_id=path.stem)
    if problems or document is None:
        raise PolicyError(str(path), problems)
    return policy_from_document(document, raw)


def default_policy_dir() -> Path:
    return schema_dir() / "providers"


@dataclass(frozen=True)
class PolicySet:
    """Every policy in a directory; a broken file is kept as its problems, so it fails closed."""

    policies: Mapping[str, Policy]
    broken: Mapping[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, directory: Path | None = None) -> PolicySet:
        policies: dict[str, Policy] = {}
        broken: dict[str, list[str]] = {}
        for path in sorted((directory or default_policy_dir()).glob("*.json")):
            try:
                policies[path.stem] = load_policy(path)
            except PolicyError as error:
                broken[path.stem] = error.problems
        return cls(policies, broken)

    @property
    def providers(self) -> frozenset[str]:
        """Every provider with a policy file, broken ones included (they fail closed)."""
        return frozenset(self.policies) | frozenset(self.broken)

    @property
    def disclaimer_headings(self) -> tuple[str, ...]:
        return tuple(
            heading
            for policy in self.policies.values()
            for heading in policy.recognise.disclaimer_headings
        )

    def recognise(self, article: Article) -> list[tuple[str, int]]:
        """Providers the article looks like, best first."""
        scores = [(pid, policy.recognise.score(article)) for pid, policy in self.policies.items()]
        return sorted(
            ((pid, s) for pid, s in scores if s > 0), key=lambda item: (-item[1], item[0])
        )
