"""Search quality beside two baselines on labelled queries, as Markdown tables for the README.

    python -m bench.baselines [FILE ...]    # default: every query file of tests/eval/, all talks loaded together

(a) rapidfuzz WRatio between the query and every paragraph (default_process), top 3 by score. It rejects
    below a threshold calibrated the way the engine's was: `calibrate` on the top scores of
    tests/eval/queries.jsonl (reject at least 90% of off-topic queries, keep the most answerable ones).
(b) SQLite FTS5 ranked by bm25 (bench/fts.py): the trigram tokenizer for queries holding Chinese, porter
    stemming (unicode61) for the others. bm25 values are not comparable across queries, so it has no
    threshold: it rejects only when nothing of the query occurs anywhere.
(c) This project: SearchEngine.search, the code path of `transcript-bot search` and /ask.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rapidfuzz import fuzz, process, utils

from bench import fts
from bot.content.loader import load_library
from bot.content.model import Library
from bot.search.engine import SearchEngine
from bot.search.evaluate import KindScore, LabelledQuery, calibrate, evaluate, load_queries

REPO = Path(__file__).resolve().parent.parent
CALIBRATION = REPO / "tests" / "eval" / "queries.jsonl"
EVAL = REPO / "tests" / "eval"
DEFAULT_FILES = (CALIBRATION, *(EVAL / f"{name}.jsonl" for name in ("holdout", "colloquial", "eisenhower", "chat",
                                                                    "groupchat", "forum", "roosevelt", "johnson",
                                                                    "carter")))
TEST_TALKS = REPO / "tests" / "talks"  # evaluation talks loaded beside the shipped ones
METHODS = ("rapidfuzz WRatio", "FTS5 bm25 (trigram zh, porter en)", "this engine")

Scored = Callable[[str], list[tuple[str, float]]]  # a query → (text, score) best first
Searcher = Callable[[str], list[str]]  # a query → the texts of its top results, empty when rejected


def wratio(texts: Sequence[str]) -> Scored:
    """Rank paragraphs by WRatio similarity to the query."""
    def run(query: str) -> list[tuple[str, float]]:
        found = process.extract(query, texts, scorer=fuzz.WRatio, processor=utils.default_process, limit=3)
        return [(str(text), float(score)) for text, score, _ in found]
    return run


def rejecting(scored: Scored, threshold: float) -> Callable[[str], list[str]]:
    """Texts of a scorer's results, or none when its best score is below the threshold."""
    def run(query: str) -> list[str]:
        results = scored(query)
        return [text for text, _ in results] if results and results[0][1] >= threshold else []
    return run


def threshold_for(scored: Scored, queries: Sequence[LabelledQuery]) -> float:
    """The rejection threshold of a scorer, calibrated on labelled queries like the engine's."""
    right: list[float] = []
    off_topic: list[float] = []
    for query in queries:
        results = scored(query.q)
        top = results[0][1] if results else 0.0
        if query.gold is None:
            off_topic.append(top)
        elif results and query.gold in results[0][0]:
            right.append(top)
    return calibrate(right, off_topic)


def searchers(content: Path, extra: Sequence[Path] = ()) -> tuple[dict[str, Searcher], float]:
    """The three searchers (query → texts of the top 3, empty when rejected) and WRatio's threshold."""
    library = Library([t for folder in (content, *extra) for t in load_library(folder).talks])
    texts = [p.text for p in library.passages]
    fuzzy = wratio(texts)
    threshold = threshold_for(fuzzy, load_queries(CALIBRATION))
    db = fts.build(texts)
    engine = SearchEngine(library, None)
    return {
        METHODS[0]: rejecting(fuzzy, threshold),
        METHODS[1]: lambda q: [texts[i] for i in fts.search_any(db, q, 3)],
        METHODS[2]: lambda q: [h.passage.text for h in engine.search(q, limit=3)],
    }, threshold


def table(results: dict[str, dict[str, KindScore]]) -> str:
    """One Markdown table: a row per kind, hit@1 / hit@3 (answerable) or reject (off-topic) per method."""
    kinds = sorted({k for scores in results.values() for k in scores}, key=lambda k: (k in ("all", "negative"), k))
    head = "| kind | n | " + " | ".join(f"{m} hit@1 | hit@3" for m in results) + " |"
    lines = [head, "|" + "---|" * (2 + 2 * len(results))]
    for kind in kinds:
        first = next(iter(results.values()))[kind]
        cells = []
        for scores in results.values():
            s = scores[kind]
            cells += [f"reject {s.rate(s.rejected):.3f}", ""] if kind == "negative" else [
                f"{s.rate(s.hit1):.3f}", f"{s.rate(s.hit3):.3f}"]
        lines.append(f"| {kind} | {first.total} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Score every method on every file and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, default=list(DEFAULT_FILES))
    parser.add_argument("--content", type=Path, default=REPO / "content")
    parser.add_argument("--talks", type=Path, action="append", help=f"also load these talks (default {TEST_TALKS})")
    args = parser.parse_args(argv)
    runs, threshold = searchers(args.content, args.talks or [TEST_TALKS])
    print(f"WRatio rejects below {threshold:.1f} (calibrated on {CALIBRATION.relative_to(REPO)}); "
          "FTS5 rejects only when nothing matches.\n")
    for path in args.files:
        if not path.exists():
            print(f"{path}: missing, skipped", file=sys.stderr)
            continue
        queries = load_queries(path)
        results = {name: evaluate(queries, run) for name, run in runs.items()}
        print(f"### {path.name} ({len(queries)} queries)\n\n{table(results)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
