"""Scoring a query plan: matched weight of every passage, then the details of the best candidates.

Stage one touches every posting of the query's terms once or twice (NumPy scatter-adds, no Python object
per posting), so its work grows with how often those terms occur, not with the size of the corpus.
Stage two looks the same terms up in a few dozen candidate passages only (binary search in the postings).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.search.index import InvertedIndex
from bot.search.plan import PARTIAL_POWER, Alternative, QueryPlan, Slot

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class Details:
    """What stage two learns about each candidate passage (arrays aligned with the candidates)."""

    matched: FloatArray  # weight of the slots matched, towards coverage
    largest: FloatArray  # weight of the single largest slot matched
    chars: FloatArray  # weight of the characters matched
    bm25: FloatArray  # BM25 score of every term of the plan (fillers included)
    cued: BoolArray  # has a term of the kind of passage the question asks for


def _gain(alt: Alternative, share: FloatArray) -> FloatArray:
    """What an alternative earns for the share of its parts found."""
    earned: FloatArray = share**PARTIAL_POWER if alt.parts > 1 else share
    return earned * np.float32(alt.quality)


class Scorer:
    """Scores plans against one index."""

    def __init__(self, index: InvertedIndex) -> None:
        self.index = index
        self.n = index.n_docs
        self._found = np.zeros(self.n, dtype=np.float32)  # scratch: share of one wording found
        self._best = np.zeros(self.n, dtype=np.float32)  # scratch: best wording of one slot
        self._scratch = threading.Lock()  # the scratch arrays serve one search at a time

    def _postings(self, term: int) -> npt.NDArray[np.intp]:
        return self.index.postings(term)[0].astype(np.intp)  # NumPy indexes fastest with its own integer size

    def matched(self, plan: QueryPlan) -> FloatArray:
        """Stage one: the weight of the slots every passage matches (safe to call from several threads)."""
        with self._scratch:
            return self._matched(plan)

    def _matched(self, plan: QueryPlan) -> FloatArray:
        """Stage one, holding the scratch arrays."""
        simple: list[npt.NDArray[np.intp]] = []
        gains: list[float] = []
        cover = np.zeros(self.n, dtype=np.float32)
        for slot in plan.slots:
            alts = slot.alternatives
            if len(alts) == 1 and alts[0].parts == 1:  # the common case: summed in one pass below
                simple.append(self._postings(alts[0].terms[0]))
                gains.append(slot.weight * alts[0].quality)
            elif len(alts) == 1:
                docs = self._found_share(alts[0])
                cover[docs] += slot.weight * _gain(alts[0], self._found[docs])  # a repeated passage gets it once
                self._found[docs] = 0.0
            elif alts:
                self._best_of(slot, cover)
        if simple:
            weights = np.repeat(np.asarray(gains, dtype=np.float64), [len(d) for d in simple])
            cover += np.bincount(np.concatenate(simple), weights=weights, minlength=self.n).astype(np.float32)
        return cover

    def _found_share(self, alt: Alternative) -> npt.NDArray[np.intp]:
        """Leave the share of an alternative's parts found in each passage in the scratch; its passages."""
        found = [self._postings(term) for term in alt.terms]
        for docs in found:
            self._found[docs] += 1.0 / alt.parts
        return np.concatenate(found) if len(found) > 1 else found[0]

    def _best_of(self, slot: Slot, cover: FloatArray) -> None:
        """Add a slot's best alternative per passage to the coverage."""
        union: list[npt.NDArray[np.intp]] = []
        for alt in slot.alternatives:
            if alt.parts == 1:
                docs = self._postings(alt.terms[0])
                self._best[docs] = np.maximum(self._best[docs], alt.quality)
            else:
                docs = self._found_share(alt)
                self._best[docs] = np.maximum(self._best[docs], _gain(alt, self._found[docs]))
                self._found[docs] = 0.0
            union.append(docs)
        docs = np.concatenate(union)
        cover[docs] += slot.weight * self._best[docs]  # a repeated passage gets it once
        self._best[docs] = 0.0

    # -- stage two ------------------------------------------------------------------------------

    def _lookup(self, term: int, docs: IntArray) -> FloatArray:
        """BM25 term-frequency part of a term in some (sorted) passages; 0 where absent."""
        postings, weights = self.index.postings(term)
        if not len(postings):
            return np.zeros(len(docs), dtype=np.float32)
        at = np.minimum(np.searchsorted(postings, docs), len(postings) - 1)
        return np.where(postings[at] == docs, weights[at].astype(np.float32), np.float32(0.0))

    def details(self, plan: QueryPlan, docs: IntArray) -> Details:
        """Stage two: matched weight, largest single match, characters, BM25 and cues of some passages."""
        tf: dict[int, FloatArray] = {}

        def present(term: int) -> FloatArray:
            if term not in tf:
                tf[term] = self._lookup(term, docs)
            return tf[term]

        size = len(docs)
        matched = np.zeros(size, dtype=np.float32)
        largest = np.zeros(size, dtype=np.float32)
        bm25 = np.zeros(size, dtype=np.float32)
        idf = self.index.idf
        for slot in plan.slots:
            best = np.zeros(size, dtype=np.float32)
            for alt in slot.alternatives:
                found = np.zeros(size, dtype=np.float32)
                for term in alt.terms:
                    weight = present(term)
                    found += (weight > 0).astype(np.float32)
                    bm25 += (alt.quality / alt.parts * float(idf[term])) * weight
                np.maximum(best, _gain(alt, found / np.float32(alt.parts)), out=best)
            matched += slot.weight * best
            np.maximum(largest, slot.weight * best, out=largest)
        for term, share in plan.extra.items():
            bm25 += (share * float(idf[term])) * present(term)
        chars = np.zeros(size, dtype=np.float32)
        for slot in plan.chars:
            if slot.alternatives:
                chars += slot.weight * (present(slot.alternatives[0].terms[0]) > 0)
        cued = np.zeros(size, dtype=bool)
        for term in plan.cues:
            cued |= present(term) > 0
        return Details(matched, largest, chars, bm25, cued)
