"""SQLite FTS5 with the trigram tokenizer, ranked by bm25: the full-text baseline the engine is compared with."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

_SPACES = re.compile(r"\s+")


def build(texts: Sequence[str], path: Path | str = ":memory:") -> sqlite3.Connection:
    """An FTS5 trigram table holding the texts (rowid = position + 1)."""
    if str(path) != ":memory:":
        Path(path).unlink(missing_ok=True)
    db = sqlite3.connect(str(path))
    db.execute("CREATE VIRTUAL TABLE passages USING fts5(text, tokenize = 'trigram')")
    db.executemany("INSERT INTO passages (rowid, text) VALUES (?, ?)", ((i + 1, t) for i, t in enumerate(texts)))
    db.commit()
    return db


def trigrams(query: str) -> list[str]:
    """The distinct three-character pieces of a query (spaces collapsed), in order."""
    text = _SPACES.sub(" ", query.strip())
    return list(dict.fromkeys(text[i : i + 3] for i in range(len(text) - 2)))


def match_expression(query: str) -> str | None:
    """The query as an FTS5 MATCH: every trigram quoted, joined by OR (None when shorter than 3 characters)."""
    grams = trigrams(query)
    if not grams:
        return None
    return " OR ".join('"' + g.replace('"', '""') + '"' for g in grams)


def search(db: sqlite3.Connection, query: str, limit: int = 3) -> list[int]:
    """Positions of the best passages, best bm25 first.

    Queries under three characters cannot use the trigram index; they fall back to a substring scan
    (LIKE), shortest passage first. A query that shares no trigram with any passage finds nothing: that
    is the only way this baseline rejects an off-topic query (bm25 values are not comparable across
    queries, so no threshold can be calibrated on them).
    """
    expression = match_expression(query)
    if expression is None:
        needle = query.strip()
        if not needle:
            return []
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = db.execute("SELECT rowid FROM passages WHERE text LIKE ? ESCAPE '\\' ORDER BY length(text) LIMIT ?",
                          (f"%{escaped}%", limit)).fetchall()
    else:
        rows = db.execute("SELECT rowid FROM passages WHERE passages MATCH ? ORDER BY bm25(passages) LIMIT ?",
                          (expression, limit)).fetchall()
    return [int(r[0]) - 1 for r in rows]
