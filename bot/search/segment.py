"""Cutting a run of Chinese characters into words, for any talk.

Chinese has no spaces, and reading words greedily from the left goes wrong where a word ends inside the
next one: 少喂点数据 read from the left gives 点数 ("points") and loses 数据 ("data"). Here the whole run
is cut at once (dynamic programming), choosing, in this order:
1. the fewest pieces (words and lone characters): long words, as a reader takes them;
2. among those, the most words the passages use (the talks' own vocabulary breaks ties: 数据, not 点数);
3. then the fewest lone characters;
4. then, as reading from the right does best in Chinese, the cut whose last words are the longer ones.
Question and filler characters (the mask) never sit inside a dictionary word; a glossary term or a chat
form may hold some, as long as it is not made of them alone (凉了 is a chat form though 了 is filler).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum


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
            used: Callable[[str, Kind], bool], longest: int) -> list[Word]:
    """The words (two characters or more) of the best cut of a run, in order; lone characters are left out.

    `kind_of` says whether a string is a word and of which kind; `used` whether the passages use it.
    """
    size = len(run)
    # best[i]: (pieces, -words used, lone characters) of the best cut of run[:i], and its last word
    best: list[tuple[tuple[int, int, int], Word | None]] = [((0, 0, 0), None)]
    for end in range(1, size + 1):
        (pieces, unused, lone), _ = best[end - 1]
        choice: tuple[tuple[int, int, int], Word | None] = ((pieces + 1, unused, lone + 1), None)
        for length in range(2, min(longest, end) + 1):
            start = end - length
            text = run[start:end]
            kind = kind_of(text)
            if kind is None or not _allowed(kind, mask[start:end]):
                continue
            (pieces, unused, lone), _ = best[start]
            key = (pieces + 1, unused - used(text, kind), lone)
            if key <= choice[0]:  # a tie goes to the word ending here, the longer the better (as read from the right)
                choice = (key, Word(start, text, kind))
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


def inside(words: Sequence[Word], size: int) -> list[bool]:
    """For each character pair of a run of `size` characters, whether it lies inside one of the words."""
    within = [False] * max(size - 1, 0)
    for word in words:
        within[word.start : word.end - 1] = [True] * (len(word.text) - 1)
    return within
