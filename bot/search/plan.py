"""What a query becomes: weighted slots, each matched by any of its alternative wordings.

A slot is one unit of meaning of the query: a Chinese character pair, a glossary or dictionary word, an
English word or phrase. Its weight is its rarity in the passages (idf), lowered for everyday words. Each
alternative is a set of index terms (a wording, a translation, a homophone for a typo) with a quality; a
passage earns, per slot, the best alternative's quality times the share of its terms it contains.
(query.py builds plans; scoring.py scores passages against them.)
"""

from __future__ import annotations

from dataclasses import dataclass, field

PARTIAL_POWER = 2.0  # a wording found only in part earns (share found) ** this: a term counts when it is whole


@dataclass(frozen=True, slots=True)
class Alternative:
    """One way a slot can be matched: each of its `parts` found earns an equal share of `quality`.

    `terms` are the parts some passage has; parts no passage has can never be found, so they only
    lower the share of the others.
    """

    quality: float
    terms: tuple[int, ...]
    parts: int = 1
    latin: bool = False  # made of Latin words: it can be found in a passage without Chinese


@dataclass(slots=True)
class Slot:
    """A weighted unit of the query and the ways it can be matched."""

    weight: float
    alternatives: tuple[Alternative, ...]
    latin: bool = False  # a Latin word of the query: a passage without Chinese could hold it as written


@dataclass
class QueryPlan:
    """A query turned into weighted slots: word-level ones, character-level ones, and ranking-only terms."""

    slots: list[Slot] = field(default_factory=list)
    chars: list[Slot] = field(default_factory=list)
    extra: dict[int, float] = field(default_factory=dict)  # filler terms: ranking weight only
    compact: str = ""  # the query's content, for the fuzzy comparison
    cues: tuple[int, ...] = ()  # terms of the kind of passage the question asks for (a "why" wants a "because")
    asks_speaker: bool = False  # the question asks what the speaker answered or thinks
    english_only: bool = False  # planned for passages all in English (see Planner.plan)
    yes_no: bool = False  # a yes-or-no question (能不能…, …吗, "can models …"): the speaker's answer settles it
    names: frozenset[str] = frozenset()  # speakers' names the question mentions (only their talks answer it)
    phrases: tuple[tuple[str, str], ...] = ()  # neighbouring English content words, worth more found together
    items: bool = False  # asks for the items of a list ("哪三点"): a lead-in's continuation answers it first
    defines: str = ""  # the term a "what is …" question asks to have defined (cues.py)
    edge: str = ""  # "opening" or "closing" when the question asks about where a talk starts or ends (cues.py)

    @property
    def total(self) -> float:
        """Weight of the word-level slots."""
        return sum(s.weight for s in self.slots)

    @property
    def latin_only(self) -> bool:
        """True when every word-level slot is a Latin word of the query (nothing Chinese in it)."""
        return all(s.latin for s in self.slots)

    @property
    def latin_total(self) -> float:
        """Weight of the word-level slots a passage without Chinese could match (not those only Chinese can)."""
        return sum(s.weight for s in self.slots
                   if s.latin or not s.alternatives or any(a.latin for a in s.alternatives))

    @property
    def empty(self) -> bool:
        """True when the query holds nothing to search for (only punctuation, emoji or spaces)."""
        return not self.slots and not self.chars and not self.extra


def distinct(slots: list[Slot]) -> list[Slot]:
    """Slots whose wordings an earlier slot already has lose them: one word of a passage is evidence once.

    ("best pizza topping": best and top both translate to 顶级; a passage with 顶级 answers one of them.)
    """
    seen: set[tuple[int, ...]] = set()
    out: list[Slot] = []
    for slot in slots:
        if slot.alternatives and slot in out:
            continue  # the same word twice ("first things first") is one unit of the question, not two
        alts = tuple(a for a in slot.alternatives if a.terms not in seen)
        seen.update(a.terms for a in slot.alternatives)
        out.append(slot if len(alts) == len(slot.alternatives) else Slot(slot.weight, alts, slot.latin))
    return out
