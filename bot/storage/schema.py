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
    # 2: daily quote subscriptions (raw ids: delivery needs them) and one claim row per subscription and local day
    """
    CREATE TABLE daily_subscriptions (
        id INTEGER PRIMARY KEY,
        platform TEXT NOT NULL,
        chat_id TEXT NOT NULL,
        thread_id TEXT NOT NULL DEFAULT '',
        owner_hash TEXT NOT NULL,
        lang TEXT NOT NULL,
        minute INTEGER NOT NULL,
        zone TEXT NOT NULL,
        talk TEXT,
        state TEXT NOT NULL DEFAULT 'active',
        since REAL NOT NULL,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        quote_order TEXT NOT NULL DEFAULT '',
        position INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0,
        reason TEXT NOT NULL DEFAULT '',
        last_sent TEXT,
        UNIQUE (platform, chat_id, thread_id)
    );
    CREATE INDEX daily_subscriptions_owner ON daily_subscriptions (owner_hash);
    CREATE INDEX daily_subscriptions_state ON daily_subscriptions (state);
    CREATE TABLE daily_deliveries (
        subscription_id INTEGER NOT NULL,
        local_date TEXT NOT NULL,
        status TEXT NOT NULL,
        claimed REAL NOT NULL,
        finished REAL,
        quote_id TEXT,
        passage TEXT,
        detail TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (subscription_id, local_date)
    );
    CREATE INDEX daily_deliveries_date ON daily_deliveries (local_date);
    CREATE INDEX daily_deliveries_status ON daily_deliveries (status);
    """,
    # 3: answers that carry 👍/👎 buttons (key -> query and passage, kept when the talk goes), one vote per
    # hashed user per answer, and covering indexes the owner's report aggregates from (no sorting of the log)
    """
    CREATE TABLE feedback_answers (
        key TEXT PRIMARY KEY,
        command TEXT NOT NULL,
        query TEXT NOT NULL,
        talk TEXT,
        passage TEXT,
        created REAL NOT NULL
    );
    CREATE TABLE feedback_votes (
        answer_key TEXT NOT NULL,
        user_hash TEXT NOT NULL,
        platform TEXT NOT NULL,
        vote INTEGER NOT NULL CHECK (vote IN (-1, 1)),
        ts REAL NOT NULL,
        PRIMARY KEY (answer_key, user_hash)
    );
    CREATE INDEX feedback_votes_vote ON feedback_votes (vote);
    CREATE INDEX usage_report_day ON usage (CAST(ts / 86400 AS INTEGER), platform, command, outcome, result_count,
        talk, latency_ms, ts);
    CREATE INDEX usage_report_latency ON usage (command, CAST(ts / 86400 AS INTEGER), latency_ms, talk, ts);
    CREATE INDEX usage_report_query ON usage (query, command, outcome, talk, ts) WHERE query != '';
    CREATE INDEX usage_report_passage ON usage (talk, top_passage, result_count, ts)
        WHERE top_passage IS NOT NULL AND result_count > 0 AND talk IS NOT NULL;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)
