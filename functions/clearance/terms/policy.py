"""Provider policies: a provider's terms read from data, compiled once, and used to recognise it.

A provider's terms change over time: each contract version is its own file with the moment it
takes effect (and may end), all versions are kept, and the one in force at the moment of a
decision governs it. A decision names the exact text it used by its SHA-256, so it can be replayed.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Any, Literal

from clearance.contracts.schemas import Checker, compile_checker, schema_dir
from clearance.ingest.article import Article
from clearance.terms import odrl
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
    variants: tuple[str, ...] = ()
    replaces: str | None = None


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
    origins: tuple[str, ...] = ()

    def score(self, article: Article) -> int:
        """How strongly an article looks like this provider's; 0 means not at all."""
        uri = article.get("uri") or ""
        score = 4 * any(uri.startswith(prefix) for prefix in self.uri_prefixes)
        score += 2 * _folded_in(article.get("copyright_holder"), self.copyright_holders)
        score += 2 * _folded_in(article.get("credit_line"), self.credit_lines)
        score += 2 * _folded_in(article.get("dateline_credit"), self.dateline_credits)
        score += 3 * _folded_in(article.get("origin"), self.origins)
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
            origins=folded("origins"),
        )


def _folded_in(value: str | None, folded: tuple[str, ...]) -> bool:
    return value is not None and value.strip().casefold() in folded


@dataclass(frozen=True, slots=True)
class FeedRestriction:
    """A restriction a feed writes into one article ("TURKEY OUT"), naming territories."""

    id: str
    description: str
    field: str
    pattern: str
    aliases: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Wording:
    """What one of the provider's own phrases means where it writes rights in words."""

    id: str
    description: str
    pattern: str
    means: Literal["accepted", "no-modification", "hold"]


@dataclass(frozen=True, slots=True)
class MediaTerms:
    """Which associated media (pictures, video, graphics) the licence covers, and what else does.

    `covered` holds copyright holders, case-folded, besides the provider's own.
    """

    covered: tuple[str, ...] = ()
    otherwise: Literal["drop", "hold"] = "drop"
    unattributed: Literal["own", "otherwise"] = "otherwise"
    images: tuple[str, ...] = ()
    """RE2 patterns of picture addresses inside a body that the licence covers."""


@dataclass(frozen=True, slots=True)
class Policy:
    id: str
    name: str
    version: str
    effective: datetime
    sha256: str
    recognise: Recognise
    rules: tuple[Rule, ...]
    requirements: Checker
    notices: tuple[Notice, ...]
    constraints: Mapping[str, Any]
    cleared: Checker
    document: Mapping[str, Any] = field(repr=False)
    raw: bytes = field(default=b"", repr=False)
    until: datetime | None = None
    licence: tuple[odrl.Rule, ...] = ()
    feed_restrictions: tuple[FeedRestriction, ...] = ()
    wording: tuple[Wording, ...] = ()
    media: MediaTerms = field(default_factory=MediaTerms)
    review_sources: tuple[str, ...] = ()

    @property
    def ref(self) -> dict[str, str]:
        return {"id": self.id, "version": self.version, "sha256": self.sha256}

    def in_force_at(self, moment: datetime) -> bool:
        return self.effective <= moment and (self.until is None or moment < self.until)


def policy_from_document(document: Mapping[str, Any], raw: bytes) -> Policy:
    """Compile a policy already checked by `clearance.terms.lint`."""
    rules = tuple(
        Rule(rule["x-rule-id"], rule["description"], rule.get("x-outcome") == "held")
        for rule in document["requirements"]["allOf"]
    )
    notices = tuple(_notice(notice) for notice in document["notices"])
    media = document.get("associations", {})
    own = {holder.strip().casefold() for holder in media.get("covered", ())}
    return Policy(
        id=document["id"],
        name=document["name"],
        version=document["version"],
        effective=datetime.fromisoformat(document["effective"]),
        sha256=hashlib.sha256(raw).hexdigest(),
        recognise=Recognise.from_document(document["recognise"]),
        rules=rules,
        requirements=compile_checker(document["requirements"]),
        notices=notices,
        constraints=document["constraints"],
        cleared=compile_checker(document["cleared"]),
        document=document,
        raw=raw,
        until=datetime.fromisoformat(document["until"]) if "until" in document else None,
        licence=odrl.rules_from_policy(document["constraints"]),
        feed_restrictions=tuple(
            FeedRestriction(
                item["id"],
                item["description"],
                item["field"],
                item["pattern"],
                {name.casefold(): code for name, code in item.get("aliases", {}).items()},
            )
            for item in document.get("feed_restrictions", ())
        ),
        wording=tuple(
            Wording(item["id"], item["description"], item["pattern"], item["means"])
            for item in document.get("wording", ())
        ),
        media=MediaTerms(
            tuple(sorted(own)),
            media.get("otherwise", "drop"),
            media.get("unattributed", "otherwise"),
            tuple(media.get("images", ())),
        ),
        review_sources=tuple(
            source.strip().casefold() for source in document.get("sources", {}).get("review", ())
        ),
    )


def _notice(notice: Mapping[str, Any]) -> Notice:
    return Notice(
        id=notice["id"],
        kind=notice["kind"],
        placement=notice["placement"],
        text=notice.get("text"),
        source_field=notice.get("from"),
        delivered_in=notice.get("delivered_in", notice.get("from")),
        heading=notice.get("heading"),
        verbatim=notice.get("verbatim", True),
        link=notice.get("link"),
        variants=tuple(notice.get("variants", ())),
        replaces=notice.get("replaces"),
    )


def load_policy(path: Path, expected_id: str | None = None) -> Policy:
    raw = path.read_bytes()
    document, problems = lint_policy_bytes(raw, expected_id=expected_id or path.stem)
    if problems or document is None:
        raise PolicyError(str(path), problems)
    return policy_from_document(document, raw)


def default_policy_dir() -> Path:
    return schema_dir() / "providers"


def policy_files(directory: Path) -> dict[str, list[Path]]:
    """A provider is `<id>.json` (one version) or a folder `<id>/` holding a file per version."""
    files: dict[str, list[Path]] = {}
    for path in sorted(directory.glob("*.json")):
        files.setdefault(path.stem, []).append(path)
    for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
        files.setdefault(folder.name, []).extend(sorted(folder.glob("*.json")))
    return files


def history_problems(versions: Sequence[Policy]) -> list[str]:
    """Versions of one provider's terms must be distinct and must not start at the same moment."""
    problems = []
    seen: dict[str, Policy] = {}
    for policy in versions:
        other = seen.get(policy.version)
        if other is not None and other.sha256 != policy.sha256:
            problems.append(f"version '{policy.version}' is defined twice with different texts")
        seen[policy.version] = policy
        if policy.until is not None and policy.until <= policy.effective:
            problems.append(f"version '{policy.version}' ends before it takes effect")
    starts = Counter(policy.effective for policy in seen.values())
    problems += [
        f"{count} versions take effect at {moment.isoformat()}; which governs is ambiguous"
        for moment, count in sorted(starts.items())
        if count > 1
    ]
    return problems


@dataclass(frozen=True)
class PolicySet:
    """Every provider's terms, each as its versions ordered by when they take effect.

    A provider whose files are broken is kept as its problems, so it fails closed.
    """

    histories: Mapping[str, tuple[Policy, ...]]
    broken: Mapping[str, list[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, *directories: Path) -> PolicySet:
        """The shipped policies when no directory is given (part of the package, so read and
        compiled once per process: 15 versions take most of a second); later directories add
        versions."""
        if not directories:
            return _shipped()
        return cls.read(directories)

    @classmethod
    def read(cls, directories: Sequence[Path]) -> PolicySet:
        """Every policy file in `directories`, linted and compiled."""
        found: dict[str, dict[str, Policy]] = {}
        broken: dict[str, list[str]] = {}
        for directory in directories:
            for provider, paths in policy_files(directory).items():
                for path in paths:
                    try:
                        policy = load_policy(path, expected_id=provider)
                    except PolicyError as error:
                        broken.setdefault(provider, []).extend(error.problems)
                        continue
                    known = found.setdefault(provider, {})
                    if policy.sha256 in known:
                        continue
                    known[policy.sha256] = policy
        histories: dict[str, tuple[Policy, ...]] = {}
        for provider, by_sha in found.items():
            versions = tuple(sorted(by_sha.values(), key=lambda p: (p.effective, p.version)))
            problems = history_problems(versions)
            if problems:
                broken.setdefault(provider, []).extend(problems)
            elif provider not in broken:
                histories[provider] = versions
        return cls(histories, broken)

    @classmethod
    def of(cls, *policies: Policy) -> PolicySet:
        histories: dict[str, list[Policy]] = {}
        for policy in policies:
            histories.setdefault(policy.id, []).append(policy)
        return cls(
            {pid: tuple(sorted(v, key=lambda p: p.effective)) for pid, v in histories.items()}
        )

    @cached_property
    def policies(self) -> Mapping[str, Policy]:
        """The newest version of each provider's terms: what recognises and names a provider."""
        return {provider: versions[-1] for provider, versions in self.histories.items()}

    @cached_property
    def providers(self) -> frozenset[str]:
        """Every provider with a policy file, broken ones included (they fail closed)."""
        return frozenset(self.histories) | frozenset(self.broken)

    @cached_property
    def _recognisers(self) -> Mapping[str, tuple[Recognise, ...]]:
        """Each provider's distinct recognition signals across its versions."""
        return {
            pid: tuple(dict.fromkeys(policy.recognise for policy in versions))
            for pid, versions in self.histories.items()
        }

    def namespace_of(self, uri: str) -> dict[str, str]:
        """The providers whose terms claim the uri's namespace (a uri prefix), with the prefix."""
        return {
            pid: prefix
            for pid, recognisers in self._recognisers.items()
            for recognise in recognisers
            for prefix in recognise.uri_prefixes
            if uri.startswith(prefix)
        }

    def in_force(self, provider: str, moment: datetime) -> Policy | None:
        """The version of a provider's terms that governs a decision made at `moment`."""
        return in_force(self.histories.get(provider, ()), moment)

    def by_sha256(self, sha256: str) -> Policy | None:
        return next(
            (p for versions in self.histories.values() for p in versions if p.sha256 == sha256),
            None,
        )

    @cached_property
    def disclaimer_headings(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(
                heading
                for versions in self.histories.values()
                for policy in versions
                for heading in policy.recognise.disclaimer_headings
            )
        )

    def recognise(self, article: Article) -> list[tuple[str, int]]:
        """Providers the article looks like, best first (by any version of their terms)."""
        scores = [
            (pid, max(signals.score(article) for signals in recognisers))
            for pid, recognisers in self._recognisers.items()
        ]
        return sorted(
            ((pid, s) for pid, s in scores if s > 0), key=lambda item: (-item[1], item[0])
        )


def in_force(versions: Sequence[Policy], moment: datetime) -> Policy | None:
    """The latest version that has taken effect and not ended by `moment`."""
    return next((p for p in reversed(versions) if p.in_force_at(moment)), None)


@cache
def _shipped() -> PolicySet:
    return PolicySet.read((default_policy_dir(),))
