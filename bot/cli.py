"""Command line: run | search | eval | stats | report | check-content | import | health | backup | forget."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from bot.arguments import check_arguments, quiet_stdout
from bot.config import ConfigError, Settings, check_startup, load_settings, unknown_variables
from bot.content.loader import ContentError, load_library, long_paragraphs
from bot.content.model import Library, Passage
from bot.content.times import format_time, moment_link
from bot.importers.command import add_import_command
from bot.importers.cues import ImportFailure
from bot.logs import setup_logging
from bot.ops import HEALTH_MAX_AGE, PLATFORMS, OpsError, backup, check_health, forget
from bot.registry import reserved_name
from bot.report.build import ReportError
from bot.report.cli import add_report_commands
from bot.runtime import run_bot
from bot.search.engine import SearchEngine
from bot.shutdown import ShutdownGuard
from bot.storage.store import StorageError, clean_text

log = logging.getLogger("bot")


def _speaker(engine: SearchEngine, passage: Passage) -> str:
    return engine.catalog.by_id(passage.talk_id).speaker if passage.role == "speaker" else passage.speaker


def result_json(engine: SearchEngine, query: str, limit: int) -> dict[str, object]:
    """One query's results in the documented JSON shape."""
    hits = engine.search(query, limit=limit) if query.strip() else []
    return {
        "query": query,
        "results": [
            {"text": h.passage.text, "score": h.score, "talk": h.passage.talk_id, "section": h.passage.section,
             "paragraph": h.passage.number, "speaker": _speaker(engine, h.passage), "start": h.passage.start,
             "link": moment_link(engine.catalog.by_id(h.passage.talk_id).source, h.passage.start)}
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
        if sys.stdin is None:
            raise ConfigError("search --batch: standard input is closed; give it the queries, one per line")
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
        moment = f" · ▶ {format_time(float(r['start']))}\n   {r['link']}" if r["start"] is not None else ""
        out.write(f"{number}. [{r['score']:.2f}] {r['text']}\n   — {r['speaker']} · {r['talk']} · "
                  f"{r['section']} ¶{r['paragraph']}{moment}\n")
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
    library = load_library(Path(args.dir) if args.dir else settings.content_dir, reserved_name)
    glossary = sum(len(t.glossary) for t in library.talks)
    out.write(f"OK: {len(library.talks)} talk(s), {len(library.passages)} passages, {len(library.quotes)} "
              f"quotable sentences, {glossary} glossary terms\n")
    for talk in library.talks:
        timed = sum(p.start is not None for p in talk.passages)
        times = f", {timed} with times" if timed else ""
        out.write(f"  {talk.id}: {talk.title} ({len(talk.passages)} passages{times}) — {talk.path}\n")
    for warning in long_paragraphs(library):
        print(warning, file=sys.stderr)
    return 0




def cmd_run(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Check what the bot needs (talk files, a writable database path), then run it."""
    check_startup(settings)
    if settings.console_enabled and (sys.stdin is None or sys.stdout is None):
        if settings.telegram is None and settings.discord is None:
            raise ConfigError("the console needs a standard input and output, and one is closed; give it "
                              "input (e.g. `< commands.txt`) or set a platform token")
        log.warning("BOT_CONSOLE: standard input or output is closed; the console is not started")
        settings = dataclasses.replace(settings, console=False)
    for name in unknown_variables():
        log.warning("%s is set but is not a setting of this bot (a typo?); it is ignored", name)
    guard = ShutdownGuard()  # stays armed until the process has exited (a thread may hold up the exit)
    return asyncio.run(run_bot(settings, guard))


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
    if not raw.strip():
        raise OpsError("backup: give the path of a new file, or of a folder for a dated file")
    result = backup(settings.database, Path(raw), folder=raw.endswith(("/", os.sep)), force=args.force)
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
    """The `daily` operator subcommands, when bot.cli_daily is installed with the daily-broadcast package."""
    try:
        module = importlib.import_module("bot.cli_daily")
    except ModuleNotFoundError as exc:
        if exc.name == "bot.cli_daily":
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
    add_report_commands(sub)
    check = sub.add_parser("check-content", help="validate the talk files")
    check.add_argument("dir", nargs="?")
    check.set_defaults(fn=cmd_check_content)
    health = sub.add_parser("health", help="exit 0 when the running bot is healthy (database and heartbeats)")
    health.add_argument("--max-age", type=float, default=HEALTH_MAX_AGE, metavar="SECONDS",
                        help=f"oldest acceptable heartbeat (default {HEALTH_MAX_AGE:.0f})")
    health.set_defaults(fn=cmd_health, error_code=1)  # Docker reads 1 as unhealthy; 2 is reserved
    back = sub.add_parser("backup", help="copy the database to PATH (a file, or a folder for a dated file)")
    back.add_argument("path", metavar="PATH")
    back.add_argument("--force", action="store_true", help="replace an existing backup file at PATH")
    back.set_defaults(fn=cmd_backup)
    forget_ = sub.add_parser("forget", help="delete one person's usage rows and daily subscriptions")
    forget_.add_argument("--platform", required=True, choices=PLATFORMS)
    forget_.add_argument("--user", required=True, metavar="ID", help="the person's id on that platform")
    forget_.set_defaults(fn=cmd_forget)
    _add_daily_commands(sub)
    add_import_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the transcript-bot command."""
    args = build_parser().parse_args(argv)
    try:
        check_arguments(args)
        settings = load_settings()
        setup_logging(settings.log_level, settings.secrets)
        if sys.stdout is None and args.command != "run":
            raise ConfigError("standard output is closed; there is nowhere to print the result")
        code = int(args.fn(settings, args, sys.stdout))
        if sys.stdout is not None:
            sys.stdout.flush()  # a full disk is reported here, not in the interpreter's flush at exit
        return code
    except (ConfigError, ContentError, StorageError, OpsError, ReportError, ImportFailure) as exc:
        print(f"transcript-bot: {clean_text(str(exc))}", file=sys.stderr)
        return int(getattr(args, "error_code", 2))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # e.g. `transcript-bot search --batch --json | head -1`
        quiet_stdout()
        return 0
    except OSError as exc:  # e.g. output to a full disk (`> /dev/full`)
        quiet_stdout()
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"transcript-bot: {args.command}: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
