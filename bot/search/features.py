"""Index features of a text: Chinese character bigrams and single characters, Latin word stems."""

from __future__ import annotations

from collections import Counter

from bot.search.normalise import fold, is_cjk, latin_parts, runs, stem

# Feature prefixes: c = character bigram, u = single character, w = Latin word stem.
BIGRAM, UNIGRAM, WORD = "c:", "u:", "w:"


def run_features(run: str) -> list[str]:
    """Features of one Chinese run or one Latin word."""
    if not is_cjk(run):
        words = [WORD + part for part in latin_parts(run)]
        if "-" in run and len(words) > 1:  # Viet-Nam is also found as vietnam, pre-training as pretraining
            words.append(WORD + stem(run.replace("-", "")))
        return words
    feats = [UNIGRAM + ch for ch in run]
    feats.extend(BIGRAM + run[i : i + 2] for i in range(len(run) - 1))
    return feats


def analyse(text: str) -> tuple[Counter[str], str]:
    """Feature counts of a passage and its compact form (normalised runs, joined) for fuzzy comparison."""
    counts: Counter[str] = Counter()
    found = runs(fold(text))
    for run in found:
        counts.update(run_features(run))
    return counts, "".join(found)
