"""An automatic extractive summary: the speaker's most central sentences, for talks without key points.

Each quotable sentence of the speaker becomes a weighted bag of terms (English words without the
commonest ones, Chinese character pairs), weighted by how rare they are across the talk's sentences.
A sentence's centrality is its cosine similarity to the talk's centroid: what the whole talk keeps
coming back to. The most central ones are taken, skipping near-repeats, and shown in talk order.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from bot.content.model import Passage, Talk, split_sentences

SUMMARY_MIN = 5
SUMMARY_MAX = 7
REPEAT_SHARE = 0.3  # a sentence sharing more of its terms with one already chosen is a near-repeat
_WORD = re.compile(r"[a-z][a-z'’-]+")
_HAN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_END = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“(]?[A-Z0-9])")
SENTENCE_CHARS = (12, 300)
_COMMON_WORDS = (
    "the a an and or but if of to in on at by for with from as is are was were be been being it its this that "
    "these those there their they them we our us you your he she his her i me my so do does did not no yes can "
    "could would should will just very really what which who when where why how all any some more most than "
    "then also about into over like one two get got have has had going gonna know think say said lot things "
    "thing kind sort because well okay right")
_COMMON = frozenset(_COMMON_WORDS.split())


def _terms(text: str) -> Counter[str]:
    lowered = text.casefold()
    terms = Counter(w for w in _WORD.findall(lowered) if w not in _COMMON and len(w) > 2)
    for run in _HAN.findall(lowered):
        terms.update(run[i : i + 2] for i in range(len(run) - 1))
    return terms


def sentences(talk: Talk) -> list[tuple[Passage, str, float | None]]:
    """The speaker's sentences with their passages and estimated times (Chinese and Latin sentence ends).

    A sentence's time is its passage's start, moved on by its share of the passage's text towards the
    start of the next timed passage of the same section (speech runs at a roughly even pace)."""
    out: list[tuple[Passage, str, float | None]] = []
    passages = talk.passages
    for index, passage in enumerate(passages):
        if passage.role != "speaker":
            continue
        following = next((p.start for p in passages[index + 1 :] if p.section == passage.section
                          and p.start is not None), None)
        length = max(len(passage.text), 1)
        offset = 0
        for chunk in split_sentences(passage.text):
            for sentence in _LATIN_END.split(chunk):
                text = sentence.strip()
                at = passage.text.find(text, offset)
                offset = max(offset, at)
                seconds: float | None = None
                if passage.start is not None:
                    seconds = float(passage.start)
                    if following is not None and following > passage.start:
                        seconds += (following - passage.start) * offset / length
                if SENTENCE_CHARS[0] <= len(text) <= SENTENCE_CHARS[1]:
                    out.append((passage, text, seconds))
    return out


def automatic_summary(talk: Talk) -> list[tuple[Passage, str, float | None]]:
    """5-7 of the speaker's most central sentences, in talk order (fewer only when the talk has fewer)."""
    found = sentences(talk)
    if not found:
        return []
    bags = [_terms(text) for _, text, _ in found]
    df = Counter(term for bag in bags for term in bag)
    n = len(bags)
    vectors = [{t: c * math.log(1 + n / df[t]) for t, c in bag.items()} for bag in bags]
    centroid: Counter[str] = Counter()
    for vector in vectors:
        centroid.update(vector)
    centroid_norm = math.sqrt(sum(v * v for v in centroid.values())) or 1.0

    def centrality(index: int) -> float:
        vector = vectors[index]
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return sum(v * centroid[t] for t, v in vector.items()) / (norm * centroid_norm)

    wanted = max(SUMMARY_MIN, min(SUMMARY_MAX, n // 15))
    chosen: list[int] = []
    for index in sorted(range(n), key=lambda i: (-centrality(i), i)):
        terms = set(bags[index])
        if not terms or any(len(terms & set(bags[j])) > REPEAT_SHARE * len(terms) for j in chosen):
            continue
        chosen.append(index)
        if len(chosen) == wanted:
            break
    return [found[i] for i in sorted(chosen)]
