"""Index features of a text: Chinese character bigrams and unigrams, their pinyin, Latin word stems."""

from __future__ import annotations

from collections import Counter

from bot.search.normalise import is_cjk, normalise, pinyin, runs, stem

# Feature prefixes: c = character bigram, u = single character, p = pinyin bigram, w = Latin word stem.
BIGRAM, UNIGRAM, PINYIN, WORD = "c:", "u:", "p:", "w:"


def run_features(run: str) -> list[str]:
    """Features of one Chinese run or one Latin word."""
    if not is_cjk(run):
        return [WORD + stem(part) for part in run.replace("'", "-").split("-") if part]
    feats = [UNIGRAM + ch for ch in run]
    if len(run) > 1:
        syllables = [pinyin(ch) for ch in run]
        for i in range(len(run) - 1):
            feats.append(BIGRAM + run[i : i + 2])
            feats.append(f"{PINYIN}{syllables[i]}_{syllables[i + 1]}")
    return feats


def text_features(text: str) -> Counter[str]:
    """Feature counts of a passage (normalised first)."""
    counts: Counter[str] = Counter()
    for run in runs(normalise(text)):
        counts.update(run_features(run))
    return counts
