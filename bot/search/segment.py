"""Cutting a run of Chinese characters into words, for any talk.

Chinese has no spaces, and reading words greedily from the left goes wrong where a word ends inside the
next one: 少喂点数据 read from the left gives 点数 ("points") and loses 数据 ("data"); 投机要 gives 机要
and loses 投机. Here the whole run is cut at once (dynamic programming) into the most likely sequence of
words, each word as likely as it is common in everyday Chinese (a unigram model on the wordfreq list, as
Chinese segmenters do): 点 + 数据 is far likelier than 点数 + 据. A word of the lexicon that the list lacks
counts as a rare word, or as likely as its likeliest cut into shorter words when that is likelier (the list
lacks many compounds: 美国人 then ties with 美国 + 人, and a tie goes to the longer word, which the dictionary
translates as a whole); a talk's glossary term or a chat form as a fairly common one, since the question
uses it on purpose. Question and filler characters (the mask) never sit inside a dictionary word; a
glossary term or a chat form may hold some, as long as it is not made of them alone (凉了).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

ZIPF_OF_ONE = 9.0  # Zipf frequency is log10 of a word's count per billion words: a word's log10 chance is zipf − 9
WORD_FLOOR = 2.5  # a dictionary word the frequency list lacks: rare
TERM_FLOOR = 4.0  # a glossary term or chat form the list lacks: the question chose it, so it is no rare accident
CHAR_FLOOR = 2.0  # a lone character the list lacks


class Kind(Enum):
    """Where a word of a query comes from, in the order that wins for the same characters."""

    TERM = "term"  # a talk's glossary term
    CHAT = "chat"  # a chat or internet form of the colloquial table
    WORD = "word"  # a dictionary or thesaurus word with translations or synonyms the passages can match
    PLAIN = "plain"  # a word of the dictionary without anything to match: it only marks word boundaries


@dataclass(frozen=True, slots=True)
class Word:
    """A word of a run: where it starts, its text and where it comes from."""

    start: int
    text: str
    kind: Kind

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def _allowed(kind: Kind, mask: Sequence[bool]) -> bool:
    """A dictionary word holds no filler character; a term or chat form is not made of filler alone."""
    return not all(mask) if kind in (Kind.TERM, Kind.CHAT) else not any(mask)


def segment(run: str, mask: Sequence[bool], kind_of: Callable[[str], Kind | None],
            zipf: Callable[[str], float], longest: int, joins: Sequence[bool] = ()) -> list[Word]:
    """The words (two characters or more) of the most likely cut of a run, in order; lone characters left out.

    `kind_of` says whether a string is a word and of which kind; `zipf` how common a word or character is in
    everyday Chinese (0 when unknown); `joins` where a character continues a filler word, so that no word
    starts or ends there (哪几个人 holds 几个 and 人, not 个人).
    """
    size = len(run)
    # best[i]: log10 chance of the best cut of run[:i], and its last word (None: a lone character)
    best: list[tuple[float, Word | None]] = [(0.0, None)]
    for end in range(1, size + 1):
        choice: tuple[float, Word | None] = (best[end - 1][0] + max(zipf(run[end - 1]), CHAR_FLOOR) - ZIPF_OF_ONE,
                                             None)
        for length in range(2, min(longest, end) + 1):
            start = end - length
            text = run[start:end]
            if joins and (joins[start] or joins[end]):
                continue
            kind = kind_of(text)
            if kind is None or not _allowed(kind, mask[start:end]):
                continue
            floor = TERM_FLOOR if kind in (Kind.TERM, Kind.CHAT) else WORD_FLOOR
            likely = max(zipf(text), floor) - ZIPF_OF_ONE
            if zipf(text) < floor and kind is not Kind.TERM and kind is not Kind.CHAT:
                likely = max(likely, _split_chance(text, zipf))  # 美国人 is as likely as 美国 + 人
            chance = best[start][0] + likely
            if chance >= choice[0]:
                choice = (chance, Word(start, text, kind))
        best.append(choice)
    words: list[Word] = []
    end = size
    while end > 0:
        word = best[end][1]
        if word is None:
            end -= 1
        else:
            words.append(word)
            end = word.start
    return words[::-1]


def _split_chance(word: str, zipf: Callable[[str], float]) -> float:
    """The log10 chance of the likeliest cut of a word into shorter ones the frequency list has, or characters."""
    best = [0.0]
    for end in range(1, len(word) + 1):
        choice = best[end - 1] + max(zipf(word[end - 1]), CHAR_FLOOR) - ZIPF_OF_ONE
        for start in range(end - 1):
            if (start, end) != (0, len(word)) and zipf(word[start:end]) > 0:
                choice = max(choice, best[start] + zipf(word[start:end]) - ZIPF_OF_ONE)
        best.append(choice)
    return best[-1]


def inside(words: Sequence[Word], size: int) -> list[bool]:
    """For each character pair of a run of `size` characters, whether it lies inside one of the words."""
    within = [False] * max(size - 1, 0)
    for word in words:
        within[word.start : word.end - 1] = [True] * (len(word.text) - 1)
    return within
