"""The owner's report, aggregated in SQL over a read-only connection: one small table per section."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.search.normalise import normalise
from bot.storage.feedback import DownVoted, as_down_voted, counts_query, down_voted_query, per_talk_query

QUERY_CHARS = 80  # query texts are clipped as `transcript-bot stats` shows them
TOP = 15
PASSAGES_PER_TALK = 5
SEARCHES = "('ask','quote','inline','autocomplete')"
FAILED_DAILY = "('failed','gone','uncertain','abandoned')"

Rows = list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class ReportData:
    """Every figure of the report; each list is what one chart or table shows."""

    days: int | None
    talk: str | None
    generated: float
    total: int
    per_day_platform: Rows  # (day, platform, commands)
    answered_per_day: Rows  # (day, answered, no match)
    latency_per_day: Rows  # (day, p50 ms, p95 ms, asks)
    daily_per_day: Rows  # (local day, sent, failed)
    top_queries: Rows  # (query, count)
    unanswered: Rows  # (normalised query, an example as typed, count)
    down_voted: list[DownVoted]
    passages: Rows  # (talk, passage key, times returned)
    per_talk: Rows  # (talk, commands, asks, no match, mean latency ms, up, down)
    feedback: dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when the log holds nothing for the chosen period and talk."""
        return self.total == 0 and not self.daily_per_day and not self.down_voted


def clip(text: str, limit: int = QUERY_CHARS) -> str:
    """A query as `stats` shows it: on one line, at most limit characters."""
    return " ".join(str(text).split())[:limit]


def _norm(text: object) -> str:
    return " ".join(normalise(str(text or "")).split())


def connect(database: Path) -> sqlite3.Connection:
    """A read-only connection with the normalise() function the grouping of unanswered queries uses."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10.0)
    db.create_function("tb_normalise", 1, _norm, deterministic=True)
    return db


DAY = "CAST(ts / 86400 AS INTEGER)"  # a UTC day number, exactly as the report's indexes spell it


def _usage_filter(days: int | None, talk: str | None, now: float) -> tuple[str, tuple[Any, ...]]:
    """Conditions on whole UTC days and one talk, in terms the report's covering indexes answer."""
    where = ""
    params: tuple[Any, ...] = ()
    if days is not None:
        where, params = f" AND {DAY} >= ?", (int((now - days * 86400) // 86400),)
    if talk is not None:
        where, params = where + " AND talk = ?", (*params, talk)
    return where, params


def _rows(db: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> Rows:
    return [tuple(row) for row in db.execute(sql, params).fetchall()]


def _facts(db: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> None:
    """One pass over the day index: counts and latency per day, platform, command, outcome and talk."""
    db.execute("DROP TABLE IF EXISTS temp.facts")
    db.execute(f"CREATE TEMP TABLE facts AS SELECT {DAY} AS day, platform, command, outcome, "
               "result_count > 0 AS found, talk, COUNT(*) AS n, SUM(latency_ms) AS ms "
               f"FROM usage INDEXED BY usage_report_day WHERE 1 = 1{where} "
               f"GROUP BY {DAY}, platform, command, outcome, result_count, talk", params)


def _latency(db: sqlite3.Connection, talk: str | None) -> Rows:
    """p50 and p95 of /ask latency per day: the nearest rank, read at its offset in the latency index (so the
    log is never sorted); one small query per day and percentile."""
    pick = (f"SELECT latency_ms FROM usage INDEXED BY usage_report_latency WHERE command = 'ask' AND {DAY} = ?"
            f"{' AND talk = ?' if talk is not None else ''} ORDER BY latency_ms LIMIT 1 OFFSET ?")
    rows: Rows = []
    for day, label, n in _rows(db, "SELECT day, date(day * 86400, 'unixepoch'), SUM(n) FROM facts "
                                   "WHERE command = 'ask' GROUP BY day ORDER BY day"):
        values = []
        for percent in (50, 95):
            params = (day, talk, (n * percent + 99) // 100 - 1) if talk is not None else (
                day, (n * percent + 99) // 100 - 1)
            found = db.execute(pick, params).fetchone()
            values.append(round(float(found[0]), 1) if found else None)
        rows.append((label, *values, int(n)))
    return rows


def _daily(db: sqlite3.Connection, days: int | None, talk: str | None, now: float) -> Rows:
    where = "WHERE 1 = 1"
    params: tuple[Any, ...] = ()
    if days is not None:
        where, params = where + " AND local_date >= date(?, 'unixepoch')", (now - days * 86400,)
    if talk is not None:
        where, params = where + " AND passage LIKE ? ESCAPE '\\'", (*params, talk.replace("_", "\\_") + "/%")
    return _rows(db, f"SELECT local_date, SUM(status = 'sent'), SUM(status IN {FAILED_DAILY}) "
                     f"FROM daily_deliveries {where} GROUP BY local_date ORDER BY local_date", params)


def collect(db: sqlite3.Connection, days: int | None = None, talk: str | None = None,
            now: float | None = None) -> ReportData:
    """Every section of the report for the last `days` days (all when None) and one talk (all when None)."""
    now = time.time() if now is None else now
    where, params = _usage_filter(days, talk, now)
    _facts(db, where, params)
    label = "date(day * 86400, 'unixepoch')"
    no_match = "SUM(CASE WHEN outcome = 'no_match' THEN n ELSE 0 END)"
    total = int(db.execute("SELECT COALESCE(SUM(n), 0) FROM facts").fetchone()[0])
    per_day_platform = _rows(db, f"SELECT {label}, platform, SUM(n) FROM facts GROUP BY day, platform "
                                 "ORDER BY day, platform")
    answered = _rows(db, f"SELECT {label}, SUM(CASE WHEN outcome != 'no_match' AND found THEN n ELSE 0 END), "
                         f"{no_match} FROM facts WHERE command IN {SEARCHES} GROUP BY day ORDER BY day")
    talks = _rows(db, f"SELECT talk, SUM(n), SUM(CASE WHEN command = 'ask' THEN n ELSE 0 END), {no_match}, "
                      "ROUND(SUM(ms) / SUM(n), 1) FROM facts WHERE talk IS NOT NULL GROUP BY talk "
                      "ORDER BY SUM(n) DESC, talk")
    top = _rows(db, "SELECT query, COUNT(*) AS n FROM usage INDEXED BY usage_report_query "
                    "WHERE query != '' AND command IN ('ask','quote')"
                    f"{where} GROUP BY query ORDER BY n DESC, query LIMIT ?", (*params, TOP))
    unanswered = _rows(db, "SELECT tb_normalise(q) AS k, MIN(q), SUM(n) AS total FROM ("
                           "SELECT query AS q, COUNT(*) AS n FROM usage INDEXED BY usage_report_query "
                           "WHERE query != '' "
                           f"AND command IN {SEARCHES} AND outcome = 'no_match'{where} GROUP BY query) "
                           "GROUP BY k ORDER BY total DESC, k LIMIT ?", (*params, TOP))
    passages = _rows(db, f"""
        SELECT talk, top_passage, n FROM (
            SELECT talk, top_passage, n, ROW_NUMBER() OVER (PARTITION BY talk ORDER BY n DESC, top_passage) AS rn
            FROM (SELECT talk, top_passage, COUNT(*) AS n FROM usage INDEXED BY usage_report_passage
                  WHERE top_passage IS NOT NULL AND result_count > 0 AND talk IS NOT NULL{where}
                  GROUP BY talk, top_passage))
        WHERE rn <= ? ORDER BY talk, n DESC, top_passage""", (*params, PASSAGES_PER_TALK))
    votes = {t: (int(u or 0), int(d or 0)) for t, u, d in _rows(db, *per_talk_query(days, now))}
    per_talk = [(*row, *votes.get(row[0], (0, 0))) for row in talks]
    up, down = db.execute(*counts_query(days, talk, now)).fetchone()
    latency = _latency(db, talk)
    db.execute("DROP TABLE IF EXISTS temp.facts")
    return ReportData(
        days=days, talk=talk, generated=now, total=total, per_day_platform=per_day_platform,
        answered_per_day=answered, latency_per_day=latency,
        daily_per_day=_daily(db, days, talk, now),
        top_queries=[(clip(q), n) for q, n in top],
        unanswered=[(clip(k), clip(example), n) for k, example, n in unanswered],
        down_voted=as_down_voted(_rows(db, *down_voted_query(TOP, days, talk, now))),
        passages=passages, per_talk=per_talk, feedback={"up": int(up), "down": int(down)},
    )

