"""Ranked passage search: weighted term matching with typo, script and language tolerance, and a confidence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.content.model import GlossaryEntry, Library, Passage, Quote, split_sentences
from bot.search.features import BIGRAM, PINYIN, UNIGRAM, WORD, run_features
from bot.search.index import InvertedIndex, load_or_build
from bot.search.normalise import (
    STOPWORDS_EN,
    english_words,
    filler_mask,
    is_cjk,
    normalise,
    pinyin,
    runs,
    stem,
)

MAX_QUERY_CHARS = 256  # longer questions are matched on their first part; the rest adds nothing but time
MIN_CONFIDENCE = 0.42  # below this the best passage is not an answer (calibrated on tests/eval/queries.jsonl)
SUGGEST_CONFIDENCE = 0.30  # autocomplete and inline mode show looser matches while the user types
FILLER_WEIGHT = 0.15
PINYIN_SHARE = 0.7  # a bigram matched only by its sound (a pinyin typo) earns this share of its weight
COMMON_DF_SHARE = 0.35  # features in more than this share of passages carry no signal and are skipped
CANDIDATES = 24
UNIGRAM_WEIGHT = 0.35  # single characters help rank paraphrases but never make a match on their own


@dataclass(frozen=True, slots=True)
class Hit:
    """A passage and how confident the search is that it answers the query (0..1)."""

    passage: Passage
    score: float


@dataclass
class QueryPlan:
    """A query turned into weighted features: BM25 weights, coverage credits and their total."""

    bm25: dict[str, float] = field(default_factory=dict)
    cover: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    compact: str = ""  # the query's content characters, for the fuzzy comparison

    def add(self, feature: str, bm25: float, cover: float = 0.0) -> None:
        self.bm25[feature] = self.bm25.get(feature, 0.0) + bm25
        if cover:
            self.cover[feature] = self.cover.get(feature, 0.0) + cover

    @property
    def empty(self) -> bool:
        return not self.bm25 and self.total == 0


class Glossary:
    """Bilingual term map merged from every talk's glossary."""

    def __init__(self, entries: Iterable[GlossaryEntry]) -> None:
        self.phrases: dict[tuple[str, ...], list[str]] = {}
        self.chinese: dict[str, list[str]] = {}
        for entry in entries:
            targets = [normalise(c) for c in entry.chinese]
            for english in entry.english:
                key = tuple(english_words(normalise(english)))
                if key:
                    bucket = self.phrases.setdefault(key, [])
                    bucket.extend(t for t in targets if t not in bucket)
            for term in targets:
                if any(is_cjk(r) for r in runs(term)):
                    words = self.chinese.setdefault(term, [])
                    words.extend(w for e in entry.english for w in english_words(normalise(e)) if w not in words)
        self.longest = max((len(k) for k in self.phrases), default=0)
        self.words = {w for key in self.phrases for w in key}


class SearchEngine:
    """Finds the passages (and quotable sentences) that answer a query, or none when nothing fits."""

    def __init__(self, library: Library, index_dir: Path | None = None) -> None:
        self.library = library
        self.passages = library.passages
        self.index: InvertedIndex = load_or_build([p.text for p in self.passages], index_dir)
        self.glossary = Glossary(e for t in library.talks for e in t.glossary)
        corpus_words = {f[len(WORD):] for f in self.index.vocab if f.startswith(WORD)}
        self.known_words = sorted(corpus_words | self.glossary.words)
        self._known = frozenset(self.known_words)
        self._by_length: dict[int, list[str]] = {}
        for word in self.known_words:
            self._by_length.setdefault(len(word), []).append(word)
        talk_ids = {t.id: i for i, t in enumerate(library.talks)}
        self._talk_of = np.fromiter((talk_ids[p.talk_id] for p in self.passages), dtype=np.int32,
                                    count=len(self.passages))
        self._speaker = np.fromiter((p.role == "speaker" for p in self.passages), dtype=bool,
                                    count=len(self.passages))
        self._talk_index = talk_ids
        self._compact: dict[int, str] = {}
        # About one and a half rare terms' weight makes a match "distinctive" whatever the corpus size.
        self._mass_scale = 1.4 * min(self.index.max_idf, 5.4)

    # -- query analysis -------------------------------------------------------------------------

    def _correct(self, word: str) -> str | None:
        """The known word a Latin typo most likely meant (LTSM → lstm), or None."""
        if word in self._known or len(word) < 4 or word.isdigit():
            return word if word in self._known else None
        if len(word) < 7:  # short words: only a swapped or mistyped letter, so "reset" never becomes "resnet"
            match = process.extractOne(word, self._by_length.get(len(word), []), scorer=OSA.distance, score_cutoff=1)
        else:
            match = process.extractOne(word, self.known_words, scorer=OSA.distance, score_cutoff=2)
        return None if match is None else str(match[0])

    def _add_run(self, plan: QueryPlan, run: str, weight: float) -> None:
        """Features of a Chinese run or a Latin word, weighted; fillers weigh little and are not required."""
        if not is_cjk(run):
            for feature in run_features(run):
                idf = self.index.idf_of(feature)
                plan.add(feature, weight, weight * idf)
                plan.total += weight * idf
            return
        mask = filler_mask(run)
        if len(run) == 1:
            feature = UNIGRAM + run
            w = weight * (FILLER_WEIGHT if mask[0] else 1.0)
            idf = self.index.idf_of(feature)
            plan.add(feature, w, 0.0 if mask[0] else w * idf)
            plan.total += 0.0 if mask[0] else w * idf
            return
        for ch, filler in zip(run, mask, strict=True):
            if not filler:
                plan.add(UNIGRAM + ch, weight * UNIGRAM_WEIGHT)
        for i in range(len(run) - 1):
            filler = mask[i] or mask[i + 1]
            w = weight * (FILLER_WEIGHT if filler else 1.0)
            gram = BIGRAM + run[i : i + 2]
            sound = f"{PINYIN}{pinyin(run[i])}_{pinyin(run[i + 1])}"
            idf = self.index.idf_of(gram) if gram in self.index.vocab else self.index.idf_of(sound)
            credit = 0.0 if filler else w * idf
            plan.add(gram, w, credit * (1 - PINYIN_SHARE))
            plan.add(sound, w * 0.5, credit * PINYIN_SHARE)
            plan.total += credit

    def plan(self, query: str) -> QueryPlan:
        """Turn a query into weighted features (normalised, glossary-expanded, typo-corrected)."""
        text = normalise(query[: MAX_QUERY_CHARS * 2])[:MAX_QUERY_CHARS]
        plan = QueryPlan()
        words: list[str] = []
        compact: list[str] = []
        for run in runs(text):
            if is_cjk(run):
                self._add_run(plan, run, 1.0)
                mask = filler_mask(run)
                compact.append("".join(ch for ch, m in zip(run, mask, strict=True) if not m))
                for term, english in self.glossary.chinese.items():
                    if len(term) > 1 and term in run:
                        for word in english:
                            plan.add(WORD + word, 0.3)
            else:
                words.extend(w for w in (stem(p) for p in run.replace("'", "-").split("-")) if w)
        self._add_words(plan, words, compact)
        plan.compact = "".join(compact)[:64]
        return plan

    def _add_words(self, plan: QueryPlan, words: list[str], compact: list[str]) -> None:
        """Latin words: glossary phrases become their Chinese terms; others match as words or are unknown."""
        corrected = [w if w in STOPWORDS_EN else (self._correct(w) or w) for w in words]
        i = 0
        while i < len(corrected):
            for size in range(min(self.glossary.longest, len(corrected) - i), 0, -1):
                key = tuple(corrected[i : i + size])
                targets = self.glossary.phrases.get(key)
                if targets and not (size == 1 and key[0] in STOPWORDS_EN):
                    share = 1.0 / len(targets)
                    for target in targets:
                        for run in runs(target):
                            self._add_run(plan, run, share)
                    compact.append(targets[0])
                    if WORD + key[0] in self.index.vocab and size == 1:
                        plan.add(WORD + key[0], 0.5)
                    i += size
                    break
            else:
                word = corrected[i]
                i += 1
                if word in STOPWORDS_EN or not word:
                    continue
                feature = WORD + word
                idf = self.index.idf_of(feature)
                plan.add(feature, 1.0, idf if feature in self.index.vocab else 0.0)
                plan.total += idf
                compact.append(word)

    # -- ranking --------------------------------------------------------------------------------

    def _compact_text(self, doc: int) -> str:
        cached = self._compact.get(doc)
        if cached is None:
            cached = "".join(runs(normalise(self.passages[doc].text)))
            if len(self._compact) < 20_000:
                self._compact[doc] = cached
        return cached

    def _scores(self, plan: QueryPlan) -> tuple[np.ndarray, np.ndarray]:
        n = len(self.passages)
        bm25 = np.zeros(n, dtype=np.float32)
        cover = np.zeros(n, dtype=np.float32)
        limit = COMMON_DF_SHARE * n
        for feature, weight in plan.bm25.items():
            postings = self.index.postings(feature)
            if postings is None or (len(postings.docs) > limit and n > 50):
                continue
            bm25[postings.docs] += (weight * postings.idf) * postings.weights
            credit = plan.cover.get(feature, 0.0)
            if credit:
                cover[postings.docs] += credit
        return bm25, cover

    def _confidence(self, matched: float, ratio: float, similarity: float) -> float:
        """How sure we are a passage answers: distinctive terms matched, share of the query matched, fuzzy."""
        return 0.5 * min(matched / self._mass_scale, 1.0) + 0.3 * ratio + 0.2 * similarity

    def search(self, query: str, *, limit: int = 3, offset: int = 0, talk: str | None = None,
               speaker_only: bool = False, min_confidence: float = MIN_CONFIDENCE) -> list[Hit]:
        """The best passages for a query, most confident first; empty when nothing answers it."""
        plan = self.plan(query)
        if plan.empty or plan.total <= 0 or not self.passages:
            return []
        bm25, cover = self._scores(plan)
        mask = np.ones(len(self.passages), dtype=bool)
        if talk is not None:
            mask &= self._talk_of == self._talk_index[talk]
        if speaker_only:
            mask &= self._speaker
        ratio = np.minimum(cover / plan.total, 1.0)
        rough = np.where(mask & (bm25 > 0), ratio * 0.7 + 0.3 * bm25 / max(float(bm25.max()), 1e-6), -1.0)
        wanted = min(len(rough), max(CANDIDATES, offset + limit * 3))
        top = np.argpartition(-rough, wanted - 1)[:wanted] if wanted < len(rough) else np.arange(len(rough))
        top = top[rough[top] > 0]
        best_bm25 = float(bm25[top].max()) if len(top) else 1.0
        ranked: list[tuple[float, float, int]] = []
        for doc in top.tolist():
            similarity = fuzz.partial_ratio(plan.compact, self._compact_text(doc)) / 100 if plan.compact else 0.0
            confidence = self._confidence(float(cover[doc]), float(ratio[doc]), similarity)
            order = 0.6 * float(ratio[doc]) + 0.25 * float(bm25[doc]) / best_bm25 + 0.15 * similarity
            ranked.append((order, confidence, doc))
        ranked.sort(key=lambda r: (-r[0], r[2]))
        if not ranked or ranked[0][1] < min_confidence:
            return []
        floor = max(min_confidence * 0.8, ranked[0][1] * 0.5)
        hits = [Hit(self.passages[doc], round(conf, 4)) for _, conf, doc in ranked if conf >= floor]
        return hits[offset : offset + limit]

    def best_quote(self, query: str, talk: str | None = None) -> tuple[Quote, float] | None:
        """The speaker's sentence that best matches the query, from the best-matching passages."""
        plan = self.plan(query)
        for hit in self.search(query, limit=3, talk=talk, speaker_only=True):
            candidates = [q for q in self.library.quotes if q.passage.key == hit.passage.key]
            if candidates:
                best = max(candidates, key=lambda q: fuzz.partial_ratio(plan.compact, "".join(runs(normalise(q.text)))))
                return best, hit.score
        return None
