"""What a 'more' button needs to find its question again: a short key for the query and its talk."""

from __future__ import annotations

from bot.storage.store import Store

_FIND = "SELECT query, talk FROM button_queries WHERE key = ?"


def remember(store: Store, key: str, query: str, talk: str | None, now: float) -> None:
    """Store a button's query without delaying the reply."""
    store.submit_row("INSERT OR REPLACE INTO button_queries (key, query, talk, created) VALUES (?, ?, ?, ?)",
                     (key, query, talk, now))


async def recall(store: Store, key: str) -> tuple[str, str | None] | None:
    """The query and talk behind a button key, or None (waiting once for a write still queued)."""
    if not key:
        return None
    rows = await store.read(_FIND, (key,))
    if not rows:
        await store.flush()
        rows = await store.read(_FIND, (key,))
    if not rows:
        return None
    query, talk = rows[0]
    return str(query), str(talk) if talk else None
