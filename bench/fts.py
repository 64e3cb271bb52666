"""SQLite FTS5 ranked by bm25, the full-text baseline: trigram tokenizer for Chinese, porter stemming for English."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

_SPACES = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"\w+")


def build(texts: Sequence[str], path: Path | str = ":memory:") -> sqlite3.Connection:
    """FTS5 tables holding the texts (rowid = position + 1): `passages` (trigram) and `words` (porter)."""
    if str(path) != ":memory:":
        Path(path).unlink(missing_ok=True)
    db = sqlite3.connect(str(path))
    db.execute("CREATE VIRTUAL TABLE passages USING fts5(text, tokenize = 'trigram')")
    db.execute("CREATE VIRTUAL TABLE words USING fts5(text, tokenize = 'porter unicode61')")
    for table in ("passages", "words"):
        db.executemany(f"INSERT INTO {table} (rowid, text) VALUES (?, ?)", ((i + 1, t) for i, t in enumerate(texts)))
    db.commit()
    return db


def search_words(db: sqlite3.Connection, query: str, limit: int = 3) -> list[int]:
    """Positions of the best passages for a Latin-script query: its words OR'ed, porter-stemmed, bm25."""
    words = list(dict.fromkeys(w.casefold() for w in _WORD.findall(query)))
    if not words:
        return []
    expression = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
    rows = db.execute("SELECT rowid FROM words WHERE words MATCH ? ORDER BY bm25(words) LIMIT ?",
                      (expression, limit)).fetchall()
    return [int(r[0]) - 1 for r in rows]


def search_any(db: sqlite3.Connection, query: str, limit: int = 3) -> list[int]:
    """The baseline for any query: trigram search when it holds Chinese, porter word search otherwise."""
    return search(db, query, limit) if _CJK.search(query) else search_words(db, query, limit)


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
