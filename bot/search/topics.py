"""What a talk is about, in both languages: the terms named in hints ("try asking about ...") and examples."""

from __future__ import annotations

import math
import re
from collections import Counter

from bot.content.model import Talk
from bot.search.dictionary import Dictionary
from bot.search.normalise import STOPWORDS_EN, normalise, stem

LANGUAGES = ("zh", "en")
_WORD = re.compile(r"[A-Za-z][A-Za-z-]{4,}")  # topic words in Latin script have five letters or more


def _rare_enough(hits: int, passages: int) -> bool:
    """Used in several passages but not in most: characteristic of the talk."""
    return 2 <= hits <= max(2, passages // 6)


def _glossary_topics(talk: Talk, texts: list[str]) -> list[tuple[float, str, str]]:
    """(score, Chinese, English) for the glossary terms the talk uses in several passages."""
    scored = []
    for entry in talk.glossary:
        zh, en = entry.chinese[0], entry.english[0]
        hits = sum(normalise(zh) in text or normalise(en) in text for text in texts)
        if len(zh) >= 2 and _rare_enough(hits, len(texts)):
            scored.append((hits * math.log(len(texts) / hits) * min(len(zh), 4), zh, en))
    return scored


def _word_topics(talk: Talk, dictionary: Dictionary) -> list[tuple[float, str, str]]:
    """(score, Chinese, English) for the talk's characteristic Latin words, translated by the dictionary."""
    df: Counter[str] = Counter()
    surface: dict[str, Counter[str]] = {}
    for passage in talk.passages:
        seen = set()
        for word in _WORD.findall(passage.text):
            key = stem(word.casefold())
            if key in STOPWORDS_EN:
                continue
            surface.setdefault(key, Counter())[word.casefold()] += 1
            seen.add(key)
        df.update(seen)
    n = len(talk.passages)
    summary = {stem(w.casefold()) for point in talk.key_points for w in _WORD.findall(point)}
    scored = []
    for key, hits in df.items():
        if _rare_enough(hits, n) and key in summary:  # the key points say what matters
            en = surface[key].most_common(1)[0][0]
            chinese = dictionary.words.get((key,), [])
            plain = chinese[0] if 1 <= len(chinese) <= 3 else en  # a word of many renderings is named as written
            scored.append((hits * math.log(n / hits) * min(len(en), 8) / 2, plain, en))
    return scored


def talk_topics(talk: Talk, dictionary: Dictionary | None = None, count: int = 8) -> dict[str, list[str]]:
    """Up to `count` terms per language that characterise a talk (glossary terms first, then its own words)."""
    texts = [normalise(p.text) for p in talk.passages]
    scored = sorted(_glossary_topics(talk, texts), key=lambda x: (-x[0], x[1]))
    if len(scored) < count and dictionary is not None:
        scored += sorted(_word_topics(talk, dictionary), key=lambda x: (-x[0], x[2]))
    chosen: dict[str, list[str]] = {lang: [] for lang in LANGUAGES}
    for _, zh, en in scored:
        for lang, term in (("zh", zh), ("en", en)):
            kept = chosen[lang]
            if term and len(kept) < count and not any(term in other or other in term for other in kept):
                kept.append(term)
    return chosen


class TopicCache:
    """Each talk's topics, worked out the first time a hint asks for them, so a start with many talks stays fast."""

    def __init__(self, talks: tuple[Talk, ...] | list[Talk], dictionary: Dictionary | None,
                 known: TopicCache | None = None) -> None:
        self.talks = tuple(talks)
        self.dictionary = dictionary
        self._done: dict[int, dict[str, list[str]]] = {}
        if known is not None:  # an unchanged talk (the same object) keeps what was worked out for it
            alive = {id(talk) for talk in self.talks}
            self._done = {key: value for key, value in known._done.items() if key in alive}

    def of(self, talk: Talk) -> dict[str, list[str]]:
        """The talk's topics per language (computed once)."""
        key = id(talk)
        if key not in self._done:
            self._done[key] = talk_topics(talk, self.dictionary)
        return self._done[key]
