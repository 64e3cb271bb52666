"""The bilingual glossary as lookup tables: English phrases → terms, Chinese terms → their synonyms."""

from __future__ import annotations

from collections.abc import Iterable

from bot.content.model import GlossaryEntry
from bot.search.normalise import english_words, is_cjk, normalise, runs


def _add(bucket: list[str], items: Iterable[str]) -> None:
    bucket.extend(i for i in items if i and i not in bucket)


class Glossary:
    """Every talk's glossary merged (identical entries count once).

    `phrases` maps an English phrase (a tuple of word stems) to the terms it stands for, in either language;
    `synonyms` maps a Chinese term to the other terms of its entries: other Chinese wordings and the English
    names, so a query in one wording or language finds passages in another.
    """

    def __init__(self, entries: Iterable[GlossaryEntry]) -> None:
        self.phrases: dict[tuple[str, ...], list[str]] = {}
        self.synonyms: dict[str, list[str]] = {}
        seen: set[tuple[tuple[str, ...], tuple[str, ...]]] = set()
        for entry in entries:
            if (entry.english, entry.chinese) in seen:
                continue
            seen.add((entry.english, entry.chinese))
            targets = [normalise(c) for c in entry.chinese]
            english = [normalise(e) for e in entry.english]
            for name in english:
                key = tuple(english_words(name))
                if key:
                    _add(self.phrases.setdefault(key, []), targets)
            for term in targets:
                if any(is_cjk(r) for r in runs(term)):
                    _add(self.synonyms.setdefault(term, []), [t for t in targets if t != term] + english)
        self.longest_phrase = max((len(k) for k in self.phrases), default=0)
        self.longest_term = max((len(t) for t in self.synonyms), default=0)
        self.words = frozenset(w for key in self.phrases for w in key)
