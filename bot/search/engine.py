"""Ranked passage search: weighted term matching with typo, script and language tolerance, and a confidence.

How a query is answered:
1. The Planner (query.py) normalises it (NFKC, case, Traditional→Simplified, colloquial question words) and
   turns it into weighted slots: glossary terms, Chinese character pairs and English words or phrases, each
   weighing its rarity (idf), question words next to nothing. A slot can be matched by several wordings:
   the text itself, its glossary synonyms and translations, same-sounding pairs (pinyin typos), the known
   word a Latin typo most likely meant.
2. Stage one (scoring.py) adds up, for every passage holding any of those terms, the weight of the slots
   it matches: per posting with NumPy, so it grows with how often the terms occur, not with the corpus.
3. Stage two re-scores the best few dozen: word- and character-level coverage of the query, BM25, the
   rapidfuzz partial_ratio of the query's content against the passage, and answer-type cues ("why" asks
   for a reason; "what did he answer" for the speaker rather than the questioner). A question about a talk's
   opening or close ("开场谢了谁", "at the end of the speech") counts its first or last paragraphs as matching.
4. The confidence combines evidence beyond one chance match, coverage and fuzzy similarity; when the best
   passage's confidence is below MIN_CONFIDENCE the query has no answer (calibration below). When fewer
   passages answer than were asked for, the best one's next paragraphs carry on where it stops.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from itertools import pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz

from bot.content.model import Library, Passage, Quote
from bot.search import commonness
from bot.search.cues import definition_of
from bot.search.dictionary import Dictionary, for_corpus
from bot.search.features import BIGRAM, WORD
from bot.search.glossary import Glossary
from bot.search.index import load_or_build
from bot.search.normalise import STOPWORDS_EN, english_words, fold, has_cjk, normalise, runs
from bot.search.plan import QueryPlan
from bot.search.query import MAX_QUERY_CHARS, Planner
from bot.search.scoring import Scorer

__all__ = ["MAX_QUERY_CHARS", "MIN_CONFIDENCE", "SUGGEST_CONFIDENCE", "Hit", "QueryPlan", "SearchEngine"]

# Calibration: every query of three labelled sets over two talks (tests/eval/queries.jsonl on the seed,
# colloquial.jsonl in chat style on the seed, eisenhower.jsonl on an English talk without glossary, with
# the seed and the four English evaluation talks loaded together) was searched with no threshold, keeping
# the top passage's confidence; then bot.search.evaluate.calibrate(right, off_topic, reject_share=1.0) put
# the threshold halfway between the most confident off-topic query (0.279) and the least confident
# answerable one above it (0.288): 0.283. Rejecting every off-topic query rather than nine in ten leaves a
# margin for unseen off-topic questions: at this threshold every off-topic question of the seven other
# sets (the blind ones included) is turned away too. Recalibrate (tests/test_eval.py checks this)
# whenever the scoring changes.
MIN_CONFIDENCE = 0.283
SUGGEST_CONFIDENCE = 0.25  # autocomplete and inline mode show looser matches while the user types
CANDIDATES = 32  # passages re-scored with characters and fuzzy similarity
RELATED_SHARE = 0.6  # after the first result, weaker ones down to this share of the threshold are shown too
CHAR_SHARE = 0.35  # weight of character-level coverage beside word-level coverage
CUE_BONUS = 0.05  # ranking bonus for a passage of the kind the question asks for (see query.py)
AUDIENCE = ("questioner", "host")  # roles whose paragraphs ask; the speaker's next paragraph answers
QUESTION_PARAGRAPHS = 3  # an audience question may run on over this many more paragraphs before the answer
LEAD_IN_ENDS = ("?", "？", ":", "：")  # a speaker's paragraph ending so is answered or continued in the next
SHORT_ANSWER = 40  # an answer shorter than this many characters comes with the speaker's next paragraph
QUOTED_QUESTION = 0.85  # an audience question matched this surely is quoted, not asked again in other words
EDGE_PASSAGES = 3  # the first and last paragraphs of a section are its opening and its close
EDGE_CONFIDENCE = 0.6  # of the opening or close of the one talk asked about, when that is all a question asks
FOLLOWING = 2  # when fewer passages answer than asked for, the best one's next paragraphs fill up to this many
PHRASE_BONUS = 0.1  # ranking bonus for a passage with all of the query's neighbouring English words side by side

FloatArray = npt.NDArray[np.float32]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Hit:
    """A passage and how confident the search is that it answers the query (0..1)."""

    passage: Passage
    score: float


class SearchEngine:
    """Finds the passages (and quotable sentences) that answer a query, or none when nothing fits."""

    def __init__(self, library: Library, index_dir: Path | None = None) -> None:
        self.catalog = library
        self.passages = library.passages
        self.index = load_or_build([p.text for p in self.passages], index_dir)
        self._index_dir = index_dir
        written = [[n for n in (t.speaker, *t.speaker_names) if n.strip()] for t in library.talks]
        dictionary = self._dictionary([n for names in written for n in names])  # first: it brings the lemmas
        self.glossary = Glossary(e for t in library.talks for e in t.glossary)
        # Each talk's speaker as its header writes them, and in Chinese where the dictionary knows the name
        # (Kennedy → 肯尼迪): a talk file needs no Chinese form of its speaker's name to be asked about in Chinese.
        spoken = [[*names, *(c for n in names for c in dictionary.chinese_names(n))] for names in written]
        self.planner = Planner(self.index, self.glossary, [n for names in spoken for n in names], dictionary)
        self._talk_index = {t.id: i for i, t in enumerate(library.talks)}
        self._named: dict[str, set[int]] = {}  # a speaker's name as the planner finds it → that speaker's talks
        for number, names in enumerate(spoken):
            for name in map(normalise, names):
                for key in (name, *english_words(name)):
                    self._named.setdefault(key, set()).add(number)
        n = len(self.passages)
        self._talk_of = np.fromiter((self._talk_index[p.talk_id] for p in self.passages), np.int32, n)
        self._speaker = np.fromiter((p.role == "speaker" for p in self.passages), bool, n)
        # Passages without a Chinese character: a Chinese question's characters cannot be found there as
        # characters, so only its words (matched in translation) count towards their coverage.
        self._latin = np.fromiter((not has_cjk(p.text) for p in self.passages), bool, n)
        self._edges = {"opening": np.zeros(n, bool), "closing": np.zeros(n, bool)}
        start = 0
        for end in range(1, n + 1):  # runs of passages of one talk and section
            if end == n or (self.passages[end].talk_id, self.passages[end].section) != (
                    self.passages[start].talk_id, self.passages[start].section):
                self._edges["opening"][start : min(start + EDGE_PASSAGES, end)] = True
                self._edges["closing"][max(end - EDGE_PASSAGES, start) : end] = True
                start = end
        # Being at the opening (or close) a question asks about weighs like a word found in as many passages.
        self._edge_weight = {kind: float(np.log1p((n - at.sum() + 0.5) / (at.sum() + 0.5))) for kind, at in
                             self._edges.items()}
        self._quotes: dict[str, list[Quote]] | None = None
        self._pairs: dict[int, frozenset[tuple[str, str]]] = {}  # neighbouring English words of passages seen
        # About one and a half rare terms' weight makes a match "distinctive" whatever the corpus size.
        self._mass_scale = 1.4 * min(self.index.max_idf, 5.4)
        # The weight of one pair found in a single passage: what a chance match weighs at most.
        self._chance = float(np.log1p((max(len(self.passages), 1) - 0.5) / 1.5))
        self.scorer = Scorer(self.index)
        commonness.load()

    def _dictionary(self, names: list[str]) -> Dictionary:
        """CC-CEDICT cut down to the words and glosses these passages can match, and these speakers' names."""
        vocab = self.index.vocab

        def chinese_known(word: str) -> bool:
            return all(BIGRAM + word[i : i + 2] in vocab for i in range(len(word) - 1))

        return for_corpus(self._index_dir, self.index.stamp, chinese_known, lambda stem: WORD + stem in vocab, names)

    @property
    def dictionary(self) -> Dictionary:
        """The bilingual dictionary as cut down to these talks."""
        return self.planner.dictionary

    def plan(self, query: str) -> QueryPlan:
        """Turn a query into weighted slots (normalised, glossary-expanded, typo-tolerant)."""
        return self.planner.plan(query)

    # -- scoring --------------------------------------------------------------------------------

    def _confidence(self, matched: float, largest: float, coverage: float, similarity: float) -> float:
        """How sure we are a passage answers: evidence beyond one chance match, share of the query, fuzzy.

        Any query shares a word with some passage by chance, so the weight of the largest single match,
        up to that of one rare pair, does not count as evidence; a second match, or a long term, does.
        """
        evidence = matched - min(largest, self._chance)
        return 0.45 * min(evidence / self._mass_scale, 1.0) + 0.35 * coverage + 0.2 * similarity

    def _ranked(self, plan: QueryPlan, mask: npt.NDArray[np.bool_] | None, wanted: int) -> list[tuple[float, int]]:
        """(confidence, passage number) of the best candidates, best first."""
        cover = self.scorer.matched(plan)
        total = plan.total
        edge = self._edges.get(plan.edge)  # a question about a talk's opening or close, or None
        edge_weight = self._edge_weight[plan.edge] if edge is not None else 0.0
        # Every candidate without Chinese (a Chinese question about an English talk, named or chosen; search()
        # planned it so): words only Chinese can hold are not held against them, and characters compared
        # across scripts say nothing.
        foreign = plan.english_only
        if foreign:
            total = plan.latin_total
        if edge is not None:
            cover[edge] += np.float32(edge_weight)
            total += edge_weight
        if mask is not None:
            cover[~mask] = 0.0
        size = min(len(cover), max(CANDIDATES, wanted))
        picked = np.argpartition(-cover, size - 1)[:size] if size < len(cover) else np.arange(len(cover))
        top: IntArray = np.sort(picked[cover[picked] > 0]).astype(np.int32)
        if not len(top):
            return []
        found = self.scorer.details(plan, top)
        char_total = sum(s.weight for s in plan.chars)
        best_bm25 = max(float(found.bm25.max()), 1e-6)
        cued = found.cued * CUE_BONUS
        if plan.asks_speaker:
            cued += self._speaker[top] * CUE_BONUS
        if plan.defines:  # "lstm是啥": a passage saying what it is ("lstm 是…")
            says = definition_of(plan.defines)
            cued += np.fromiter((says.search(fold(self.passages[doc].text)) is not None for doc in top.tolist()),
                                bool, len(top)) * CUE_BONUS
        ranked: list[tuple[float, float, int]] = []
        phrased = self._phrase_shares(plan, top.tolist())
        for i, doc in enumerate(top.tolist()):
            at_edge = edge_weight if edge is not None and edge[doc] else 0.0
            matched = float(found.matched[i]) + at_edge
            if self._latin[doc]:
                coverage = matched / max(total, 1e-6)
            else:
                coverage = (matched + CHAR_SHARE * float(found.chars[i])) / max(total + CHAR_SHARE * char_total, 1e-6)
            if foreign:
                similarity = coverage
            else:
                similarity = fuzz.partial_ratio(plan.compact, self.index.compact(doc)) / 100 if plan.compact else 0.0
            confidence = self._confidence(matched, max(float(found.largest[i]), at_edge), coverage, similarity)
            order = (0.6 * coverage + 0.1 * float(found.bm25[i]) / best_bm25 + 0.2 * similarity + float(cued[i])
                     + PHRASE_BONUS * phrased[i])
            ranked.append((order, confidence, doc))
        ranked.sort(key=lambda r: (-r[0], r[2]))
        return [(conf, doc) for _, conf, doc in ranked]

    def _named_talks(self, plan: QueryPlan) -> npt.NDArray[np.bool_] | None:
        """The passages of the talks whose speakers the question names, when that is some talks but not all."""
        named = {number for name in plan.names for number in self._named.get(name, ())}
        if not named or len(named) == len(self._talk_index):
            return None
        return np.isin(self._talk_of, list(named))

    def _follows(self, doc: int, number: int, mask: npt.NDArray[np.bool_] | None) -> bool:
        """Whether passage `number` exists, is searched, and stands in the talk and section of `doc`."""
        if number >= len(self.passages) or (mask is not None and not mask[number]):
            return False
        here, there = self.passages[doc], self.passages[number]
        return there.talk_id == here.talk_id and there.section == here.section

    def _answer(self, doc: int, mask: npt.NDArray[np.bool_] | None) -> list[int]:
        """What answers a matched passage. For an audience question: the speaker's next paragraph in the same
        section, past the rest of a question of several paragraphs, and the one after it when the first is a
        one-liner ("Yes, the answer is yes."). For the speaker's own question or lead-in (a paragraph ending
        in "?" or ":", as "we will show three points:"): the speaker's next paragraph."""
        def speaker_next(number: int) -> bool:
            return self._follows(doc, number, mask) and bool(self._speaker[number])

        here = self.passages[doc]
        if here.role not in AUDIENCE:
            return [doc + 1] if here.text.rstrip().endswith(LEAD_IN_ENDS) and speaker_next(doc + 1) else []
        for number in range(doc + 1, doc + 2 + QUESTION_PARAGRAPHS):
            if not self._follows(doc, number, mask):
                return []
            if self._speaker[number]:
                short = len(self.passages[number].text) < SHORT_ANSWER and speaker_next(number + 1)
                return [number, number + 1] if short else [number]
        return []

    def _with_answers(self, ranked: list[tuple[float, int]], mask: npt.NDArray[np.bool_] | None,
                      plan: QueryPlan) -> tuple[list[tuple[float, int]], dict[int, int]]:
        """An audience question comes with the speaker's answer, as sure as the question (and a speaker's own
        question or lead-in with the paragraph that answers it).

        The answer follows the question, and comes before it when the query asks what the speaker answered
        or thinks ("他怎么看", "what did he answer"), or asks the same yes-or-no question in its own words
        (the speaker's answer settles it; a query quoting the question is looking for the question). A
        lead-in's continuation comes first when the query asks for the items of a list ("是哪三点").
        Also returns the one-line answers joined to the paragraph after them (answer → that paragraph).
        """
        out: list[tuple[float, int]] = []
        placed: set[int] = set()
        joined: dict[int, int] = {}
        for conf, doc in ranked:
            if doc in placed:
                continue
            found = [answer for answer in self._answer(doc, mask) if answer not in placed]
            audience = self.passages[doc].role in AUDIENCE
            if audience and len(found) == 2:  # a one-line answer and the paragraph after it
                joined[found[0]] = found[1]
            first = plan.asks_speaker or (plan.yes_no and conf < QUOTED_QUESTION) or (plan.items and not audience)
            group = [*found, doc] if first else [doc, *found]
            out.extend((conf, d) for d in group)
            placed.update(group)
        return out, joined

    def _shown(self, doc: int, joined: dict[int, int]) -> Passage:
        """A passage as a hit shows it: a one-line answer ("Yes, the answer is yes.") with the paragraph after it."""
        passage = self.passages[doc]
        rest = joined.get(doc)
        if rest is None:
            return passage
        return replace(passage, text=f"{passage.text}\n{self.passages[rest].text}")

    def _shown_keys(self, passage: Passage) -> list[str]:
        """The paragraphs a hit shows: its own, and the next one too when a one-line answer is shown with it."""
        if self.catalog.passage(passage.key) == passage:
            return [passage.key]
        return [p.key for p in self.catalog.neighbours(passage.key, before=0, after=1)]

    def _phrase_shares(self, plan: QueryPlan, docs: list[int]) -> list[float]:
        """Per passage, the share of the query's neighbouring English word pairs it has side by side."""
        if not plan.phrases:
            return [0.0] * len(docs)
        wanted = set(plan.phrases)
        shares = []
        for doc in docs:
            pairs = self._pairs.get(doc)
            if pairs is None:
                words = [w for w in english_words(fold(self.passages[doc].text)) if w not in STOPWORDS_EN]
                pairs = frozenset(pairwise(words))
                self._pairs[doc] = pairs
            shares.append(len(wanted & pairs) / len(wanted))
        return shares

    def _edge_of_talk(self, edge: str, mask: npt.NDArray[np.bool_] | None) -> list[int]:
        """The first (or last) paragraphs of the one talk searched, in the order they are said; none if several."""
        scope = np.flatnonzero(mask) if mask is not None else np.arange(len(self.passages))
        if not len(scope) or len(np.unique(self._talk_of[scope])) != 1:
            return []
        picked = scope[:EDGE_PASSAGES] if edge == "opening" else scope[-EDGE_PASSAGES:]
        return [int(doc) for doc in picked]

    # -- public ---------------------------------------------------------------------------------

    def search(self, query: str, *, limit: int = 3, offset: int = 0, talk: str | None = None,
               speaker_only: bool = False, min_confidence: float = MIN_CONFIDENCE) -> list[Hit]:
        """The best passages for a query, most confident first; empty when nothing answers it."""
        if not self.passages or not query or not query.strip():
            return []
        plan = self.plan(query)
        if not plan.slots and not plan.chars and not plan.edge:
            return []
        mask = None
        if talk is not None:
            number = self._talk_index.get(talk)
            if number is None:
                return []
            mask = self._talk_of == number
        if talk is None:  # "what did Eisenhower say about …" is answered from that speaker's talks or not at all
            mask = self._named_talks(plan)
        if not plan.slots and not plan.chars:  # only "how does it end": its ending, if one talk is meant
            edges = self._edge_of_talk(plan.edge, mask) if min_confidence <= EDGE_CONFIDENCE else []
            return [Hit(self.passages[doc], EDGE_CONFIDENCE) for doc in edges][offset : offset + limit]
        if mask is not None and not plan.latin_only and bool(self._latin[mask].all()):
            plan = self.planner.plan(query, english_only=True)  # a Chinese question about English talks only
        ranked, joined = self._with_answers(self._ranked(plan, mask, offset + limit * 3), mask, plan)
        shown_with = set(joined.values())  # each shown with its one-line answer, not on its own
        ranked = [(conf, doc) for conf, doc in ranked if doc not in shown_with]
        if speaker_only:  # (a question that matches still brings its answer)
            ranked = [(conf, doc) for conf, doc in ranked if self._speaker[doc]]
        if not ranked or ranked[0][0] < min_confidence:
            return []
        floor = max(min_confidence * RELATED_SHARE, ranked[0][0] * 0.4)  # related passages after the best
        hits: list[Hit] = []
        shown = 1.0
        for conf, doc in ranked:
            if conf >= floor:
                shown = min(shown, conf)  # shown scores never rise down the list, which is in ranking order
                hits.append(Hit(self._shown(doc, joined), round(float(shown), 4)))
                if len(hits) == offset + limit:
                    break
        room = min(offset + limit - len(hits), FOLLOWING)
        if room > 0 and hits:  # few passages answer: the best one's next paragraphs carry on where it stops
            hits.extend(Hit(self.passages[doc], hits[-1].score) for doc in self._following(ranked[0][1], joined, hits,
                                                                                           mask, room))
        return hits[offset:]

    def _following(self, doc: int, joined: dict[int, int], hits: list[Hit], mask: npt.NDArray[np.bool_] | None,
                   room: int) -> list[int]:
        """Up to `room` paragraphs after a passage (and after the one shown with it), said by the same role in its
        section and not shown yet."""
        shown = {key for hit in hits for key in self._shown_keys(hit.passage)}
        out: list[int] = []
        number = joined.get(doc, doc)
        while len(out) < room:
            number += 1
            if (not self._follows(doc, number, mask) or self.passages[number].key in shown
                    or self.passages[number].role != self.passages[doc].role):
                break
            out.append(number)
        return out

    def best_quote(self, query: str, talk: str | None = None) -> tuple[Quote, float] | None:
        """The speaker's sentence that best matches the query, from the best-matching passages."""
        if self._quotes is None:
            self._quotes = {}
            for quote in self.catalog.quotes:
                self._quotes.setdefault(quote.passage.key, []).append(quote)
        compact = self.plan(query).compact
        for hit in self.search(query, limit=3, talk=talk, speaker_only=True):
            candidates = [q for key in self._shown_keys(hit.passage) for q in self._quotes.get(key, ())]
            if candidates:
                best = max(candidates, key=lambda q: fuzz.partial_ratio(compact, "".join(runs(fold(q.text)))))
                return best, hit.score
        return None

