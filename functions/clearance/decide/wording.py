"""Rights written in words, weighed: usage terms, editor's notes and the rights notes a format
carries ("NO USE IN THE UK. NOT FOR COMMERCIAL USE.", "Eds: TURKEY, GREECE OUT").

Each is cut into clauses and each clause is read three ways, in order: the provider's own
wording (its policy says what a phrase of its means: accepted, no modification, or a person must
look), the policy's feed restrictions, and the vocabulary below (territories excluded or alone
allowed, uses forbidden or alone allowed, no modification, an embargo, a kill). What a clause
restricts becomes ODRL rules judged like any other licence's, so the stricter always wins.

Fail closed: a clause of a rights field (usage terms, rights notes) that none of them reads holds
the article with a finding quoting it. An editor's note is mostly editorial chatter ("Eds: Adds
quotes") and a copyright notice mostly a name and a year, so only their clauses that carry words
of restriction are held when not understood (a feed's `<rights>NO USE IN THE UK</rights>` is).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from clearance.contracts.pointers import brief
from clearance.contracts.re2validator import compile_re2
from clearance.contracts.territory import TerritoryError, territory_code, territory_named
from clearance.decide.findings import Finding, Severity
from clearance.decide.licence import Verdict, named_territories
from clearance.decide.rights import Circumstances, judge
from clearance.ingest.article import Article
from clearance.terms.odrl import Constraint, Rule, RuleKind
from clearance.terms.policy import Policy

_I = re.IGNORECASE
_NAMES = r"(?P<names>[^:;!?()]{1,80}?)"
_NAMES_TO_END = r"(?P<names>[^:;!?()]{1,80})"
_TERRITORY_OUT = re.compile(r"(?:^|[:;]\s*)" + _NAMES + r"\s+out\b", _I)
_TERRITORY_DENIED = re.compile(
    r"\b(?:no\s+access|(?:no|not\s+for)\s+(?:use|sales?|distribution|publication|broadcast)"
    r"\s+in)\s+(?:the\s+)?" + _NAMES_TO_END,
    _I,
)
_TERRITORY_ONLY = re.compile(
    r"\b(?:not\s+for\s+(?:use|sales?|distribution|publication)\s+outside\s+(?:of\s+)?"
    r"|(?:for\s+)?(?:use|distribution|publication)\s+only\s+in\s+)"
    r"(?:the\s+)?" + _NAMES_TO_END,
    _I,
)
_USE = r"(?P<use>commercial|editorial|advertising|promotional|marketing|internal|news)"
_USE_DENIED = re.compile(
    r"\b(?:not\s+for|no)\s+" + _USE + r"\s+(?:use|usage|purposes?)\b|\bnon-?commercial\b", _I
)
_USE_ONLY = re.compile(
    r"(?<!not )\b(?:for\s+|only\s+for\s+)?" + _USE + r"\s+(?:use|usage|purposes?)\s+only\b",
    _I,
)
_NO_MODIFICATION = re.compile(
    r"\b(?:may|must|can|shall)\s+not\s+be\s+(?:changed|altered|edited|modified|amended)\b"
    r"|\bno[\s-]+derivatives?\b|\bno\s+(?:changes|alterations|edits|modifications)\b"
    r"|\bdo\s+not\s+(?:change|alter|edit|modify)\b|creativecommons\.org/licenses/[a-z-]*nd\b",
    _I,
)
_NO_COMMERCIAL_LICENCE = re.compile(r"creativecommons\.org/licenses/[a-z-]*nc\b", _I)
_OPEN_LICENCE = re.compile(
    r"creativecommons\.org/(?:licenses/by(?:-sa)?/|publicdomain/)|\bcreative\s+commons\b", _I
)
_RESTATED = re.compile(
    r"\bfor\s+(?:all\s+)?other\s+uses?\b.{0,40}\b(?:clearances?|rights|licen[cs]es?|permission)"
    r"\b.{0,20}\brequired\b|\ball\s+rights\s+reserved\b|\balle\s+rechte\s+vorbehalten\b"
    r"|^(?:©|\(c\)|copyright\b)",
    _I,
)
"""Clauses that only restate what the licence already says: other uses need other licences, the
work is someone's copyright."""
_EMBARGO = re.compile(
    r"\bembargo(?:ed)?\b|\bsperrfrist\b|\bnot\s+for\s+(?:public\s+)?release\b"
    r"|\bhold\s+for\s+release\b",
    _I,
)
_KILL = re.compile(
    r"\b(?:kills?|killed|eliminate|withdrawn?|withdraws|mandatory\s+kill)\b"
    r"|\bdo\s+not\s+(?:use|publish)\b",
    _I,
)
_RESTRICTIVE = re.compile(
    # Phrases that restrict, not bare negations ("kein Verbrechen" in a correction is none);
    # whole words, never part of an address ("Faktisk.no").
    r"(?<![\w.@/-])(?:"
    r"not\s+(?:for|to|be|before|until|in|on)|no\s+(?:use|access|sales?|archiv\w*|internet"
    r"|online|web|print|broadcast|tv|radio|reproduction|distribution|publication|resale)"
    r"|(?:must|may|can|shall)\s+not|do\s+not|must\s+be|only\s+(?:for|in|on|with|to|after|by)"
    r"|prohibited|forbidden|restrict\w*|exclusive\w*|without\s+(?:permission|consent|prior)"
    r"|permission|consent|licen[cs]\w*|rights|copyright|sperrfrist|sperrefrist"
    r"|nicht\s+(?:f[üu]r|vor|zur|im|in|ver[öo]ffentlich\w*|senden|verwenden|nutzen)"
    r"|keine\s+(?:ver[öo]ffentlichung|nutzung|verwendung)|kein\s+abdruck|verboten"
    r"|nur\s+(?:f[üu]r|mit|nach|zur|bei)|ausschlie\w*|honorarpflichtig"
    r"|ikke\s+(?:for|til|publiser\w*|anledning|bruk\w*)|kun\s+(?:for|til)|forbudt"
    r"|inte\s+(?:f[öo]r|publicera\w*)|endast\s+f[öo]r|f[öo]rbjuden|ei\s+saa|kielletty"
    r")(?![\w@/-]|\.\w)",
    _I,
)
_CLAUSE_END = re.compile(r"(?<=[.;!?])\s+")
_USES = {"advertising": "commercial", "promotional": "commercial", "marketing": "commercial"}
_LISTED = re.compile(r"\s*(?:,|/|&|\band\b|\bor\b)\s*", _I)


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause of a field that writes rights in words; `strict`: a rights field, where a
    clause nobody reads holds the article."""

    label: str
    pointer: str
    text: str
    strict: bool


def clauses(article: Article) -> Iterator[Clause]:
    """The clauses of every field that may write a restriction."""
    fields: list[tuple[str, str, str | None, bool]] = [
        ("usage terms", "/usage_terms", article.get("usage_terms"), True),
        ("editor's note", "/ed_note", article.get("ed_note"), False),
        ("copyright notice", "/copyright_notice", article.get("copyright_notice"), False),
    ]
    for index, note in enumerate(article.get("rights_notes") or ()):
        fields.append(
            (f"rights note ({note['source']})", f"/rights_notes/{index}/text", note["text"], True)
        )
    for label, pointer, text, strict in fields:
        for part in _CLAUSE_END.split(" ".join((text or "").split())):
            if part.strip(" .;!?"):
                yield Clause(label, pointer, part.strip(), strict)


def wording_verdict(article: Article, policy: Policy, circumstances: Circumstances) -> Verdict:
    findings: list[Finding] = []
    timed: list[Finding] = []
    for clause in clauses(article):
        rules, notes = _read(clause, article, policy)
        findings += notes
        if rules:
            judgement = judge(
                rules,
                circumstances,
                rule_prefix="wording",
                pointer=clause.pointer,
                who=f"the {clause.label}",
            )
            findings += judgement.findings
            timed += judgement.timed
    return Verdict(tuple(findings), None, tuple(timed))


def _read(clause: Clause, article: Article, policy: Policy) -> tuple[list[Rule], list[Finding]]:
    """The rules a clause states and the findings it raises; nothing when it is understood as
    harmless."""
    quoted = f"'{brief(clause.text)}'"
    own = _policy_wording(clause, policy, quoted)
    if own is not None:
        return own
    rules: list[Rule] = []
    findings: list[Finding] = []
    read = False
    for found in _territories(clause, quoted, policy):
        read = True
        if isinstance(found, Rule):
            rules.append(found)
        else:
            findings.append(found)
    uses = _use_rules(clause.text, quoted)
    read |= bool(uses)
    rules += uses
    if _NO_MODIFICATION.search(clause.text):
        read = True
        rules.append(Rule("prohibition", "modify", (), "no-modification", quoted))
    read |= bool(_OPEN_LICENCE.search(clause.text) or _RESTATED.search(clause.text))
    for check in (_embargo, _kill):
        found_in, finding = check(clause, article, quoted)
        read |= found_in
        findings += [finding] if finding else []
    if not read and (clause.strict or _RESTRICTIVE.search(clause.text)):
        findings.append(
            Finding(
                "wording.unknown",
                clause.pointer,
                Severity.MAJOR,
                f"the {clause.label} says {quoted}, which clearance cannot weigh against the "
                "licence; a person must read it",
            )
        )
    return rules, findings


def _use_rules(text: str, quoted: str) -> list[Rule]:
    """The uses a clause forbids, or allows alone, as rules on the licensee's purpose."""
    rules: list[Rule] = []
    uses: tuple[tuple[re.Pattern[str], RuleKind], ...] = (
        (_USE_DENIED, "prohibition"),
        (_USE_ONLY, "permission"),
    )
    for pattern, kind in uses:
        for match in pattern.finditer(text):
            use = _use_of(match.groupdict().get("use"))
            rules.append(
                Rule(
                    kind,
                    "use",
                    (Constraint("purpose", "eq", (use,)),),
                    f"use.{use}" if kind == "prohibition" else "use-only",
                    quoted,
                )
            )
    if _NO_COMMERCIAL_LICENCE.search(text):
        rules.append(
            Rule(
                "prohibition",
                "use",
                (Constraint("purpose", "eq", ("commercial",)),),
                "use.commercial",
                quoted,
            )
        )
    return rules


def _policy_wording(
    clause: Clause, policy: Policy, quoted: str
) -> tuple[list[Rule], list[Finding]] | None:
    for wording in policy.wording:
        if not compile_re2(wording.pattern).search(clause.text.encode()):
            continue
        if wording.means == "accepted":
            return [], []
        if wording.means == "no-modification":
            rule_id = f"no-modification.{wording.id}"
            return [Rule("prohibition", "modify", (), rule_id, quoted)], []
        return [], [
            Finding(
                f"wording.{wording.id}",
                clause.pointer,
                Severity.MAJOR,
                f"the {clause.label} says {quoted}: {wording.description}; a person must look",
            )
        ]
    return None


def _judged_by_feed(clause: Clause, policy: Policy) -> set[str]:
    """Territory names the policy's own feed restrictions already read in this clause (judged in
    `feed_verdict`, known or not), so they are not judged twice."""
    field = clause.pointer.strip("/").split("/")[0]
    return {
        name.casefold()
        for restriction in policy.feed_restrictions
        if restriction.field == field
        for name in named_territories(restriction, clause.text)
    }


def _territories(clause: Clause, quoted: str, policy: Policy) -> Iterator[Rule | Finding]:
    aliases = _aliases(policy)
    judged = _judged_by_feed(clause, policy)
    readings: tuple[tuple[re.Pattern[str], RuleKind], ...] = (
        (_TERRITORY_OUT, "prohibition"),
        (_TERRITORY_DENIED, "prohibition"),
        (_TERRITORY_ONLY, "permission"),
    )
    for pattern, kind in readings:
        for match in pattern.finditer(clause.text):
            names = [n for n in _names(match.group("names")) if n.casefold() not in judged]
            if not names:
                continue
            codes = [_code(name, aliases) for name in names]
            unknown = [name for name, code in zip(names, codes, strict=True) if code is None]
            if pattern is _TERRITORY_OUT and unknown and not match.group("names").isupper():
                continue
            if unknown:
                yield Finding(
                    "wording.territory",
                    clause.pointer,
                    Severity.MAJOR,
                    f"the {clause.label} says {quoted}, naming '{unknown[0]}', which is no "
                    "territory clearance knows; a person must check the licensee's territory",
                )
                continue
            known = tuple(sorted({code for code in codes if code}))
            rule_id = (
                f"territory-out.{'-'.join(known).lower()}"
                if kind == "prohibition"
                else "territory-only"
            )
            yield Rule(
                kind, "distribute", (Constraint("spatial", "isAnyOf", known),), rule_id, quoted
            )


def _embargo(clause: Clause, article: Article, quoted: str) -> tuple[bool, Finding | None]:
    if not _EMBARGO.search(clause.text):
        return False, None
    if article.get("embargoed_until"):
        return True, None
    return True, Finding(
        "wording.embargo",
        clause.pointer,
        Severity.MAJOR,
        f"the {clause.label} says {quoted}, an embargo with no time the article states; held "
        "until a person releases it",
    )


def _kill(clause: Clause, article: Article, quoted: str) -> tuple[bool, Finding | None]:
    if not _KILL.search(clause.text):
        return False, None
    if article.get("pub_status") == "canceled":
        return True, None
    return True, Finding(
        "wording.kill",
        clause.pointer,
        Severity.MAJOR,
        f"the {clause.label} says {quoted}; a person must check whether the provider withdrew "
        "the story",
    )


def _names(listed: str) -> list[str]:
    names = []
    for part in _LISTED.split(listed.strip(" .")):
        name = re.sub(r"^(?:the|eds|editors?)\s+", "", part.strip(" .'\""), flags=_I)
        if name:
            names.append(name)
    return names


def _code(name: str, aliases: Mapping[str, str]) -> str | None:
    if name.isupper() and len(name) in (2, 3):
        try:
            return territory_code(name)
        except TerritoryError:
            pass
    return territory_named(name, aliases)


def _use_of(word: str | None) -> str:
    folded = (word or "commercial").casefold()
    if folded == "news":
        return "editorial"
    return _USES.get(folded, folded)


def _aliases(policy: Policy) -> Mapping[str, str]:
    """Names the provider's feed restrictions define for territories (AP's 'HOLLAND')."""
    merged: dict[str, str] = {}
    for restriction in policy.feed_restrictions:
        merged.update(restriction.aliases)
    return merged
