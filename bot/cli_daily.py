"""Operator commands for daily quotes: `daily list` (every subscription) and `daily send-now`."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from typing import TextIO

from bot.config import Settings
from bot.daily import store as subs
from bot.daily.deliveries import TickReport
from bot.daily.schedule import format_minute
from bot.runtime import send_daily_now
from bot.storage.store import Store

HEADERS = ("platform", "chat", "topic", "time", "zone", "talk", "last sent", "state", "failures / reason")


def add_daily_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `daily list` and `daily send-now` to the command line."""
    daily = subparsers.add_parser("daily", help="daily quote subscriptions: list them, or send today's now")
    commands = daily.add_subparsers(dest="daily_command", required=True)
    commands.add_parser("list", help="every subscription: chat (masked), time, zone, talk, last sent, state") \
        .set_defaults(fn=cmd_daily_list)
    send = commands.add_parser("send-now", help="send today's quote now to every active chat that has not had it")
    send.add_argument("--force", action="store_true", help="even when the bot seems to be running")
    send.set_defaults(fn=cmd_daily_send_now)


def mask(chat_id: str) -> str:
    """A chat id shown only by its end, never more than half of it: '…4321' (8 characters or more), '…321'
    (6 or 7), '…21' (4 or 5), '…' (shorter)."""
    keep = 4 if len(chat_id) >= 8 else 3 if len(chat_id) >= 6 else 2 if len(chat_id) >= 4 else 0
    return "…" + (chat_id[-keep:] if keep else "")


def table(rows: Sequence[Sequence[str]]) -> str:
    """Rows as left-aligned columns under HEADERS."""
    widths = [max(len(str(row[i])) for row in (HEADERS, *rows)) for i in range(len(HEADERS))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
             for row in (HEADERS, *rows)]
    return "\n".join(lines)


def listing(items: Sequence[subs.Subscription]) -> str:
    """The `daily list` output for some subscriptions."""
    if not items:
        return "no daily subscriptions"
    rows = [(s.platform, mask(s.chat_id), s.thread_id or "", format_minute(s.minute), s.zone, s.talk or "all",
             s.last_sent or "never", s.state, f"{s.failures}" + (f" / {s.reason}" if s.reason else ""))
            for s in items]
    states = {state: sum(s.state == state for s in items) for state in (subs.ACTIVE, subs.OFF, subs.DISABLED)}
    summary = f"{len(items)} subscription(s): " + ", ".join(f"{n} {state}" for state, n in states.items())
    return table(rows) + "\n" + summary


async def list_subscriptions(settings: Settings, out: TextIO) -> int:
    """Write every daily subscription to out (chat ids masked)."""
    if not settings.database.is_file():
        out.write(f"no database at {settings.database}: no daily subscriptions\n")
        return 0
    store = await Store.open(settings.database, settings.hash_salt)
    try:
        out.write(listing(await subs.every(store)) + "\n")
    finally:
        await store.close()
    return 0


def cmd_daily_list(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Print every daily subscription (chat ids masked)."""
    return asyncio.run(list_subscriptions(settings, out))


def summary(report: TickReport) -> str:
    """One line per outcome of a send-now."""
    lines = [f"sent: {report.sent}", f"failed: {report.failed}", f"chat gone: {report.gone + report.disabled}"
             + (f" ({report.disabled} disabled after repeated failures)" if report.disabled else "")]
    if report.retrying:
        lines.append(f"not sent, to be retried by the running bot within the grace period: {report.retrying}")
    if report.migrated:
        lines.append(f"not resent after a migration: {report.migrated}")
    for platform, count in sorted(report.missing.items()):
        lines.append(f"not sent, {platform} is not connected: {count}")
    return "\n".join(lines)


async def send_now(settings: Settings, out: TextIO, force: bool = False) -> int:
    """Start the configured adapters and send today's quote to every active chat not yet served today."""
    if settings.telegram is None and settings.discord is None:
        out.write("daily send-now: no platform token is configured (set TELEGRAM_BOT_TOKEN or DISCORD_BOT_TOKEN); "
                  "nothing was sent\n")
        return 1
    report = await send_daily_now(settings, out, force)
    if report is None:
        return 1
    out.write(summary(report) + "\n")
    return 1 if report.failed or report.missing or report.retrying else 0


def cmd_daily_send_now(settings: Settings, args: argparse.Namespace, out: TextIO) -> int:
    """Send today's quotes now (for chats that have not had today's yet)."""
    return asyncio.run(send_now(settings, out, force=bool(args.force)))
