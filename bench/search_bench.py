"""Speed and scale of search on 1, 100 and 1,000 synthetic talks, beside SQLite FTS5 trigram (bm25).

    python -m bench.search_bench [--sizes 1 100 1000] [--rounds 3]

Per corpus size, each measurement in a fresh process so none pays for another:
- index build: building and saving the persisted index and the dictionary tables cut down to it
  (content already loaded);
- cold start: from starting a process to its first answer: imports, loading the talks, loading the
  persisted (valid) index, one query; then /ask latency over every labelled query, `--rounds` times,
  through SearchEngine.search as the bot calls it, and the process's peak RSS (ru_maxrss);
- FTS5: the same passages in an FTS5 trigram table, the same queries ranked by bm25.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from bench import corpus

REPO = corpus.REPO
QUERY_FILES = (REPO / "tests" / "eval" / "queries.jsonl", REPO / "tests" / "eval" / "holdout.jsonl")
ASK_LIMIT = 4  # /ask asks for one page of three results plus one, to know whether to offer "more"


def _queries() -> list[str]:
    return [json.loads(line)["q"] for path in QUERY_FILES if path.exists()
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _percentiles(samples: list[float]) -> dict[str, float]:
    values = np.asarray(samples, dtype=np.float64)
    return {"p50": float(np.percentile(values, 50)), "p99": float(np.percentile(values, 99)), "n": len(samples)}


def _child(kind: str, rounds: int) -> dict[str, object]:
    """One measurement, in this (fresh) process; content and index folders come from the environment."""
    from bot.content.loader import load_library

    content, index_dir = Path(os.environ["BOT_CONTENT_DIR"]), Path(os.environ["BOT_INDEX_DIR"])
    if kind == "build":  # the index and the dictionary tables cut to it, both persisted
        from bot.search.engine import SearchEngine

        library = load_library(content)
        started = time.perf_counter()
        SearchEngine(library, index_dir)
        return {"build_s": time.perf_counter() - started, "passages": len(library.passages)}
    queries = _queries()
    timings: list[float] = []
    if kind == "fts":
        from bench import fts

        texts = [p.text for p in load_library(content).passages]
        started = time.perf_counter()
        db = fts.build(texts, index_dir / "fts.sqlite3")
        built = time.perf_counter() - started
        for _ in range(rounds):
            for query in queries:
                started = time.perf_counter()
                fts.search(db, query, ASK_LIMIT)
                timings.append((time.perf_counter() - started) * 1000)
        return {"fts_build_s": built, **{f"fts_{k}": v for k, v in _percentiles(timings).items()}}
    from bot.search.engine import SearchEngine

    started = time.perf_counter()
    library = load_library(content)
    loaded = time.perf_counter()
    engine = SearchEngine(library, index_dir)
    ready = time.perf_counter()
    engine.search(queries[0], limit=ASK_LIMIT)
    answered = time.perf_counter()
    print("ready", flush=True)  # the parent stops the cold-start clock here
    parts = {"load_s": loaded - started, "engine_s": ready - loaded, "first_ms": (answered - ready) * 1000}
    for _ in range(rounds):
        for query in queries:
            started = time.perf_counter()
            engine.search(query, limit=ASK_LIMIT)
            timings.append((time.perf_counter() - started) * 1000)
    return {**_percentiles(timings), **parts, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _spawn(kind: str, size: int, rounds: int) -> dict[str, object]:
    """Run one measurement in a fresh process; for the cold start, time it from spawn to first answer."""
    env = {**os.environ, "BOT_CONTENT_DIR": str(corpus.corpus_dir(size)),
           "BOT_INDEX_DIR": str(corpus.OUT / f"index-{size}"), "BOT_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "bench.search_bench", "--child", kind, "--rounds", str(rounds)]
    started = time.perf_counter()
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    result: dict[str, object] = {}
    for line in proc.stdout:
        if line.strip() == "ready":
            result["cold_s"] = time.perf_counter() - started
        elif line.startswith("{"):
            result.update(json.loads(line))
    if proc.wait() != 0:
        raise RuntimeError(f"{kind} benchmark for {size} talks failed")
    return result


def measure(size: int, rounds: int) -> dict[str, object]:
    """Every measurement for one corpus size."""
    corpus.generate(size)
    index_dir = corpus.OUT / f"index-{size}"
    shutil.rmtree(index_dir, ignore_errors=True)
    result: dict[str, object] = {"talks": size}
    for kind in ("build", "cold", "fts"):
        result.update(_spawn(kind, size, rounds))
    return result


def table(rows: list[dict[str, object]]) -> str:
    """The results as a Markdown table."""
    lines = ["| talks | passages | index build | cold start | peak RSS | p50 | p99 | FTS5 p50 | FTS5 p99 "
             "| p99 / FTS5 p99 |", "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        ratio = float(r["p99"]) / max(float(r["fts_p99"]), 1e-9)  # type: ignore[arg-type]
        lines.append(
            f"| {r['talks']:,} | {r['passages']:,} | {r['build_s']:.2f} s | {r['cold_s']:.2f} s | {r['rss_mb']:.0f} MB "
            f"| {r['p50']:.2f} ms | {r['p99']:.2f} ms | {r['fts_p50']:.2f} ms | {r['fts_p99']:.2f} ms | {ratio:.2f} |")
    lines += ["", "Cold start, where the time goes: start-up and imports, then loading the talk files (bot.content), "
              "then the engine (index file mapped, glossary, arrays), then the first query.", "",
              "| talks | imports | load talks | engine | first query |", "|---:|---:|---:|---:|---:|"]
    for r in rows:
        imports = float(r["cold_s"]) - float(r["load_s"]) - float(r["engine_s"]) - float(r["first_ms"]) / 1000  # type: ignore[arg-type]
        lines.append(f"| {r['talks']:,} | {imports:.2f} s | {r['load_s']:.2f} s | {r['engine_s']:.2f} s "
                     f"| {r['first_ms']:.1f} ms |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure every size and print the table (and save it as JSON in bench/out/)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=int, default=list(corpus.SIZES))
    parser.add_argument("--rounds", type=int, default=3, help="times each labelled query is asked")
    parser.add_argument("--child", choices=("build", "cold", "fts"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.rounds)), flush=True)
        return 0
    rows = []
    for size in args.sizes:
        rows.append(measure(size, args.rounds))
        print(f"measured {size} talk(s)", file=sys.stderr)
    print(f"/ask latency over {rows[0]['n']} searches ({args.rounds} rounds of the labelled queries)\n")
    print(table(rows))
    (corpus.OUT / "search_bench.json").write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
