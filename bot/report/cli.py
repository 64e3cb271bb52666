"""The owner's subcommands: `report` (an HTML file) and `stats` (text or JSON)."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from bot.config import Settings
from bot.report.build import ReportError, build_report, preload_charts
from bot.report.stats import gather, write
from bot.storage.store import Store


def passage_texts(settings: Settings) -> Callable[[str], str | None] | None:
    """Passage key → text from the talk files, when they load (a report never fails for want of them)."""
    try:
        from bot.content.loader import load_library

        library = load_library(settings.content_dir)
    except Exception:
        return None

    def text(key: str) -> str | None:
        passage = library.passage(key)
        return passage.text if passage is not None else None
    return text


async def _migrate(database: Path, salt: str | None) -> None:
    """Bring an older database up to the schema the report reads (votes tables)."""
    store = await Store.open(database, salt)
    await store.close()


def cmd_report(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Write the HTML report of the usage log to --out."""
    if args.days is not None and args.days < 1:
        raise ReportError("report: --days expects a positive number of days")
    if not settings.database.is_file():
        raise ReportError(f"BOT_DATABASE={settings.database}: no database there yet (has the bot run with it?)")
    preload_charts()
    asyncio.run(_migrate(settings.database, settings.hash_salt))
    target = Path(args.out)
    data = build_report(settings.database, target, args.days, args.talk, passage_texts(settings))
    what = "an empty log" if data.empty else f"{data.total} logged commands"
    out.write(f"report written to {target} ({what})\n")
    return 0


def cmd_stats(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Usage report from the log: per day, top queries, queries that found nothing, feedback."""
    if not settings.database.is_file():
        raise ReportError(f"BOT_DATABASE={settings.database}: no database there yet (has the bot run with it?)")
    write(asyncio.run(gather(settings.database, settings.hash_salt, args.days)), out, args.json)
    return 0


def add_report_commands(sub: Any) -> None:
    """Add `report` and `stats` to the CLI's subcommands."""
    stats = sub.add_parser("stats", help="usage report from the log (text, or --json)")
    stats.add_argument("--days", type=int, default=14)
    stats.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    stats.set_defaults(fn=cmd_stats)
    report = sub.add_parser("report", help="write the owner's report as one self-contained HTML file")
    report.add_argument("--days", type=int, default=None, help="only the last N days (default: all)")
    report.add_argument("--talk", default=None, metavar="ID", help="only this talk")
    report.add_argument("--out", required=True, metavar="FILE.html")
    report.set_defaults(fn=cmd_report)
