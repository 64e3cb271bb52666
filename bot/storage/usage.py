"""Questions asked of the usage log (counts, top and unanswered queries) and its retention."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiosqlite

from bot.storage.store import Store

LOOKUPS = ("inline", "autocomplete")  # quick look-ups (Telegram inline mode, Discord autocomplete)
BUTTON_DAYS = 30  # a 'more' button's query is kept this long


def _marks(names: Sequence[str]) -> str:
    return ", ".join("?" for _ in names) or "NULL"


async def totals(store: Store, day_start: float, week_start: float) -> tuple[int, int, int]:
    """Requests in all, since day_start and since week_start."""
    total, today, week = (await store.read(
        "SELECT COUNT(*), COALESCE(SUM(ts >= ?), 0), COALESCE(SUM(ts >= ?), 0) FROM usage",
        (day_start, week_start)))[0]
    return int(total), int(today), int(week)


async def answered(store: Store, command: str) -> tuple[int, int]:
    """How often a command was used, and how often it found something."""
    asked, found = (await store.read(
        "SELECT COUNT(*), COALESCE(SUM(result_count > 0), 0) FROM usage WHERE command = ?", (command,)))[0]
    return int(asked), int(found)


async def top_commands(store: Store, commands: Sequence[str], limit: int) -> list[tuple[str, int]]:
    """The most used of these commands, with their counts."""
    rows = await store.read(
        f"SELECT command, COUNT(*) AS n FROM usage WHERE command IN ({_marks(commands)}) "
        "GROUP BY command ORDER BY n DESC, command LIMIT ?", (*commands, limit))
    return [(str(c), int(n)) for c, n in rows]


async def per_day(store: Store, since: float, searching: Sequence[str]) -> list[tuple[Any, ...]]:
    """(day, requests, searches that found nothing) for every day since a time."""
    return await store.read(
        f"SELECT date(ts, 'unixepoch') AS day, COUNT(*), SUM(result_count = 0 AND command IN ({_marks(searching)})) "
        "FROM usage WHERE ts >= ? GROUP BY day ORDER BY day", (*searching, since))


async def top_queries(store: Store, commands: Sequence[str], limit: int,
                      unanswered: bool = False) -> list[tuple[str, int]]:
    """The queries asked most with these commands (only those that found nothing, if unanswered)."""
    rows = await store.read(
        f"SELECT query, COUNT(*) AS n FROM usage WHERE command IN ({_marks(commands)}) "
        + ("AND outcome = 'no_match' " if unanswered else "")
        + "AND query != '' GROUP BY query ORDER BY n DESC, query LIMIT ?", (*commands, limit))
    return [(str(q), int(n)) for q, n in rows]


async def by_platform(store: Store) -> list[tuple[Any, ...]]:
    """(platform, command, count, mean latency in ms) for every pair seen."""
    return await store.read(
        "SELECT platform, command, COUNT(*), ROUND(AVG(latency_ms), 2) FROM usage "
        "GROUP BY platform, command ORDER BY platform, COUNT(*) DESC")


async def prune(store: Store, before: float, now: float) -> int:
    """Delete usage rows older than a time, and 'more' buttons older than BUTTON_DAYS; return the usage rows."""

    async def delete(db: aiosqlite.Connection) -> int:
        cursor = await db.execute("DELETE FROM usage WHERE ts < ?", (before,))
        await db.execute("DELETE FROM button_queries WHERE created < ?", (now - BUTTON_DAYS * 86400,))
        return int(cursor.rowcount)
    return await store.write(delete)


async def forget_user(store: Store, user_hash: str) -> int:
    """Delete one person's usage rows; return how many."""

    async def delete(db: aiosqlite.Connection) -> int:
        cursor = await db.execute("DELETE FROM usage WHERE user_hash = ?", (user_hash,))
        return max(0, cursor.rowcount)
    return await store.write(delete)
