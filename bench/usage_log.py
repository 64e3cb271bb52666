"""A synthetic usage log for the report: commands on several platforms over many days, searches that found
nothing, /ask latencies, votes and daily deliveries. Deterministic for a given seed."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from pathlib import Path

from bot.core.feedback import answer_key
from bot.storage.store import Store

QUERIES = ("why will pre-training end?", "什么是超级智能", "data is the fossil fuel of AI", "agents",
           "推理与不可预测性", "scaling hypothesis", "自我意识", "what comes next", "synthetic data", "long context")
NO_MATCH = ("weather in Paris", "Weather  in paris", "ＷＥＡＴＨＥＲ in Paris", "比特币价格", "best pizza", "足球比分")
PLATFORMS = ("telegram", "discord", "console")
COMMANDS = ("ask", "ask", "ask", "ask", "quote", "inline", "autocomplete", "summary", "help", "daily")
TALKS = ("ilya-neurips-2024", "other-talk")


def create(path: Path) -> None:
    """An empty database with the current schema."""

    async def make() -> None:
        store = await Store.open(path, "bench-salt-0123456789")
        await store.close()
    asyncio.run(make())


def fill(path: Path, rows: int, days: int = 60, seed: int = 7, now: float | None = None) -> None:
    """Append `rows` usage rows spread over the last `days` days, with votes and daily deliveries."""
    rng = random.Random(seed)
    now = time.time() if now is None else now
    db = sqlite3.connect(path)
    batch: list[tuple[object, ...]] = []
    answers: list[tuple[str, str, str, str]] = []
    start = now - days * 86400
    for n in range(rows):
        command = rng.choice(COMMANDS)
        talk = rng.choice(TALKS)
        found = command not in ("ask", "quote", "inline", "autocomplete") or rng.random() > 0.2
        query = rng.choice(QUERIES if found else NO_MATCH) if command in ("ask", "quote", "inline") else ""
        passage = f"{talk}/{rng.randint(1, 60)}" if found and query else None
        latency = rng.lognormvariate(1.0, 0.6) if command == "ask" else rng.uniform(0.2, 3.0)
        batch.append((start + days * 86400 * n / rows, rng.choice(PLATFORMS), f"c{n % 997}", f"u{n % 4999}",
                      command, query, talk if passage else None, 3 if passage else 0, passage, round(latency, 3),
                      "ok" if found else "no_match"))
        if passage and command == "ask" and len(answers) < 500:
            answers.append((answer_key("ask", query, None, passage), query, talk, passage))
        if len(batch) == 50_000:
            _insert(db, batch)
            batch = []
    _insert(db, batch)
    db.executemany("INSERT OR IGNORE INTO feedback_answers (key, command, query, talk, passage, created) "
                   "VALUES (?, 'ask', ?, ?, ?, ?)", [(*a, now) for a in answers])
    db.executemany("INSERT OR REPLACE INTO feedback_votes (answer_key, user_hash, platform, vote, ts) "
                   "VALUES (?, ?, 'telegram', ?, ?)",
                   [(a[0], f"u{i}", rng.choice((1, 1, -1)), now - rng.uniform(0, days * 86400))
                    for i, a in enumerate(answers * 2)])
    db.execute("INSERT OR IGNORE INTO daily_subscriptions (id, platform, chat_id, owner_hash, lang, minute, zone, "
               "since, created, updated) VALUES (1, 'telegram', '1', 'o', 'en', 480, 'UTC', 0, 0, 0)")
    db.executemany("INSERT OR IGNORE INTO daily_deliveries (subscription_id, local_date, status, claimed, passage) "
                   "VALUES (1, date(?, 'unixepoch'), ?, ?, ?)",
                   [(now - d * 86400, "failed" if d % 5 == 3 else "sent", now, f"{TALKS[0]}/{d + 1}")
                    for d in range(min(days, 30))])
    db.commit()
    db.close()


def _insert(db: sqlite3.Connection, batch: list[tuple[object, ...]]) -> None:
    db.executemany("INSERT INTO usage (ts, platform, chat_hash, user_hash, command, query, talk, result_count, "
                   "top_passage, latency_ms, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
