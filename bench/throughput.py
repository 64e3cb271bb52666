"""Sustained command throughput through the whole core (router + search + usage log), in one process.

    python -m bench.throughput                      # 20 s per mode, 8 concurrent clients
    python -m bench.throughput --commands 50000     # a fixed number of commands per mode instead
    python -m bench.throughput --profile            # also print where the time goes (cProfile, logging on)

Commands are a mix of /ask with real, varied questions (tests/eval/*.jsonl), /quote, /quote <keywords> and
/summary from thousands of users in hundreds of chats. Each mode runs on a fresh database: once with every
command logged, once with the usage log disabled (store.logging_enabled = False), so the cost of logging is
the difference. Throughput counts until the last usage row is committed; the run fails (exit 1) unless
rows written == commands issued. Targets: >= 2,000 commands/s and p99 <= 10 ms per command.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from bot.app import App
from bot.config import REPO_CONTENT_DIR, Settings
from bot.core.types import Request

REPO = Path(__file__).resolve().parent.parent
QUERY_FILES = (REPO / "tests" / "eval" / "queries.jsonl", REPO / "tests" / "eval" / "holdout.jsonl")
FALLBACK_QUERIES = ("为什么预训练会结束", "why will pre-training end", "化石燃料", "超级智能会有什么特点",
                    "what did he say about agents", "十年前的自回归模型", "scaling hypothesis")
MIX = (("ask", 0.60), ("quote", 0.15), ("quote_keywords", 0.15), ("summary", 0.10))
TARGET_RATE = 2000.0
TARGET_P99_MS = 10.0


@dataclass(frozen=True, slots=True)
class Result:
    """One mode's measurements."""

    mode: str
    commands: int
    seconds: float
    drain_seconds: float
    latencies_ms: list[float]
    rows: int
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.commands / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_ms)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def load_queries() -> list[str]:
    """Real questions from the labelled query files (falls back to a few built-in ones)."""
    queries: list[str] = []
    for path in QUERY_FILES:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    queries.append(str(json.loads(line)["q"]))
    return queries or list(FALLBACK_QUERIES)


def keywords_of(app: App, queries: list[str], rng: random.Random) -> list[str]:
    """Keyword lists for /quote: glossary terms, and two or three words cut from the questions."""
    words = [term for talk in app.catalog.talks for entry in talk.glossary
             for term in (*entry.english, *entry.chinese)]
    for query in queries:
        parts = query.split()
        if len(parts) >= 3:
            start = rng.randrange(len(parts) - 1)
            words.append(" ".join(parts[start:start + rng.choice((2, 3))]))
        else:
            start = rng.randrange(max(1, len(query) - 3))
            words.append(query[start:start + rng.choice((2, 3, 4))])
    return [w for w in words if w.strip()] or ["超级智能"]


def requests(app: App, queries: list[str], seed: int) -> Iterator[Request]:
    """An endless, reproducible stream of requests in the benchmark's mix."""
    rng = random.Random(seed)
    keywords = keywords_of(app, queries, rng)
    talks = [talk.id for talk in app.catalog.talks]
    kinds = [kind for kind, _ in MIX]
    weights = [weight for _, weight in MIX]
    while True:
        kind = rng.choices(kinds, weights)[0]
        platform = rng.choice(("telegram", "discord"))
        user = str(rng.randrange(1, 5000))
        chat = user if rng.random() < 0.5 else f"-100{rng.randrange(500)}"
        if kind == "ask":
            command, args = "ask", rng.choice(queries)
        elif kind == "quote":
            command, args = "quote", ""
        elif kind == "quote_keywords":
            command, args = "quote", rng.choice(keywords)
        else:
            command, args = "summary", rng.choice(talks) if len(talks) > 1 else ""
        yield Request(platform, chat, user, command, args, locale=rng.choice(("zh", "en", None)),
                      chat_kind="private" if chat == user else "group")


async def run_mode(settings: Settings, mode: str, logging_on: bool, seconds: float, limit: int | None,
                   clients: int, warmup: int, seed: int, profiler: cProfile.Profile | None) -> Result:
    """Push commands through App.handle from concurrent clients; measure each call and the final flush."""
    app = await App.create(settings)
    try:
        app.store.logging_enabled = logging_on
        queries = load_queries()
        stream = requests(app, queries, seed)
        for _ in range(warmup):
            await app.handle(next(stream))
        await app.store.flush()
        before = (await app.store.read("SELECT COUNT(*) FROM usage"))[0][0]
        latencies: list[float] = []
        issued = 0
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal issued
            clock = time.perf_counter
            while (issued < limit) if limit is not None else (clock() < deadline):
                issued += 1
                request = next(stream)
                started = clock()
                await app.handle(request)
                latencies.append((clock() - started) * 1000)
                await asyncio.sleep(0)  # let the other clients and the store's writer run

        if profiler is not None:
            profiler.enable()
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(client() for _ in range(clients)))
        issued_at = time.perf_counter()
        await app.store.flush()  # sustained means: until every row is committed
        finished, cpu = time.perf_counter(), time.process_time() - cpu
        if profiler is not None:
            profiler.disable()
        after = (await app.store.read("SELECT COUNT(*) FROM usage"))[0][0]
        return Result(mode, issued, finished - started, finished - issued_at, latencies, after - before, cpu)
    finally:
        await app.close()


def table(results: list[Result]) -> str:
    """The results as an aligned text table."""
    head = f"{'mode':<12} {'commands':>9} {'seconds':>8} {'commands/s':>11} {'per cpu-s':>10} {'p50 ms':>7} " \
           f"{'p99 ms':>7} {'max ms':>7} {'flush ms':>8} {'rows written':>13}"
    lines = [head, "-" * len(head)]
    for r in results:
        per_cpu = r.commands / r.cpu_seconds if r.cpu_seconds else 0.0
        lines.append(f"{r.mode:<12} {r.commands:>9} {r.seconds:>8.2f} {r.rate:>11.0f} {per_cpu:>10.0f} "
                     f"{r.percentile(50):>7.2f} "
                     f"{r.percentile(99):>7.2f} {max(r.latencies_ms, default=0):>7.2f} {r.drain_seconds * 1000:>8.0f} "
                     f"{r.rows:>13}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each mode (default 20)")
    parser.add_argument("--commands", type=int, default=None, help="a fixed number of commands per mode instead")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--warmup", type=int, default=500, help="untimed commands first (default 500)")
    parser.add_argument("--content", type=Path, default=REPO_CONTENT_DIR, help="talk folder (default content/)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile the logging-on run; print the top")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-throughput-") as tmp:
        base = Settings(database=Path(tmp) / "on" / "bot.sqlite3", content_dir=args.content,
                        index_dir=Path(tmp) / "index", hash_salt="bench-salt-0123456789abcdef",
                        log_retention_days=0)
        profiler = cProfile.Profile() if args.profile else None
        results = []
        for mode, logging_on in (("logging on", True), ("logging off", False)):
            settings = replace(base, database=Path(tmp) / mode.split()[1] / "bot.sqlite3")
            results.append(asyncio.run(run_mode(settings, mode, logging_on, args.seconds, args.commands,
                                                args.clients, args.warmup, args.seed,
                                                profiler if logging_on else None)))
    on, off = results
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{os.cpu_count()} CPU(s), load average {load:.2f} (other processes skew the wall-clock numbers; "
          "'per cpu-s' is commands per CPU-second of this process)\n")
    print(table(results))
    cpu_on = on.cpu_seconds / on.commands * 1e6 if on.commands else 0.0
    cpu_off = off.cpu_seconds / off.commands * 1e6 if off.commands else 0.0
    print(f"\nCPU per command: {cpu_on:.0f} us with logging, {cpu_off:.0f} us without: logging costs "
          f"{cpu_on - cpu_off:.0f} us ({(cpu_on - cpu_off) / cpu_off * 100 if cpu_off else 0:.0f}%) per command; "
          f"the final flush of the usage log took {on.drain_seconds * 1000:.0f} ms")
    met = on.rate >= TARGET_RATE and on.percentile(99) <= TARGET_P99_MS
    print(f"target (logging on): >= {TARGET_RATE:.0f} commands/s and p99 <= {TARGET_P99_MS:.0f} ms: "
          f"{'met' if met else 'NOT met'}")
    ok = on.rows == on.commands and off.rows == 0
    print(f"rows written == commands issued: {'yes' if on.rows == on.commands else 'NO'} "
          f"({on.rows} of {on.commands}); with logging off: {off.rows} rows")
    if args.json:
        print(json.dumps([{"mode": r.mode, "commands": r.commands, "seconds": round(r.seconds, 3),
                           "commands_per_s": round(r.rate, 1), "p50_ms": round(r.percentile(50), 3),
                           "p99_ms": round(r.percentile(99), 3), "rows": r.rows} for r in results]))
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
        print(out.getvalue())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
