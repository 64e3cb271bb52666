"""Command line: run | search | eval | stats | check-content | health | backup | forget (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TextIO, TypeVar

from bot.config import ConfigError, Settings, check_startup, load_settings, unknown_variables
from bot.content.loader import ContentError, load_library
from bot.content.model import Library, Passage
from bot.core.types import Adapter, CommandInfo, Reply, Request, Suggestion
from bot.logs import protect_handlers, setup_logging
from bot.ops import HEALTH_MAX_AGE, PLATFORMS, OpsError, backup, check_health, forget
from bot.search.engine import SearchEngine
from bot.storage.store import StorageError, Store, clean_text

if TYPE_CHECKING:
    from bot.app import App

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger("bot")
STOP_SECONDS = 9.0


def _speaker(engine: SearchEngine, passage: Passage) -> str:
    return engine.catalog.by_id(passage.talk_id).speaker if passage.role == "speaker" else passage.speaker


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


def lenient_stdio() -> None:
    """Undecodable bytes on stdin become U+FFFD instead of an exception (one bad line must not stop a run)."""
    for stream in (sys.stdin, sys.stdout):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


def json_line(data: object) -> str:
    """One JSON object on exactly one line, whatever line separators the text holds (U+2028, U+0085...)."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029").replace("\x85", "\\u0085") + "\n"


def library_of(settings: Settings, args: argparse.Namespace) -> Library:
    """The talks of the content folder, with those of any --talks folders beside them."""
    folders = [settings.content_dir, *map(Path, getattr(args, "talks", None) or ())]
    return Library([talk for folder in folders for talk in load_library(folder).talks])


def cmd_search(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Search the talks from the command line (one query, or one per stdin line with --batch)."""
    library = library_of(settings, args)
    engine = SearchEngine(library, None if getattr(args, "talks", None) else settings.index_path)
    if args.batch:
        lenient_stdio()
        for line in sys.stdin:
            query = clean_text(line.rstrip("\r\n"))
            out.write(json_line(result_json(engine, query, args.limit)))
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
    from bot.search.evaluate import evaluate, gold_talks, load_queries, report

    try:
        queries = load_queries(Path(args.file))
    except (OSError, ValueError) as exc:
        raise OpsError(f"eval: {exc}") from None
    library = library_of(settings, args)
    engine = SearchEngine(library, None if getattr(args, "talks", None) else settings.index_path)
    scores = evaluate(queries, lambda q: [h.passage.text for h in engine.search(q, limit=3)],
                      gold_talks((p.talk_id, p.text) for p in library.passages))
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
    if not settings.database.is_file():
        raise OpsError(f"BOT_DATABASE={settings.database}: no database there yet (has the bot run with it?)")
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


class DaemonExecutor(ThreadPoolExecutor):
    """The loop's default executor, on daemon threads that shutdown does not wait for.

    The console reads stdin with a blocking readline() in an executor thread; with the standard executor a
    pipe that stays open would keep the process alive after SIGTERM (asyncio.run and interpreter exit both
    join that thread). Short jobs (DNS lookups) still finish: shutdown waits for them up to a bound.
    """

    JOIN_SECONDS = 1.0

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="bot-io")
        self._live: set[threading.Thread] = set()
        self._guard = threading.Lock()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()

        def work() -> None:
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        result = fn(*args, **kwargs)
                    except BaseException as exc:
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
            finally:
                with self._guard:
                    self._live.discard(thread)

        thread = threading.Thread(target=work, name="bot-io", daemon=True)
        with self._guard:
            self._live.add(thread)
        thread.start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if wait:
            deadline = time.monotonic() + self.JOIN_SECONDS
            with self._guard:
                live = list(self._live)
            for thread in live:
                thread.join(max(0.0, deadline - time.monotonic()))
        super().shutdown(wait=False, cancel_futures=cancel_futures)


class DrainingCore:
    """The core as the console sees it: counts requests in flight; once closed, new ones wait forever
    (they are cancelled unanswered when the console stops) while those already running finish."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.default_language = app.default_language
        self._open = True
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def _gate(self) -> None:
        if not self._open:
            await asyncio.Event().wait()
        self._inflight += 1
        self._idle.clear()

    def _leave(self) -> None:
        self._inflight -= 1
        if self._inflight == 0:
            self._idle.set()

    async def handle(self, request: Request) -> Reply:
        await self._gate()
        try:
            return await self.app.handle(request)
        finally:
            self._leave()

    async def suggest(self, request: Request, limit: int) -> list[Suggestion]:
        await self._gate()
        try:
            return await self.app.suggest(request, limit)
        finally:
            self._leave()

    def commands(self) -> list[CommandInfo]:
        return self.app.commands()

    async def chat_migrated(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        await self.app.chat_migrated(platform, old_chat_id, new_chat_id)

    def register(self, adapter: Adapter) -> None:
        self.app.register(adapter)

    async def drain(self) -> None:
        """Take no new requests; return when those in flight have been answered."""
        self._open = False
        await self._idle.wait()


async def _stop_adapters(adapters: list[Adapter], console: Adapter | None, gate: DrainingCore | None,
                         seconds: float) -> None:
    """Stop every adapter at once (each stops taking updates and finishes its in-flight replies), all within
    one deadline; the console first lets its in-flight command finish."""

    async def stop_console() -> None:
        assert console is not None and gate is not None
        try:
            await asyncio.wait_for(gate.drain(), seconds)
        except TimeoutError:
            log.warning("console: a command still running at shutdown is abandoned")
        await console.stop()

    async def stop(adapter: Adapter) -> None:
        try:
            await (stop_console() if adapter is console else adapter.stop())
        except Exception as exc:
            log.warning("%s adapter did not stop cleanly: %s", adapter.platform, exc)

    tasks = [asyncio.create_task(stop(adapter), name=f"stop-{adapter.platform}") for adapter in adapters]
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=seconds)
    for task in pending:
        log.warning("%s adapter did not stop within %.0f s", task.get_name().removeprefix("stop-"), seconds)
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=1.0)


async def _start_unless_stopped(adapter: Adapter, stop: asyncio.Event) -> bool:
    """Start an adapter; a stop signal while it is still connecting abandons the start (False)."""
    starting = asyncio.create_task(adapter.start(), name=f"start-{adapter.platform}")
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if starting.done():
        starting.result()  # a failed start raises here
        return True
    log.info("%s adapter: start abandoned, the bot is stopping", adapter.platform)
    starting.cancel()
    await asyncio.wait({starting}, timeout=STOP_SECONDS / 3)
    return False


async def run_bot(settings: Settings) -> int:
    """Start every configured adapter (the console when no token is set) and serve until told to stop.

    SIGTERM or SIGINT: the daily scheduler stops (its pending deliveries released, sends under way finished
    briefly), adapters stop taking updates and finish in-flight replies (within STOP_SECONDS), then the usage
    log is flushed and the database closed; the exit code is 0.
    """
    from bot.adapters.console import ConsoleAdapter
    from bot.app import App

    loop = asyncio.get_running_loop()
    loop.set_default_executor(DaemonExecutor())
    stop = asyncio.Event()

    def on_signal(name: str) -> None:
        if stop.is_set():
            log.info("%s: already shutting down", name)
        else:
            log.info("%s received: stopping", name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal, sig.name)
    app = await App.create(settings)
    adapters: list[Adapter] = _adapters(settings, app)  # type: ignore[assignment]
    gate = DrainingCore(app) if settings.console_enabled else None
    console = ConsoleAdapter(gate) if gate is not None else None
    if console is not None:
        adapters.append(console)
    for adapter in adapters:
        app.register(adapter)
    started: list[Adapter] = []
    code = 0
    try:
        for adapter in adapters:
            if not await _start_unless_stopped(adapter, stop):
                break
            started.append(adapter)
            log.info("%s adapter started", adapter.platform)
        protect_handlers()  # handlers the platform libraries may have added while starting
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
        # the daily scheduler first: deliveries not yet sending release their claims (the restarted process
        # sends them), sends under way finish while the adapters can still carry them
        try:
            await app.daily.stop()
        except Exception as exc:
            log.warning("daily scheduler did not stop cleanly: %s", exc)
        await _stop_adapters(started, console, gate, STOP_SECONDS)
        await app.close()
        log.info("stopped: usage log flushed, database closed")
    return code


def cmd_run(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Check what the bot needs (talk files, a writable database path), then run it."""
    check_startup(settings)
    for name in unknown_variables():
        log.warning("%s is set but is not a setting of this bot (a typo?); it is ignored", name)
    return asyncio.run(run_bot(settings))


def cmd_health(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when the database is writable and every configured adapter beat recently; else 1 and why."""
    health = check_health(settings, max_age=args.max_age)
    if health.ok:
        out.write(health.detail + "\n")
        return 0
    print(health.detail, file=sys.stderr)
    return 1


def cmd_backup(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Online backup of the database to PATH (atomic; safe while the bot runs)."""
    raw = str(args.path)
    result = backup(settings.database, Path(raw), folder=raw.endswith(("/", os.sep)))
    counts = ", ".join(f"{name} {count}" for name, count in result.counts.items())
    out.write(f"backup written to {result.path}: {counts}\n")
    return 0


def cmd_forget(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Delete one person's usage rows and the daily subscriptions they own."""
    done = asyncio.run(forget(settings, args.platform, args.user))
    out.write(f"forgot {args.platform} user {args.user}: {done.usage_rows} usage row(s), "
              f"{done.subscriptions} daily subscription(s) deleted\n")
    return 0


def _add_daily_commands(sub: Any) -> None:
    """The `daily` operator subcommands, once the daily-broadcast package provides bot.daily.cli."""
    try:
        module = importlib.import_module("bot.daily.cli")
    except ModuleNotFoundError as exc:
        if exc.name in ("bot.daily", "bot.daily.cli"):
            return  # not there (yet); a missing dependency inside it is a real error
        raise
    module.add_daily_commands(sub)


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
    search.add_argument("--talks", action="append", metavar="DIR", help="also load the talk files of this folder")
    search.set_defaults(fn=cmd_search)
    ev = sub.add_parser("eval", help="score search quality on a labelled query file")
    ev.add_argument("file")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--talks", action="append", metavar="DIR", help="also load the talk files of this folder")
    ev.set_defaults(fn=cmd_eval)
    stats = sub.add_parser("stats", help="usage report from the log")
    stats.add_argument("--days", type=int, default=14)
    stats.set_defaults(fn=cmd_stats)
    check = sub.add_parser("check-content", help="validate the talk files")
    check.add_argument("dir", nargs="?")
    check.set_defaults(fn=cmd_check_content)
    health = sub.add_parser("health", help="exit 0 when the running bot is healthy (database and heartbeats)")
    health.add_argument("--max-age", type=float, default=HEALTH_MAX_AGE, metavar="SECONDS",
                        help=f"oldest acceptable heartbeat (default {HEALTH_MAX_AGE:.0f})")
    health.set_defaults(fn=cmd_health, error_code=1)  # Docker reads 1 as unhealthy; 2 is reserved
    back = sub.add_parser("backup", help="copy the database to PATH (a file, or a folder for a dated file)")
    back.add_argument("path", metavar="PATH")
    back.set_defaults(fn=cmd_backup)
    forget_ = sub.add_parser("forget", help="delete one person's usage rows and daily subscriptions")
    forget_.add_argument("--platform", required=True, choices=PLATFORMS)
    forget_.add_argument("--user", required=True, metavar="ID", help="the person's id on that platform")
    forget_.set_defaults(fn=cmd_forget)
    _add_daily_commands(sub)
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
    except (ConfigError, ContentError, StorageError, OpsError) as exc:
        print(f"transcript-bot: {exc}", file=sys.stderr)
        return int(getattr(args, "error_code", 2))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `transcript-bot search --batch --json | head -1`
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (stdout is closed by the interpreter at exit)
        return 0
