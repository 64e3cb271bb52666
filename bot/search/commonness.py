"""How common a word is in everyday language, so that everyday words weigh less as evidence of a topic.

The talks loaded are few, so how rare a word is among their passages (idf) says little about whether a match
means anything: with three talks, "night" or 今天 is as rare as "enemies" or 预训练. A match on a word people
use every day ("good", "last night", 今天天气) is weak evidence that a question is about a talk; a match on a
word seldom used outside its subject is strong. Frequencies come from the wordfreq package (its small
English and Chinese lists, words used at least about once in a million), for any talk and any question.
"""

from __future__ import annotations

import logging
import math
from functools import lru_cache

from bot.search.normalise import stems

log = logging.getLogger(__name__)

RARE_ZIPF = 4.0  # a word at most this common (once in 100,000 words) counts in full
EVERYDAY_ZIPF = 6.0  # a word this common (once in 1,000 words, like "good" or 今天) counts at the floor
FLOOR = 0.35  # what the most everyday word still weighs, as a share of its weight


def _share(zipf: float) -> float:
    """The weight share of a word of this Zipf frequency (log10 of its count per billion words)."""
    if zipf <= RARE_ZIPF:
        return 1.0
    return max(FLOOR, 1.0 - (1.0 - FLOOR) * (zipf - RARE_ZIPF) / (EVERYDAY_ZIPF - RARE_ZIPF))


@lru_cache(maxsize=1)
def _tables() -> tuple[dict[str, float], dict[str, float]]:
    """Zipf frequency of English stems (the most common word of each stem) and of Chinese words."""
    try:
        from wordfreq import get_frequency_dict
        english_words = get_frequency_dict("en", wordlist="small")
        chinese_words = get_frequency_dict("zh", wordlist="small")
    except (ImportError, OSError, ValueError) as exc:  # search still works, counting every word in full
        log.warning("word frequencies unavailable (%s); everyday words weigh like rare ones", exc)
        return {}, {}
    english: dict[str, float] = {}
    words = [w for w in english_words if w.isascii() and w.isalpha()]
    for word, key in zip(words, stems(words), strict=True):
        english[key] = max(english.get(key, 0.0), english_words[word])
    to_zipf = {w: math.log10(f * 1e9) for w, f in chinese_words.items() if f > 0}
    return {s: math.log10(f * 1e9) for s, f in english.items() if f > 0}, to_zipf


def load() -> None:
    """Read the frequency lists now (a search engine does, so that no question waits for them)."""
    _tables()


def english_share(words: tuple[str, ...] | list[str]) -> float:
    """The weight share of an English word or phrase (as stems): its rarest word decides."""
    english = _tables()[0]
    return max((_share(english.get(s, 0.0)) for s in words), default=1.0)


def english_zipf(stem_: str) -> float:
    """How common an English word (as its stem) is: log10 of its count per billion words (0 when unlisted)."""
    return _tables()[0].get(stem_, 0.0)


def chinese_zipf(word: str) -> float:
    """How common a Chinese word or character is: log10 of its count per billion words (0 when unlisted)."""
    return _tables()[1].get(word, 0.0)


def chinese_share(word: str) -> float:
    """The weight share of a Chinese word or character pair; one no list has is rare and counts in full."""
    return _share(_tables()[1].get(word, 0.0))
