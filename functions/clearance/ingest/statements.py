"""What a wire item states about its rights and lifecycle, gathered from wherever its format
puts them (NITF, NewsML 1.x): each statement lands in its article member, and what fits none is
kept as a rights note, never dropped."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from clearance.ingest.article import PubStatus, RightsNote
from clearance.ingest.times import canonical, parse

_CANCELED = frozenset({"canceled", "cancelled", "withdrawn"})


@dataclass
class Statements:
    """What an item says about its rights and lifecycle, gathered wherever the format puts it:
    what fits no article member is kept as a rights note, never dropped."""

    notes: list[RightsNote] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    notices: list[tuple[str, str]] = field(default_factory=list)
    ed_notes: list[str] = field(default_factory=list)
    signals: list[str] = field(default_factory=list)
    embargo: str | None = None
    expires: str | None = None

    def note(self, source: str, text: str | None) -> None:
        words = (text or "").strip()
        entry: RightsNote = {"source": source, "text": words}
        if words and entry not in self.notes:
            self.notes.append(entry)

    def party(self, name: str | None, unless: str | None = None) -> None:
        """A party whose content it is, unless it is the copyright holder already named."""
        name = (name or "").strip()
        known = {source.casefold() for source in self.sources}
        if name and name.casefold() not in known and name.casefold() != (unless or "").casefold():
            self.sources.append(name)

    def signal(self, name: str | None) -> None:
        word = (name or "").strip().lower()
        if word and word not in self.signals:
            self.signals.append(word)

    def ed_note(self, text: str | None) -> None:
        words = (text or "").strip()
        if words and words not in self.ed_notes:
            self.ed_notes.append(words)

    def starts(self, source: str, value: str | None, after: str | None = None) -> None:
        """A time before which the item may not be used; one not later than `after` (the
        item's own issue time) binds nothing. A value that is no time is kept in words."""
        moment = self._moment(source, value)
        if moment is None:
            return
        since = parse(after) if after else None
        if since is not None and moment[1] <= since:
            return
        self.embargo = _pick(self.embargo, moment[0], later=True)

    def ends(self, source: str, value: str | None) -> None:
        """A time after which the item may no longer be used: the earliest one stated binds."""
        moment = self._moment(source, value)
        if moment is not None:
            self.expires = _pick(self.expires, moment[0], later=False)

    def notice(self) -> str | None:
        """The first copyright notice written in words; any other becomes a rights note."""
        if not self.notices:
            return None
        first = self.notices[0][1]
        for source, text in self.notices[1:]:
            if text != first:
                self.note(source, text)
        return first

    def _moment(self, source: str, value: str | None) -> tuple[str, datetime] | None:
        text = canonical(value)
        if not text:
            return None
        moment = parse(text)
        if moment is None:
            self.note(source, value)
            return None
        return text, moment


def _pick(kept: str | None, other: str, *, later: bool) -> str:
    if kept is None:
        return other
    old, new = parse(kept), parse(other)
    if old is None or new is None:
        return kept
    return other if (new > old if later else new < old) else kept


def pub_status(status: str | None, embargo: str | None, issued: str | None) -> PubStatus:
    """A format's status word as a pub_status: an embargo counts only with a release time after
    the item was issued, and a word this reader does not know withholds the item."""
    word = (status or "").strip().lower()
    if word in ("", "usable"):
        return "usable"
    if word in _CANCELED:
        return "canceled"
    if word == "embargoed" and _lifts(embargo, issued):
        return "usable"
    return "withheld"


def _lifts(embargo: str | None, issued: str | None) -> bool:
    until = parse(embargo) if embargo else None
    since = parse(issued) if issued else None
    return until is not None and (since is None or until > since)
