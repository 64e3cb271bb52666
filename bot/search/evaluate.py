"""Search quality on a labelled query set: hit@1, hit@3 and off-topic rejection per kind."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.content.files import FileRefused, read_limited

# A searcher takes a query and returns the texts of its top results, best first (empty: rejected).
Searcher = Callable[[str], list[str]]


@dataclass(frozen=True, slots=True)
class LabelledQuery:
    """One evaluation query: its text, a substring of the right passage (None when off-topic), its kind."""

    q: str
    gold: str | None
    kind: str


@dataclass
class KindScore:
    """Counts for one kind of query."""

    total: int = 0
    hit1: int = 0
    hit3: int = 0
    rejected: int = 0

    def rate(self, count: int) -> float:
        return count / self.total if self.total else 0.0


def load_queries(path: Path) -> list[LabelledQuery]:
    """Read a JSON-lines file of {"q", "gold_contains", "kind"} objects."""
    queries = []
    try:
        text = read_limited(path).decode("utf-8")  # a regular file of at most 5 MB: never a pipe or a device
    except FileRefused as exc:
        raise ValueError(f"{path}: {exc}") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            queries.append(LabelledQuery(str(row["q"]), row.get("gold_contains"), str(row["kind"])))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: not a labelled query ({exc})") from None
    return queries


def evaluate(queries: Iterable[LabelledQuery], searcher: Searcher,
             talk_of: Callable[[str], str | None] | None = None) -> dict[str, KindScore]:
    """Score a searcher per kind, plus 'all' (answerable queries) and 'negative' rejection.

    With `talk_of` (the talk whose passage holds a gold text), answerable queries are also scored per talk
    and kind, as "<talk>: <kind>" and "<talk>: all".
    """
    scores: dict[str, KindScore] = defaultdict(KindScore)
    for query in queries:
        texts = searcher(query.q)[:3]
        kinds = [query.kind, "all"] if query.gold is not None else [query.kind]
        talk = talk_of(query.gold) if talk_of is not None and query.gold is not None else None
        if talk is not None:
            kinds += [f"{talk}: {query.kind}", f"{talk}: all"]
        for kind in kinds:
            score = scores[kind]
            score.total += 1
            if query.gold is None:
                score.rejected += not texts
            else:
                score.hit1 += bool(texts) and query.gold in texts[0]
                score.hit3 += any(query.gold in t for t in texts)
    return dict(scores)


def gold_talks(passages: Iterable[tuple[str, str]]) -> Callable[[str], str | None]:
    """From (talk id, text) pairs, a lookup of the talk whose passage holds a gold text (None: none does)."""
    pairs = list(passages)

    def talk_of(gold: str) -> str | None:
        return next((talk for talk, text in pairs if gold in text), None)
    return talk_of


def calibrate(answerable: Iterable[float], off_topic: Iterable[float], reject_share: float = 0.9) -> float:
    """The lowest threshold that still rejects `reject_share` of the off-topic queries, with a margin.

    Scores are each query's top score (0 when nothing came back); a query is answered when its top score is
    at least the threshold. The result lies halfway between the highest off-topic score that must be
    rejected and the next answerable score above it, so it keeps as many answerable queries as it can.
    """
    negatives = sorted(off_topic, reverse=True)
    if not negatives:
        return 0.0
    allowed = math.floor(len(negatives) * (1 - reject_share) + 1e-9)  # off-topic queries that may pass
    bar = negatives[allowed] if allowed < len(negatives) else 0.0
    above = [s for s in answerable if s > bar]
    return (bar + min(above)) / 2 if above else bar + 1e-6


def report(scores: dict[str, KindScore]) -> str:
    """A table of the scores, one kind a line."""
    width = max([12, *(len(k) for k in scores)])
    lines = [f"{'kind':<{width}} {'n':>4} {'hit@1':>6} {'hit@3':>6} {'reject':>6}"]
    for kind in sorted(scores, key=lambda k: (": " in k, k in ("all", "negative"), k.endswith(": all"), k)):
        s = scores[kind]
        if kind == "negative":
            lines.append(f"{kind:<{width}} {s.total:>4} {'':>6} {'':>6} {s.rate(s.rejected):>6.3f}")
        else:
            lines.append(f"{kind:<{width}} {s.total:>4} {s.rate(s.hit1):>6.3f} {s.rate(s.hit3):>6.3f} {'':>6}")
    return "\n".join(lines)
