"""Live reload at scale: 1,000 talks, one file changes; reload time beside a cold start, and /ask latency while
the new library and index are built aside.

    python -m bench.reload_bench [--talks 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bench.corpus import generate
from bot.app import App
from bot.config import load_settings
from bot.content.loader import load_library
from bot.core.types import Request
from bot.search.engine import SearchEngine
from bot.search.evaluate import load_queries

REPO = Path(__file__).resolve().parent.parent


def _cold(folder: Path, index: Path) -> float:
    """Seconds to load every talk and build or map the index: what a start does (topics come when a hint asks)."""
    started = time.perf_counter()
    library = load_library(folder)
    SearchEngine(library, index)
    return time.perf_counter() - started


def _touch(folder: Path, n: int) -> None:
    """Change one talk file: one more paragraph at the start of its talk section."""
    path = sorted(folder.glob("*.md"))[n]
    text = path.read_text(encoding="utf-8").replace("## Talk\n", f"## Talk\n\n这是第 {n} 次修改后新加的一段话。\n", 1)
    path.write_text(text, encoding="utf-8")


def _p(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


async def _asks(app: App, queries: list[str], until: asyncio.Task[bool] | None, count: int) -> list[float]:
    """Latencies of /ask, one after another, while `until` runs (or `count` of them)."""
    samples: list[float] = []
    n = 0
    while (until is not None and not until.done()) or (until is None and n < count):
        query = queries[n % len(queries)]
        started = time.perf_counter()
        await app.handle(Request("bench", "c", "u", "ask", query))
        samples.append(time.perf_counter() - started)
        n += 1
        await asyncio.sleep(0.005)  # one question every few milliseconds, as a busy chat would send them
    return samples


async def _live(folder: Path, data: Path) -> dict[str, float]:
    settings = load_settings({"BOT_CONTENT_DIR": str(folder), "BOT_DATABASE": str(data / "bot.sqlite3"),
                              "BOT_INDEX_DIR": str(data / "index"), "BOT_HASH_SALT": "bench-salt-0123456789"})
    app = await App.create(settings)
    queries = [q.q for q in load_queries(REPO / "tests" / "eval" / "queries.jsonl")]
    try:
        quiet = await _asks(app, queries, None, 300)
        _touch(folder, 1)
        started = time.perf_counter()
        await app.reloader.reload()
        reload_seconds = time.perf_counter() - started
        _touch(folder, 2)
        task = asyncio.create_task(app.reloader.reload())
        during = await _asks(app, queries, task, 0)
        await task
    finally:
        await app.close()
    return {"reload": reload_seconds, "quiet_p50": _p(quiet, 0.5), "quiet_p99": _p(quiet, 0.99),
            "during_p50": _p(during, 0.5), "during_p99": _p(during, 0.99), "during_max": max(during) * 1000,
            "during_n": len(during), "mean": statistics.mean(during) * 1000}


def main() -> None:
    """Print the reload table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--talks", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "talks"
        shutil.copytree(generate(args.talks), folder, ignore=shutil.ignore_patterns("_*"))
        index = Path(tmp) / "index"
        _touch(folder, 0)
        built = _cold(folder, index)  # a restart after a file changed: everything parsed, the index rebuilt
        mapped = _cold(folder, index)  # a restart with nothing changed: the persisted index is mapped
        live = asyncio.run(_live(folder, Path(tmp)))
    print(f"{args.talks} talks\n")
    print("| cold start, index rebuilt (restart after a change) | cold start, index persisted | reload after one "
          "change | /ask p50 / p99 quiet | /ask p50 / p99 / max during a reload (n) |\n|---:|---:|---:|---:|---:|")
    print(f"| {built:.2f} s | {mapped:.2f} s | {live['reload']:.2f} s | {live['quiet_p50']:.1f} / "
          f"{live['quiet_p99']:.1f} ms | {live['during_p50']:.1f} / {live['during_p99']:.1f} / "
          f"{live['during_max']:.1f} ms ({live['during_n']:.0f}) |")


if __name__ == "__main__":
    main()
