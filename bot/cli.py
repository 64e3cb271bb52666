"""Command line: run | search | eval | stats | check-content (also `python -m bot ...`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.config import ConfigError, Settings, load_settings
from bot.content.loader import ContentError, load_library
from bot.content.model import Passage
from bot.logs import setup_logging
from bot.search.engine import SearchEngine
from bot.storage.store import StorageError, Store

log = logging.getLogger("bot")
STOP_SECONDS = 9.0


def _speaker(engine: SearchEngine, passage: Passage) -> str:
    return engine.library.by_id(passage.talk_id).speaker if passage.role == "speaker" else passage.speaker


def result_json(engine: SearchEngine, query: str, limit: int) -> dict[str, object]:
    """One query's results in the documented JSON shape."""
    hits = engine.search(query, limit=limit) if query.strip() else []
    return {
        "query": query,
        "results": [
            {"text": h.passage.text, "score": h.score, "talk": h.passage.talk_id, "section": h.passage.section,
             "paragraph": h.passage.number, "speaker": _speaker(engine, h.passage)}
            for h in hits
        ],
    }


def cmd_search(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Search the talks from the command line (one query, or one per stdin line with --batch)."""
    engine = SearchEngine(load_library(settings.content_dir), settings.index_path)
    if args.batch:
        for line in sys.stdin:
            query = line.rstrip("\r\n")
            out.write(json.dumps(result_json(engine, query, args.limit), ensure_ascii=False) + "\n")
            out.flush()
        return 0
    query = " ".join(args.query)
    if not query.strip():
        print("search: give a query, or --batch to read queries from stdin", file=sys.stderr)
        return 2
    data = result_json(engine, query, args.limit)
    if args.json:
        out.write(json.dumps(data, ensure_ascii=False) + "\n")
        return 0
    results = data["results"]
    assert isinstance(results, list)
    if not results:
        out.write("no good match\n")
    for number, r in enumerate(results, start=1):
        out.write(f"{number}. [{r['score']:.2f}] {r['text']}\n   — {r['speaker']} · {r['talk']} · "
                  f"{r['section']} ¶{r['paragraph']}\n")
    return 0


def cmd_eval(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Score search on a labelled query file: hit@1, hit@3 and off-topic rejection per kind."""
    from bot.search.evaluate import evaluate, load_queries, report

    engine = SearchEngine(load_library(settings.content_dir), settings.index_path)
    scores = evaluate(load_queries(Path(args.file)),
                      lambda q: [h.passage.text for h in engine.search(q, limit=3)])
    if args.json:
        out.write(json.dumps({k: {"n": s.total, "hit1": s.rate(s.hit1), "hit3": s.rate(s.hit3),
                                  "reject": s.rate(s.rejected)} for k, s in scores.items()}) + "\n")
    else:
        out.write(report(scores) + "\n")
    return 0


def cmd_check_content(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Validate the content folder; print a summary or the first problem."""
    library = load_library(Path(args.dir) if args.dir else settings.content_dir)
    glossary = sum(len(t.glossary) for t in library.talks)
    out.write(f"OK: {len(library.talks)} talk(s), {len(library.passages)} passages, {len(library.quotes)} "
              f"quotable sentences, {glossary} glossary terms\n")
    for talk in library.talks:
        out.write(f"  {talk.id}: {talk.title} ({len(talk.passages)} passages) — {talk.path}\n")
    return 0


async def _stats(settings: Settings, out: TextIO, days: int) -> int:
    store = await Store.open(settings.database, settings.hash_salt)
    try:
        per_day = await store.read(
            "SELECT date(ts, 'unixepoch') AS day, COUNT(*), SUM(result_count = 0 AND command IN ('ask','quote')) "
            "FROM usage WHERE ts >= strftime('%s','now') - ? * 86400 GROUP BY day ORDER BY day", (days,))
        top = await store.read(
            "SELECT query, COUNT(*) AS n FROM usage WHERE command IN ('ask','quote') AND query != '' "
            "GROUP BY query ORDER BY n DESC, query LIMIT 15")
        empty = await store.read(
            "SELECT query, COUNT(*) AS n FROM usage WHERE command IN ('ask','quote','inline','autocomplete') "
            "AND outcome = 'no_match' AND query != '' GROUP BY query ORDER BY n DESC, query LIMIT 15")
        by_platform = await store.read(
            "SELECT platform, command, COUNT(*), ROUND(AVG(latency_ms), 2) FROM usage "
            "GROUP BY platform, command ORDER BY platform, COUNT(*) DESC")
    finally:
        await store.close()
    out.write(f"Commands per day (last {days} days):\n")
    for day, count, unanswered in per_day:
        out.write(f"  {day}  {count:>6}  ({unanswered or 0} unanswered)\n")
    out.write("Top queries:\n")
    for query, count in top:
        out.write(f"  {count:>5}  {str(query)[:80]}\n")
    out.write("Queries that found nothing:\n")
    for query, count in empty:
        out.write(f"  {count:>5}  {str(query)[:80]}\n")
    out.write("By platform and command (count, mean latency ms):\n")
    for platform, command, count, latency in by_platform:
        out.write(f"  {platform:<9} {command:<13} {count:>7}  {latency}\n")
    return 0


def cmd_stats(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Usage report from the log: commands per day, top queries, queries that found nothing."""
    return asyncio.run(_stats(settings, out, args.days))


def _adapters(settings: Settings, app: object) -> list[object]:
    adapters: list[object] = []
    if settings.telegram is not None:
        from bot.adapters.telegram import TelegramAdapter

        adapters.append(TelegramAdapter(app, settings.telegram))  # type: ignore[arg-type]
    if settings.discord is not None:
        from bot.adapters.discord import DiscordAdapter

        adapters.append(DiscordAdapter(app, settings.discord))  # type: ignore[arg-type]
    return adapters


async def run_bot(settings: Settings) -> int:
    """Start every configured adapter (the console when no token is set) and serve until told to stop."""
    from bot.adapters.console import ConsoleAdapter
    from bot.app import App
    from bot.core.types import Adapter

    app = await App.create(settings)
    adapters: list[Adapter] = _adapters(settings, app)  # type: ignore[assignment]
    console = ConsoleAdapter(app) if settings.console_enabled else None
    if console is not None:
        adapters.append(console)
    for adapter in adapters:
        app.register(adapter)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    started: list[Adapter] = []
    code = 0
    try:
        for adapter in adapters:
            await adapter.start()
            started.append(adapter)
            log.info("%s adapter started", adapter.platform)
        app.start_background()
        waits = [asyncio.create_task(stop.wait())]
        if console is not None and len(adapters) == 1:
            waits.append(asyncio.create_task(console.done.wait()))
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in waits:
            task.cancel()
        log.info("shutting down")
    except Exception as exc:
        log.error("could not start: %s", exc)
        code = 1
    finally:
        for adapter in reversed(started):
            try:
                await asyncio.wait_for(adapter.stop(), STOP_SECONDS)
            except Exception as exc:
                log.warning("%s adapter did not stop cleanly: %s", adapter.platform, exc)
        await app.close()
    return code


def cmd_run(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Run the bot."""
    return asyncio.run(run_bot(settings))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="transcript-bot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="start the bot (console when no platform token is set)").set_defaults(fn=cmd_run)
    search = sub.add_parser("search", help="search the talks")
    search.add_argument("query", nargs="*")
    search.add_argument("--limit", type=int, default=3)
    search.add_argument("--json", action="store_true", help="print the results as one JSON object")
    search.add_argument("--batch", action="store_true", help="read queries from stdin, one JSON line each")
    search.set_defaults(fn=cmd_search)
    ev = sub.add_parser("eval", help="score search quality on a labelled query file")
    ev.add_argument("file")
    ev.add_argument("--json", action="store_true")
    ev.set_defaults(fn=cmd_eval)
    stats = sub.add_parser("stats", help="usage report from the log")
    stats.add_argument("--days", type=int, default=14)
    stats.set_defaults(fn=cmd_stats)
    check = sub.add_parser("check-content", help="validate the talk files")
    check.add_argument("dir", nargs="?")
    check.set_defaults(fn=cmd_check_content)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the transcript-bot command."""
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        setup_logging(settings.log_level, settings.secrets)
        if getattr(args, "limit", 1) < 1:
            raise ConfigError("--limit: expected a positive number")
        return int(args.fn(settings, args, sys.stdout))
    except (ConfigError, ContentError, StorageError) as exc:
        print(f"transcript-bot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
