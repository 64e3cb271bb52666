"""The database as a file, for operator tasks: open an existing one, probe its write lock, check a copy."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect_existing(path: Path, timeout: float) -> sqlite3.Connection:
    """A connection to an existing database file (never creates one)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist")
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=timeout, isolation_level=None)


def probe_write_lock(db: sqlite3.Connection) -> None:
    """Take the write lock and give it back at once (raises sqlite3.Error when another writer holds it)."""
    db.execute("BEGIN IMMEDIATE")
    db.execute("ROLLBACK")


def table_counts(db: sqlite3.Connection) -> dict[str, int]:
    """Rows per table (SQLite's own tables left out)."""
    names = [str(r[0]) for r in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: int(db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]) for name in names}


def seal_copy(copy: sqlite3.Connection) -> str | None:
    """Make a backup copy one self-contained file and check it; the integrity problem, or None when sound."""
    copy.execute("PRAGMA journal_mode=DELETE")
    check = copy.execute("PRAGMA integrity_check").fetchone()
    return None if check is not None and check[0] == "ok" else str(check)
