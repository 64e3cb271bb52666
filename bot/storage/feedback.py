"""Every SQL statement about 👍/👎 feedback: the answers that carry buttons, and one vote per user per answer."""

from __future__ import annotations

import time
from typing import Any, NamedTuple

import aiosqlite

from bot.storage.store import MAX_QUERY_CHARS, Store, clean_text

UP, DOWN = 1, -1

_REMEMBER = ("INSERT INTO feedback_answers (key, command, query, talk, passage, created) VALUES (?, ?, ?, ?, ?, ?) "
             "ON CONFLICT (key) DO UPDATE SET created = excluded.created")
_VOTE = ("INSERT INTO feedback_votes (answer_key, user_hash, platform, vote, ts) VALUES (?, ?, ?, ?, ?) "
         "ON CONFLICT (answer_key, user_hash) DO UPDATE SET vote = excluded.vote, ts = excluded.ts, "
         "platform = excluded.platform")


class VoteResult(NamedTuple):
    """What a press did: the vote now stored, and the one it replaced (None for a first vote)."""

    vote: int
    previous: int | None


class DownVoted(NamedTuple):
    """An answer marked 👎: its query and passage, how many 👎 and 👍 it has."""

    key: str
    query: str
    talk: str | None
    passage: str | None
    down: int
    up: int


def remember_answer(store: Store, key: str, command: str, query: str, talk: str | None,
                    passage: str | None) -> None:
    """Queue the answer behind a pair of 👍/👎 buttons (its time is that of its latest sending; never delays the
    reply)."""
    store.submit_row(_REMEMBER, (key, command, clean_text(query[:MAX_QUERY_CHARS]), talk, passage, time.time()))


async def record_vote(store: Store, key: str, user_hash: str, platform: str, vote: int) -> VoteResult:
    """Store one user's vote on an answer, replacing their earlier one; through the one writer."""
    if vote not in (UP, DOWN):
        raise ValueError(f"a vote is {UP} or {DOWN}, not {vote}")

    async def write(db: aiosqlite.Connection) -> VoteResult:
        async with db.execute("SELECT vote FROM feedback_votes WHERE answer_key = ? AND user_hash = ?",
                              (key, user_hash)) as cursor:
            row = await cursor.fetchone()
        await db.execute(_VOTE, (key, user_hash, platform, vote, time.time()))
        return VoteResult(vote, int(row[0]) if row else None)

    return await store.write(write)


async def answer_known(store: Store, key: str) -> bool:
    """Whether an answer key was ever stored (it may still be queued: the writer is waited for once)."""
    sql = "SELECT 1 FROM feedback_answers WHERE key = ?"
    if await store.read(sql, (key,)):
        return True
    await store.flush()
    return bool(await store.read(sql, (key,)))


def _filters(days: int | None, talk: str | None, now: float) -> tuple[str, tuple[Any, ...]]:
    where = ""
    params: tuple[Any, ...] = ()
    if days is not None:
        where, params = " AND v.ts >= ?", (now - days * 86400,)
    if talk is not None:
        where, params = where + " AND a.talk = ?", (*params, talk)
    return where, params


def counts_query(days: int | None = None, talk: str | None = None,
                 now: float | None = None) -> tuple[str, tuple[Any, ...]]:
    """SQL and parameters of (up, down): one vote per user per answer."""
    where, params = _filters(days, talk, time.time() if now is None else now)
    return ("SELECT COALESCE(SUM(v.vote = 1), 0), COALESCE(SUM(v.vote = -1), 0) FROM feedback_votes v "
            f"LEFT JOIN feedback_answers a ON a.key = v.answer_key WHERE 1 = 1{where}", params)


def down_voted_query(limit: int = 20, days: int | None = None, talk: str | None = None,
                     now: float | None = None) -> tuple[str, tuple[Any, ...]]:
    """SQL and parameters of the answers with the most 👎: key, query, talk, passage, down, up."""
    where, params = _filters(days, talk, time.time() if now is None else now)
    return ("SELECT v.answer_key, COALESCE(a.query, ''), a.talk, a.passage, SUM(v.vote = -1) AS down, "
            "SUM(v.vote = 1) AS up FROM feedback_votes v LEFT JOIN feedback_answers a ON a.key = v.answer_key "
            f"WHERE 1 = 1{where} GROUP BY v.answer_key HAVING down > 0 ORDER BY down DESC, up, v.answer_key "
            "LIMIT ?", (*params, limit))


def per_talk_query(days: int | None = None, now: float | None = None) -> tuple[str, tuple[Any, ...]]:
    """SQL and parameters of (talk, up, down) per talk of the rated answers."""
    where, params = _filters(days, None, time.time() if now is None else now)
    return ("SELECT a.talk, SUM(v.vote = 1), SUM(v.vote = -1) FROM feedback_votes v "
            f"JOIN feedback_answers a ON a.key = v.answer_key WHERE 1 = 1{where} GROUP BY a.talk", params)


def as_down_voted(rows: list[tuple[Any, ...]]) -> list[DownVoted]:
    """Rows of down_voted_query() as records."""
    return [DownVoted(str(k), str(q), t, p, int(d), int(u)) for k, q, t, p, d, u in rows]


async def counts(store: Store, days: int | None = None, talk: str | None = None) -> dict[str, int]:
    """{"up": N, "down": N}: one vote per user per answer, optionally within days and for one talk."""
    up, down = (await store.read(*counts_query(days, talk)))[0]
    return {"up": int(up), "down": int(down)}


async def down_voted(store: Store, limit: int = 20, days: int | None = None,
                     talk: str | None = None) -> list[DownVoted]:
    """The answers with the most 👎 (a vote on an answer whose talk was removed is still counted)."""
    return as_down_voted(await store.read(*down_voted_query(limit, days, talk)))


async def prune_answers(store: Store, cutoff: float) -> int:
    """Delete answers last sent before cutoff that nobody rated; return how many."""

    async def delete(db: aiosqlite.Connection) -> int:
        cursor = await db.execute("DELETE FROM feedback_answers WHERE created < ? AND key NOT IN "
                                  "(SELECT answer_key FROM feedback_votes)", (cutoff,))
        return int(cursor.rowcount)
    return await store.write(delete)


async def forget_votes(store: Store, user_hash: str) -> int:
    """Delete one person's votes; return how many."""

    async def delete(db: aiosqlite.Connection) -> int:
        cursor = await db.execute("DELETE FROM feedback_votes WHERE user_hash = ?", (user_hash,))
        return int(cursor.rowcount)
    return await store.write(delete)
