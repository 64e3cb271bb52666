"""`transcript-bot stats`: the usage log as text, or as one JSON object for scripts (--json)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, TextIO

from bot.storage import usage
from bot.storage.feedback import counts, down_voted
from bot.storage.report import clip
from bot.storage.store import Store

TOP = 15
SEARCHING = ("ask", "quote")  # the commands whose queries search the talks


async def gather(database: Path, salt: str | None, days: int) -> dict[str, Any]:
    """Every figure `stats` prints, as plain data."""
    store = await Store.open(database, salt)
    try:
        per_day = await usage.per_day(store, time.time() - days * 86400, SEARCHING)
        top = await usage.top_queries(store, SEARCHING, TOP)
        empty = await usage.top_queries(store, [*SEARCHING, *usage.LOOKUPS], TOP, unanswered=True)
        by_platform = await usage.by_platform(store)
        votes = await counts(store)
        down = await down_voted(store, limit=10)
    finally:
        await store.close()
    return {
        "days": days,
        "per_day": [{"day": d, "commands": int(n), "unanswered": int(u or 0)} for d, n, u in per_day],
        "top_queries": [{"query": clip(q), "count": int(n)} for q, n in top],
        "no_match": [{"query": clip(q), "count": int(n)} for q, n in empty],
        "by_platform": [{"platform": p, "command": c, "count": int(n), "mean_latency_ms": lat}
                        for p, c, n, lat in by_platform],
        "feedback": votes,
        "down_voted": [{"answer": d.key, "query": clip(d.query), "talk": d.talk, "passage": d.passage,
                        "down": d.down, "up": d.up} for d in down],
    }


def write_text(figures: dict[str, Any], out: TextIO) -> None:
    """The figures as the text report."""
    out.write(f"Commands per day (last {figures['days']} days):\n")
    for row in figures["per_day"]:
        out.write(f"  {row['day']}  {row['commands']:>6}  ({row['unanswered']} unanswered)\n")
    out.write("Top queries:\n")
    for row in figures["top_queries"]:
        out.write(f"  {row['count']:>5}  {row['query']}\n")
    out.write("Queries that found nothing:\n")
    for row in figures["no_match"]:
        out.write(f"  {row['count']:>5}  {row['query']}\n")
    out.write("By platform and command (count, mean latency ms):\n")
    for row in figures["by_platform"]:
        out.write(f"  {row['platform']:<9} {row['command']:<13} {row['count']:>7}  {row['mean_latency_ms']}\n")
    votes = figures["feedback"]
    out.write(f"Feedback (one vote per person per answer): 👍 {votes['up']}  👎 {votes['down']}\n")
    if figures["down_voted"]:
        out.write("Answers marked 👎 (down, up, query → passage):\n")
    for row in figures["down_voted"]:
        out.write(f"  {row['down']:>3} {row['up']:>3}  {row['query'] or '—'} → {row['passage'] or '—'}\n")


def write(figures: dict[str, Any], out: TextIO, as_json: bool) -> None:
    """Text, or one JSON object on one line."""
    if as_json:
        out.write(json.dumps(figures, ensure_ascii=False) + "\n")
    else:
        write_text(figures, out)
