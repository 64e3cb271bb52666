"""Talks as loaded from content/: passages, quotable sentences, key points and glossary."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Role = Literal["speaker", "questioner", "host", "editorial"]

# A sentence ends at 。！？!? or at a period followed by a space, keeping the closing quote marks after it.
_END = re.compile(r"[。！？!?]+[”’」』\"')]*|\.+[”’\"')]*(?=\s|$)")
# A period after these is not the end of a sentence (Mr. Smith, the U.S. Senate, e.g. this).
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "mt", "ft", "vs", "etc", "e.g", "i.e", "cf", "no", "vol",
    "fig", "gen", "gov", "sen", "rep", "rev", "hon", "col", "lt", "capt", "sgt", "inc", "ltd", "co", "corp", "jan",
    "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "approx", "dept", "est",
})
_WORD_BEFORE = re.compile(r"([A-Za-z][A-Za-z.]*)$")
QUOTE_MIN_CHARS = 12
QUOTE_MAX_CHARS = 160


@dataclass(frozen=True, slots=True)
class Passage:
    """One paragraph of a talk, the unit /ask returns."""

    key: str  # "<talk id>/<n>", n counts every searchable paragraph of the talk from 1
    talk_id: str
    section: str
    number: int  # paragraph number within its section, from 1
    role: Role
    speaker: str  # who says it, as shown in citations
    text: str
    line: int  # line in the talk file where the paragraph starts
    start: int | None = None  # seconds into the recording where it is said, from a [m:ss] mark


@dataclass(frozen=True, slots=True)
class GlossaryEntry:
    """A term in English and Chinese; queries in one language find passages in the other."""

    english: tuple[str, ...]
    chinese: tuple[str, ...]
    line: int


@dataclass(frozen=True, slots=True)
class TalkHeader:
    """The required header fields of a talk file (what an import is told about a recording)."""

    id: str
    title: str
    speaker: str
    event: str
    date: str
    language: str
    source: str


@dataclass(frozen=True, slots=True)
class Talk(TalkHeader):
    """A talk file, validated."""

    path: str
    key_points: tuple[str, ...]
    sections: tuple[str, ...]
    passages: tuple[Passage, ...]
    glossary: tuple[GlossaryEntry, ...] = ()
    aliases: tuple[str, ...] = ()
    credits: tuple[tuple[str, str], ...] = ()
    editorial: tuple[str, ...] = field(default=())
    name_lines: tuple[tuple[str, int], ...] = field(default=(), compare=False)  # id and aliases, with their line
    speaker_names: tuple[str, ...] = ()  # other names of the speaker people use in questions (any language)
    pronoun: str = ""  # how questions refer to the speaker: he, she or they (empty: not given)

    def quotes(self) -> list[Quote]:
        """The speaker's quotable sentences, in talk order."""
        out: list[Quote] = []
        for passage in self.passages:
            if passage.role != "speaker":
                continue
            for sentence in split_sentences(passage.text):
                if QUOTE_MIN_CHARS <= len(sentence) <= QUOTE_MAX_CHARS:
                    out.append(Quote(f"{passage.key}#{len(out) + 1}", sentence, passage))
        return out


@dataclass(frozen=True, slots=True)
class Quote:
    """A sentence of the speaker that stands on its own."""

    key: str
    text: str
    passage: Passage


def _ends_sentence(text: str, start: int, end: int) -> bool:
    """Whether the end mark at text[start:end] closes a sentence (a period after an abbreviation does not)."""
    if text[start] != "." or (end - start > 1 and text[start + 1] == "."):
        return True
    rest = text[end:].lstrip()
    if rest and rest[0].islower():  # "a 3 p.m. meeting", "and so on. and": the sentence goes on
        return False
    word = _WORD_BEFORE.search(text[:start])
    if word is None:
        return True
    token = word.group(1)
    if (len(token) == 1 and token.isupper()) or "." in token:  # an initial (Quoc V. Le) or U.S.
        return False
    return token.casefold() not in _ABBREVIATIONS


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph (Chinese and Latin end marks, periods but not abbreviations), stripped."""
    out: list[str] = []
    begin = 0
    for mark in _END.finditer(text):
        if _ends_sentence(text, mark.start(), mark.end()):
            out.append(text[begin : mark.end()].strip())
            begin = mark.end()
    out.append(text[begin:].strip())
    return [s for s in out if s]


class Library:
    """All loaded talks, with lookups by id, alias and passage key."""

    def __init__(self, talks: list[Talk]) -> None:
        self.talks: tuple[Talk, ...] = tuple(sorted(talks, key=lambda t: (t.date, t.id)))
        self._by_name: dict[str, Talk] = {}
        for talk in self.talks:
            for name in (talk.id, *talk.aliases):
                self._by_name.setdefault(name.casefold(), talk)
        self.passages: tuple[Passage, ...] = tuple(p for t in self.talks for p in t.passages)
        self._by_key = {p.key: i for i, p in enumerate(self.passages)}
        self.quotes: tuple[Quote, ...] = tuple(q for t in self.talks for q in t.quotes())

    def talk(self, name: str) -> Talk | None:
        """The talk with this id or alias (case-insensitive), or None."""
        return self._by_name.get(name.strip().casefold())

    def by_id(self, talk_id: str) -> Talk:
        """The talk with this exact id."""
        return self._by_name[talk_id.casefold()]

    def passage(self, key: str) -> Passage | None:
        """The passage with this key, or None."""
        index = self._by_key.get(key)
        return None if index is None else self.passages[index]

    def neighbours(self, key: str, before: int = 1, after: int = 1) -> list[Passage]:
        """The passage with this key and its neighbours in the same talk and section."""
        index = self._by_key.get(key)
        if index is None:
            return []
        centre = self.passages[index]
        window = self.passages[max(0, index - before) : index + after + 1]
        return [p for p in window if p.talk_id == centre.talk_id and p.section == centre.section]
