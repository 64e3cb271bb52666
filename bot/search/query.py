"""Query analysis: query text becomes a QueryPlan (plan.py) against one index, glossary and dictionary.

Chinese runs are cut into words (segment.py) and matched as written, through the glossary, chat forms, the
dictionary's translations and the thesaurus's words of the same meaning, as same-sounding pairs (pinyin
typos) and as character pairs; Latin words through the glossary, their Chinese translations and typo
correction, and a word no passage has through English words that share its translations. Everyday words
weigh less (commonness.py); question and filler words next to nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.search.commonness import chinese_share, chinese_zipf, english_share
from bot.search.cues import BECAUSE_ZH, ITEMS, WHY, YES_NO, asks_speaker_pattern, defined_term, edge_of
from bot.search.dictionary import MAX_WORD_CHARS, NEGATED, Dictionary
from bot.search.features import BIGRAM, UNIGRAM, WORD
from bot.search.glossary import Glossary
from bot.search.index import InvertedIndex
from bot.search.normalise import (
    COLLOQUIAL,
    LONGEST_COLLOQUIAL,
    STOPWORDS_EN,
    english_words,
    filler_joins,
    filler_mask,
    has_cjk,
    is_cjk,
    latin_parts,
    normalise,
    runs,
    stem,
)
from bot.search.plan import PARTIAL_POWER, Alternative, QueryPlan, Slot, distinct
from bot.search.segment import Kind, inside, segment

MAX_QUERY_CHARS = 256  # longer questions are matched on their first part; the rest adds nothing but time
HOMOPHONE_QUALITY = 0.8  # a pair no passage has, matched by its sound (a pinyin typo)
HOMOPHONE_OF_KNOWN = 0.6  # a pair some passage has as written: a same-sounding one is a weaker guess
SYNONYM_QUALITY = 0.9  # a term matched through another wording from the glossary
CORRECTED_QUALITY = 0.85  # a Latin word matched after correcting a typo
UNKNOWN_SHARE = 0.6  # weight of a Chinese pair no passage has (often just two words side by side), of the largest idf
BOUNDARY_SHARE = 0.3  # of that, for an unknown pair across two dictionary words (two words side by side)
UNKNOWN_WORD_SHARE = 1.0  # an English word neither the glossary nor any passage knows: likely off-topic
FILLER_WEIGHT = 0.15  # ranking weight of question and filler words (they never count towards coverage)
TERM_LENGTH_BONUS = 0.5  # a glossary term of n pairs weighs like 1 + (n-1)/2 pairs: specific, but not n times over
MIN_REACHABLE = 0.5  # wordings that could earn less than this (most of their pairs unknown) are not tried
DICTIONARY_QUALITY = 0.85  # a word matched through its dictionary translation (the other language)
TRANSLATED_QUALITY = 0.7  # an English word matched through one of its Chinese renderings (each only a guess)
RELATED_QUALITY = 0.7  # an English word no passage has, matched through one sharing its translations (dictionary.py)
THESAURUS_QUALITY = 0.75  # a Chinese word matched through another word of its thesaurus group (same meaning)
BORROWED_QUALITY = 0.6  # a Chinese word matched through the translation of a word of the same meaning
DICTIONARY_SYNONYM = 0.6  # a Chinese word matched through another word with the same dictionary gloss
MAX_SYNONYMS = 8  # dictionary synonyms or translations tried per word
COMMON_DF_SHARE = 0.35  # terms in more than this share of passages carry no signal and are skipped


_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]{0,200})?/?>")  # HTML tags pasted into a question
_MENTION = re.compile(r"<[@#][!&]?\d+>|(?<![\w@])@[\w.-]+")  # chat mentions (@everyone, <@123>): not content
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+")  # a word written with a capital: maybe a name
# A statement of code (SQL) pasted as a question: it names no topic, whatever words it happens to use.
_CODE = re.compile(r"^\W*(?:select|insert|update|delete|drop|create|alter|union|exec)\b.*"
                   r"\b(?:from|into|table|set|where|values)\b", re.S)


class Planner:
    """Turns query text into a QueryPlan against one index and glossary."""

    def __init__(self, index: InvertedIndex, glossary: Glossary, speaker_names: Iterable[str] = (),
                 dictionary: Dictionary | None = None) -> None:
        self.index = index
        self.glossary = glossary
        self.dictionary = dictionary or Dictionary()
        # The speakers' names say whom the question is about, not what: they weigh like question words.
        names = [normalise(n) for n in speaker_names if n.strip()]
        self.name_words = frozenset(english_words(' '.join(names)))
        self.name_terms = sorted({n for n in names if any(is_cjk(r) for r in runs(n))}, key=len, reverse=True)
        self._asks_speaker = asks_speaker_pattern(names)
        self.common = COMMON_DF_SHARE * index.n_docs if index.n_docs > 50 else float("inf")
        self.unknown = UNKNOWN_SHARE * index.max_idf
        self.unknown_word = UNKNOWN_WORD_SHARE * index.max_idf
        corpus_words = {f[len(WORD):] for f in index.vocab if f.startswith(WORD)}
        self.known_words = sorted(corpus_words | glossary.words)
        self._known = frozenset(self.known_words)
        self._by_length: dict[int, list[str]] = {}
        for word in self.known_words:
            self._by_length.setdefault(len(word), []).append(word)
        self._longest = max(glossary.longest_term, LONGEST_COLLOQUIAL, MAX_WORD_CHARS)
        self._wordings: dict[tuple[tuple[str, ...], float], list[Alternative]] = {}  # glossary lookups, kept

    # -- terms and weights -------------------------------------------------------------------------

    def _term(self, feature: str) -> int | None:
        """The index term of a feature, or None when unknown or too common to help."""
        term = self.index.vocab.get(feature)
        return None if term is None or self.index.df[term] > self.common else term

    def _weight(self, terms: tuple[int, ...]) -> float:
        return sum(float(self.index.idf[t]) for t in terms) / len(terms) if terms else self.unknown

    def _term_weight(self, alt: Alternative) -> float:
        """What a wording weighs as a whole: a term of n parts like 1 + (n-1)/2 of them (as in _terms)."""
        return self._weight(alt.terms) * (1 + TERM_LENGTH_BONUS * (alt.parts - 1))

    def _text_terms(self, text: str) -> tuple[tuple[int, ...], int]:
        """Index terms of a wording (pairs of its Chinese runs, a lone character, words) and how many it has."""
        features: list[str] = []
        for run in runs(text):
            if not is_cjk(run):
                features.extend(WORD + w for w in latin_parts(run) if w not in STOPWORDS_EN)
            elif len(run) == 1:
                features.append(UNIGRAM + run)
            else:
                features.extend(BIGRAM + run[i : i + 2] for i in range(len(run) - 1))
        known = [self.index.vocab.get(f) for f in features]
        common = sum(1 for t in known if t is not None and self.index.df[t] > self.common)  # neither found nor missed
        terms = tuple(t for t in known if t is not None and self.index.df[t] <= self.common)
        return terms, len(features) - common

    def _alternatives(self, wordings: list[str], quality: float) -> list[Alternative]:
        """Wordings as alternatives; those mostly unknown to the passages could earn little and are left out."""
        key = (tuple(wordings), quality)
        cached = self._wordings.get(key)
        if cached is None:
            cached = []
            for wording in wordings:
                terms, parts = self._text_terms(wording)
                if terms and (len(terms) / parts) ** PARTIAL_POWER >= MIN_REACHABLE:  # (parts >= terms >= 1)
                    cached.append(Alternative(quality, terms, parts, not has_cjk(wording)))
            if len(self._wordings) < 100_000:
                self._wordings[key] = cached
        return cached

    # -- Chinese --------------------------------------------------------------------------------------

    def _pair_slot(self, pair: str, word: bool = True, everyday: bool = True) -> Slot | None:
        """A character pair: itself, or the pairs that sound the same (typos); None when too common.

        An everyday word weighs less as evidence (commonness.py), unless `everyday` is off: the pair is part
        of a longer word, whose own commonness counts.
        """
        term = self.index.vocab.get(BIGRAM + pair)
        if term is not None:
            if self.index.df[term] > self.common:
                return None
            alts = [Alternative(1.0, (term,))]
        else:
            alts = []
        alts.extend(Alternative(HOMOPHONE_QUALITY if term is None else HOMOPHONE_OF_KNOWN, (t,))
                    for t in self.index.homophones(pair)
                    if t != term and self.index.df[t] <= self.common)
        unknown = self.unknown if word or not self.dictionary.vocabulary else self.unknown * BOUNDARY_SHARE
        if not alts:
            return Slot(unknown, ())
        weight = float(self.index.idf[term]) if term is not None else max(float(self.index.idf[a.terms[0]])
                                                                              for a in alts)
        return Slot(weight * chinese_share(pair) if everyday else weight, tuple(alts))

    def _chinese(self, plan: QueryPlan, run: str, compact: list[str]) -> None:
        """A Chinese run: its glossary terms, then its other character pairs, and its characters."""
        mask = filler_mask(run)
        for name in self.name_terms:
            for found in re.finditer(re.escape(name), run):
                mask[found.start() : found.end()] = [True] * len(name)
                plan.names |= {name}
        content = "".join(ch for ch, m in zip(run, mask, strict=True) if not m)
        compact.append(content)
        if len(run) == 1:
            chars = [slot for slot in map(self._char_slot, dict.fromkeys(content)) if slot is not None]
            plan.chars.extend(chars)
            plan.slots.extend(chars)
            return
        claimed, translated, within = self._terms(plan, run, mask)
        # Characters of a word matched in translation are not missed where the passage is in the other language.
        kept = "".join(ch for i, (ch, m) in enumerate(zip(run, mask, strict=True)) if not m and not translated[i])
        plan.chars.extend(slot for slot in map(self._char_slot, dict.fromkeys(kept)) if slot is not None)
        for i in range(len(run) - 1):
            if claimed[i] or claimed[i + 1]:  # a term's edge is a word boundary
                continue
            pair = run[i : i + 2]
            if mask[i] or mask[i + 1]:
                term = self._term(BIGRAM + pair)
                if term is not None:
                    plan.extra[term] = plan.extra.get(term, 0.0) + FILLER_WEIGHT
                continue
            slot = self._pair_slot(pair, within[i])
            if slot is not None:
                plan.slots.append(slot)

    def _char_slot(self, char: str) -> Slot | None:
        """One character; None when too common to help."""
        term = self.index.vocab.get(UNIGRAM + char)
        if term is None:
            return Slot(self.unknown, ())
        if self.index.df[term] > self.common:
            return None
        return Slot(float(self.index.idf[term]), (Alternative(1.0, (term,)),))

    def _kind(self, text: str, english_only: bool = False) -> Kind | None:
        """Whether a string is a word, and which kind wins: the talk's glossary, a chat form, the dictionary."""
        if text in self.glossary.synonyms:
            return Kind.TERM
        if text in COLLOQUIAL:
            return Kind.CHAT
        if text not in self.dictionary.vocabulary:  # most strings of a run: no word at all
            return None
        known = self.dictionary
        if text in known.glosses or text in known.thesaurus or (english_only and text in known.borrowed):
            return Kind.WORD
        return Kind.PLAIN

    def _terms(self, plan: QueryPlan, run: str, mask: list[bool]) -> tuple[list[bool], list[bool], list[bool]]:
        """Slots for the glossary, chat and dictionary words of a run, in all their wordings.

        Returns which characters the words claimed, which of those belong to a word that only its
        translations or synonyms can match (no passage has it as written), and which character pairs lie
        inside a word of the run's best cut (segment.py).
        """
        claimed = [False] * len(run)
        translated = [False] * len(run)
        kinds: dict[str, Kind | None] = {}  # both cuts below ask about the same strings

        def kind_of(text: str) -> Kind | None:
            if text not in kinds:
                kinds[text] = self._kind(text, plan.english_only)
            return kinds[text]

        def matchable(text: str) -> Kind | None:  # a word whose wordings the passages can match
            kind = kind_of(text)
            return None if kind is Kind.PLAIN else kind

        joins = filler_joins(run)
        words = segment(run, mask, matchable, chinese_zipf, self._longest, joins)
        for word in words:
            found, start, end = word.text, word.start, word.end
            pairs = [p for p in (self._pair_slot(run[i : i + 2], everyday=False) for i in range(start, end - 1)) if p]
            written = self._alternatives([found], 1.0)
            if word.kind is Kind.TERM:
                alts = [*written, *self._alternatives(self.glossary.synonyms[found], SYNONYM_QUALITY),
                        *self._alternatives(self._glosses(found), DICTIONARY_QUALITY)]  # other talks' words too
            elif word.kind is Kind.CHAT:
                alts = [*written, *self._alternatives(COLLOQUIAL[found], SYNONYM_QUALITY)]
            else:
                alts = [*written, *self._alternatives(self._glosses(found), DICTIONARY_QUALITY),
                        *self._alternatives(self.dictionary.same_meaning(found)[:MAX_SYNONYMS], THESAURUS_QUALITY),
                        *self._alternatives(self.dictionary.synonyms(found)[:MAX_SYNONYMS], DICTIONARY_SYNONYM),
                        *(self._alternatives(self._glosses(found, borrowed=True), BORROWED_QUALITY)
                          if plan.english_only else ())]
            if written and pairs:
                weight = sum(p.weight for p in pairs) / len(pairs) * (1 + TERM_LENGTH_BONUS * (len(pairs) - 1))
            elif alts and not (word.kind is Kind.TERM and not pairs):
                weight = sum(map(self._term_weight, alts)) / len(alts)
                translated[start:end] = [True] * len(found)
            else:
                continue
            plan.slots.append(Slot(weight * chinese_share(found), tuple(alts)))
            claimed[start:end] = [True] * len(found)
        # Word boundaries for the pairs left: any dictionary word counts, whether or not it can be matched.
        return claimed, translated, inside(segment(run, mask, kind_of, chinese_zipf, self._longest, joins), len(run))

    def _glosses(self, word: str, borrowed: bool = False) -> list[str]:
        """The English glosses of a Chinese dictionary word (or of its words of the same meaning), as wordings."""
        table = self.dictionary.borrowed if borrowed else self.dictionary.glosses
        return [" ".join(gloss) for gloss in table.get(word, ()) if gloss[0] != NEGATED]  # "not the same" ≠ "same"

    # -- Latin ------------------------------------------------------------------------------------

    def correct(self, word: str) -> str | None:
        """The known word a Latin typo most likely meant (ltsm → lstm), or None."""
        if word in self._known:
            return word
        if len(word) < 4 or not word.isalpha():
            return None
        limit = 1 if len(word) < 7 else 2  # a stem is shorter than what was typed (compromize → comprom)
        lengths = (len(word) - 1, len(word), len(word) + 1) if len(word) > 4 else (len(word),)
        pool = [w for n in lengths for w in self._by_length.get(n, [])] if len(word) < 6 else self.known_words
        match = process.extractOne(word, pool, scorer=OSA.distance, score_cutoff=limit)
        if match is not None:
            return str(match[0])
        # A misspelt long word often has a stem no word has ("hallucinatons"): match its start to a known stem.
        for size in range(min(len(word) - 1, 12), 4, -1):
            prefix = word[:size]
            near = process.extractOne(prefix, self._by_length.get(size, []), scorer=OSA.distance,
                                      score_cutoff=1 if size > 5 else 0)  # a short stem only as it stands
            if near is not None:
                return str(near[0])
        return None

    def _latin(self, plan: QueryPlan, words: list[str], compact: list[str], lone_letters: bool,
               capitalised: frozenset[str] = frozenset()) -> None:
        """Latin words: glossary phrases become their terms in both languages; others match as words.

        A lone letter counts beside Chinese (X 轴) or inside a glossary phrase (x axis), but on its own in a
        Latin query it is markup or noise (`_x_`), never evidence. A speaker's name names the speaker (and
        keeps the question to their talks) when it is written with a capital or is no everyday word.
        """
        plan.names |= {w for w in words if w in self.name_words and len(w) > 2  # not an initial ("d")
                       and (w in capitalised or english_share((w,)) == 1.0)}  # "jobs" is a name only as "Jobs"
        words = [w for w in words if w not in self.name_words]
        fixed = [(w, 1.0) if w in STOPWORDS_EN or w in self._known or w in self.dictionary.english
                 else (self.correct(w) or w, CORRECTED_QUALITY) for w in words]  # real words are not typos
        content = [w for w, _ in fixed if w not in STOPWORDS_EN]
        plan.phrases = tuple(dict.fromkeys(pairwise(content)))
        i = 0
        while i < len(fixed):
            for size in range(min(self.glossary.longest_phrase, len(fixed) - i), 0, -1):
                key = tuple(w for w, _ in fixed[i : i + size])
                targets = self.glossary.phrases.get(key)
                if targets and not (size == 1 and key[0] in STOPWORDS_EN):
                    quality = min(q for _, q in fixed[i : i + size])
                    # as written first; the glossary's wordings are translations, each a little less sure
                    alts = [*self._alternatives([" ".join(key)], quality),
                            *self._alternatives(targets, quality * SYNONYM_QUALITY)]
                    weight = (sum(map(self._term_weight, alts)) / len(alts) * english_share(key) if alts
                              else self.unknown_word)
                    plan.slots.append(Slot(weight, tuple(alts), latin=True))
                    compact.append(targets[0])
                    i += size
                    break
            else:
                word, quality = fixed[i]
                if word in STOPWORDS_EN or (not lone_letters and len(word) == 1 and word.isalpha()):
                    i += 1
                    continue
                if _NUMBER.fullmatch(word) and self._term(WORD + word) is None:
                    i += 1
                    continue  # a number no passage has ("预训练 7") is no evidence either way
                i += self._word(plan, [w for w, _ in fixed[i : i + 2]], quality)
                compact.append(word)

    def _word(self, plan: QueryPlan, words: list[str], quality: float) -> int:
        """A slot for an English word (or a two-word dictionary phrase): itself and its Chinese translations."""
        for size in (2, 1)[2 - len(words) :] if len(words) > 1 else (1,):
            key = tuple(words[:size])
            chinese = self.dictionary.words.get(key, [])[:MAX_SYNONYMS]
            if size == 2 and not chinese:
                continue
            term = self._term(WORD + key[0]) if size == 1 else None
            alts = [*([Alternative(quality, (term,), latin=True)] if term is not None else []),
                    *self._alternatives(chinese, quality * TRANSLATED_QUALITY)]
            if size == 2:
                alts[:0] = self._alternatives([" ".join(key)], quality)
            elif term is None:  # "scared" in a talk that says "frightened"
                related = (self._term(WORD + w) for w in self.dictionary.related_words(key[0]))
                alts.extend(Alternative(quality * RELATED_QUALITY, (t,), latin=True) for t in related if t is not None)
            if term is not None:
                weight = self._weight((term,)) * english_share(key)
            elif alts:
                weight = sum(map(self._term_weight, alts)) / len(alts) * english_share(key)
            else:
                weight = self.unknown_word
            plan.slots.append(Slot(weight, tuple(alts), latin=True))
            return size
        return 1

    # -- the plan ---------------------------------------------------------------------------------

    def plan(self, query: str, english_only: bool = False) -> QueryPlan:
        """Turn a query into weighted slots (normalised, glossary-expanded, typo-tolerant).

        For passages all in English (`english_only`), Chinese words also try the translations of their
        words of the same meaning: among English passages only, a looser translation cannot outrank the
        Chinese passage that has the word itself.
        """
        text = normalise(_MENTION.sub(" ", _TAG.sub(" ", query[: MAX_QUERY_CHARS * 2])))[:MAX_QUERY_CHARS]
        plan = QueryPlan(english_only=english_only)
        if _CODE.match(text) and not any(is_cjk(run) for run in runs(text)):
            return plan
        words: list[str] = []
        compact: list[str] = []
        plan.edge, searched = edge_of(text)  # "开场谢了谁": who was thanked, in the opening paragraphs
        for run in runs(searched):
            if is_cjk(run):
                self._chinese(plan, run, compact)
            else:
                words.extend(latin_parts(run))
        if not any(c.isalpha() for c in "".join(compact)) and not any(len(w) > 1 and not w.isdigit() for w in words):
            # numbers and lone letters alone ("1", "1=1") are not a question about anything; "结尾他说了啥" asks
            # for where the talk ends
            return QueryPlan(edge=plan.edge, names=plan.names)
        capitalised = frozenset(stem(w.casefold()) for w in _CAPITALISED.findall(query[: MAX_QUERY_CHARS * 2]))
        self._latin(plan, words, compact, lone_letters=bool(compact), capitalised=capitalised)
        if not plan.chars and all(_NUMBER.fullmatch(word) for word in compact):
            return QueryPlan(edge=plan.edge, names=plan.names)  # only numbers ("1", "3.5"), or only where to look
        plan.slots = distinct(plan.slots)
        plan.compact = "".join(compact)[:64]
        if WHY.search(text):
            plan.cues = tuple(t for t in (self._term(BIGRAM + w) for w in BECAUSE_ZH) if t is not None)
        plan.asks_speaker = self._asks_speaker.search(text) is not None
        plan.yes_no = YES_NO.search(text) is not None
        plan.items = ITEMS.search(text) is not None
        plan.defines = defined_term(text)
        return plan
