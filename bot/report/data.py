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


def _usage_filter(days: int | None, talk: str | None, now: float) -> tuple[str, tuple[Any, ...]]:
    where, params = "WHERE 1 = 1", tuple[Any, ...]()
    if days is not None:
        where, params = where + " AND ts >= ?", (now - days * 86400,)
    if talk is not None:
        where, params = where + " AND talk = ?", (*params, talk)
    return where, params


def _rows(db: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> Rows:
    return [tuple(row) for row in db.execute(sql, params).fetchall()]


def _latency(db: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> Rows:
    """p50 and p95 of /ask latency per day: nearest-rank percentiles with window functions."""
    return _rows(db, f"""
        WITH a AS (
            SELECT date(ts, 'unixepoch') AS day, latency_ms AS ms,
                   ROW_NUMBER() OVER (PARTITION BY date(ts, 'unixepoch') ORDER BY latency_ms) AS rn,
                   COUNT(*) OVER (PARTITION BY date(ts, 'unixepoch')) AS n
            FROM usage {where} AND command = 'ask')
        SELECT day, ROUND(MIN(CASE WHEN rn >= 0.5 * n THEN ms END), 1),
               ROUND(MIN(CASE WHEN rn >= 0.95 * n THEN ms END), 1), MAX(n)
        FROM a GROUP BY day ORDER BY day""", params)


def _daily(db: sqlite3.Connection, days: int | None, talk: str | None, now: float) -> Rows:
    where, params = "WHERE 1 = 1", tuple[Any, ...]()
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
    day = "date(ts, 'unixepoch')"
    total = int(db.execute(f"SELECT COUNT(*) FROM usage {where}", params).fetchone()[0])
    per_day_platform = _rows(db, f"SELECT {day} AS d, platform, COUNT(*) FROM usage {where} "
                                 "GROUP BY d, platform ORDER BY d, platform", params)
    answered = _rows(db, f"SELECT {day} AS d, SUM(outcome != 'no_match' AND result_count > 0), "
                         f"SUM(outcome = 'no_match') FROM usage {where} AND command IN {SEARCHES} "
                         "GROUP BY d ORDER BY d", params)
    top = _rows(db, f"SELECT substr(query, 1, 400) AS q, COUNT(*) AS n FROM usage {where} "
                    "AND command IN ('ask','quote') AND query != '' GROUP BY q ORDER BY n DESC, q LIMIT ?",
                (*params, TOP))
    unanswered = _rows(db, f"SELECT tb_normalise(substr(query, 1, 400)) AS k, MIN(query), COUNT(*) AS n "
                           f"FROM usage {where} AND command IN {SEARCHES} AND outcome = 'no_match' AND query != '' "
                           "GROUP BY k ORDER BY n DESC, k LIMIT ?", (*params, TOP))
    passages = _rows(db, f"""
        SELECT talk, top_passage, n FROM (
            SELECT talk, top_passage, COUNT(*) AS n,
                   ROW_NUMBER() OVER (PARTITION BY talk ORDER BY COUNT(*) DESC, top_passage) AS rn
            FROM usage {where} AND top_passage IS NOT NULL AND result_count > 0 AND talk IS NOT NULL
            GROUP BY talk, top_passage)
        WHERE rn <= ? ORDER BY talk, n DESC, top_passage""", (*params, PASSAGES_PER_TALK))
    talks = _rows(db, f"SELECT talk, COUNT(*), SUM(command = 'ask'), SUM(outcome = 'no_match'), "
                      f"ROUND(AVG(latency_ms), 1) FROM usage {where} AND talk IS NOT NULL GROUP BY talk "
                      "ORDER BY COUNT(*) DESC, talk", params)
    votes = {t: (int(u or 0), int(d or 0)) for t, u, d in _rows(db, *per_talk_query(days, now))}
    per_talk = [(*row, *votes.get(row[0], (0, 0))) for row in talks]
    up, down = db.execute(*counts_query(days, talk, now)).fetchone()
    return ReportData(
        days=days, talk=talk, generated=now, total=total, per_day_platform=per_day_platform,
        answered_per_day=answered, latency_per_day=_latency(db, where, params),
        daily_per_day=_daily(db, days, talk, now),
        top_queries=[(clip(q), n) for q, n in top],
        unanswered=[(clip(k), clip(example), n) for k, example, n in unanswered],
        down_voted=as_down_voted(_rows(db, *down_voted_query(TOP, days, talk, now))),
        passages=passages, per_talk=per_talk, feedback={"up": int(up), "down": int(down)},
    )
