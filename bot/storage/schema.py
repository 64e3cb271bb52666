"""The SQLite schema as numbered migrations; PRAGMA user_version records how far a database is."""

from __future__ import annotations

# Each entry moves the schema one version forward; never edit a released one, append a new one.
MIGRATIONS: tuple[str, ...] = (
    # 1: usage log, settings, button state, adapter heartbeats
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE usage (
        id INTEGER PRIMARY KEY,
        ts REAL NOT NULL,
        platform TEXT NOT NULL,
        chat_hash TEXT NOT NULL,
        user_hash TEXT NOT NULL,
        command TEXT NOT NULL,
        query TEXT NOT NULL DEFAULT '',
        talk TEXT,
        result_count INTEGER NOT NULL DEFAULT 0,
        top_passage TEXT,
        latency_ms REAL NOT NULL DEFAULT 0,
        outcome TEXT NOT NULL
    );
    CREATE INDEX usage_ts ON usage (ts);
    CREATE INDEX usage_user ON usage (user_hash);
    CREATE TABLE button_queries (
        key TEXT PRIMARY KEY,
        query TEXT NOT NULL,
        talk TEXT,
        created REAL NOT NULL
    );
    CREATE TABLE heartbeat (
        component TEXT PRIMARY KEY,
        ts REAL NOT NULL,
        connected INTEGER NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
