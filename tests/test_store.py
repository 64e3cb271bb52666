"""SQLite storage: WAL, versioned schema, one serialised write path, and logging that never waits."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
import time
from pathlib import Path

import aiosqlite
import pytest

from bot.storage.schema import SCHEMA_VERSION
from bot.storage.store import StorageError, Store, UsageEvent, salt_path


def event(n: int, query: str = "q") -> UsageEvent:
    return UsageEvent(time.time(), "console", "c", "u", "ask", f"{query}{n}", None, 1, None, 0.5, "ok")


async def test_open_migrates_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "db.sqlite3"
    store = await Store.open(path)
    await store.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("SELECT value FROM meta WHERE key='hash_salt'").fetchone() is None  # not in the database
    db.close()
    salt = salt_path(path).read_text()
    assert stat.S_IMODE(salt_path(path).stat().st_mode) == 0o600 and len(salt.strip()) == 64
    again = await Store.open(path)  # reopening is a no-op migration and keeps the salt
    other = await Store.open(path)
    assert again.hash_id("x", "1") == other.hash_id("x", "1")
    await again.close()
    await other.close()
    assert salt_path(path).read_text() == salt


async def test_a_salt_kept_in_the_database_by_older_versions_moves_to_its_file(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = await Store.open(path)
    before = store.hash_id("telegram", "42")
    await store.close()
    old = salt_path(path).read_text().strip()
    salt_path(path).unlink()
    with sqlite3.connect(path) as db:  # the layout of earlier versions
        db.execute("INSERT INTO meta (key, value) VALUES ('hash_salt', ?)", (old,))
    store = await Store.open(path)
    assert store.hash_id("telegram", "42") == before  # existing hashes stay valid
    await store.close()
    assert salt_path(path).read_text().strip() == old
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM meta WHERE key='hash_salt'").fetchone() == (0,)


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    sqlite3.connect(path).execute(f"PRAGMA user_version={SCHEMA_VERSION + 5}")
    with pytest.raises(StorageError, match="newer than this bot"):
        await Store.open(path)


async def test_log_returns_at_once_and_every_row_is_committed(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    started = time.perf_counter()
    for n in range(5000):
        store.log(event(n))
    assert time.perf_counter() - started < 0.5  # queued, not written inline
    await store.flush()
    assert (await store.read("SELECT COUNT(*) FROM usage"))[0][0] == 5000
    await store.close()


async def test_long_queries_are_cut_in_the_log(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    store.log(event(1, "x" * 50_000))
    await store.flush()
    assert len((await store.read("SELECT query FROM usage"))[0][0]) == 1000
    await store.close()


async def test_a_failing_write_is_isolated_from_the_rest_of_its_batch(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")

    async def bad(db: aiosqlite.Connection) -> None:
        await db.execute("INSERT INTO meta (key, value) VALUES ('k', 'half')")
        await db.execute("INSERT INTO no_such_table VALUES (1)")

    async def good(db: aiosqlite.Connection) -> int:
        await db.execute("INSERT INTO meta (key, value) VALUES ('g', 'ok')")
        return 7

    store.log(event(1))
    results = await asyncio.gather(store.write(bad), store.write(good), return_exceptions=True)
    assert isinstance(results[0], sqlite3.OperationalError)
    assert results[1] == 7
    keys = {row[0] for row in await store.read("SELECT key FROM meta")}
    assert "g" in keys and "k" not in keys  # nothing of the failed write is left half-done
    assert (await store.read("SELECT COUNT(*) FROM usage"))[0][0] == 1
    await store.close()


async def test_reader_cannot_write_and_closed_store_refuses(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    with pytest.raises(sqlite3.OperationalError):
        await store.read("DELETE FROM usage")
    await store.close()
    with pytest.raises(StorageError):
        await store.write(lambda db: asyncio.sleep(0))
    store.log(event(1))  # dropped with a warning, no exception


async def test_database_path_that_cannot_exist(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="BOT_DATABASE"):
        await Store.open(tmp_path / "file" / "db.sqlite3")


async def test_one_bad_row_costs_only_itself(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    store.log(event(1))
    store.submit_row("INSERT INTO no_such_table VALUES (?)", (1,))  # poisons the batch
    store.log(event(2, "\ud800 lone surrogate "))  # undecodable input is cleaned, not fatal
    store.log(event(3))
    await store.flush()
    queries = [r[0] for r in await store.read("SELECT query FROM usage ORDER BY id")]
    assert queries[0] == "q1" and queries[2] == "q3" and queries[1].startswith("\ufffd lone surrogate")
    await store.close()


async def test_a_locked_database_is_waited_out(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    store = await Store.open(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA busy_timeout=0")
    holder.execute("BEGIN IMMEDIATE")
    await store._writer.execute("PRAGMA busy_timeout=100")  # keep the test short
    store.log(event(1))
    await asyncio.sleep(0.5)
    holder.execute("ROLLBACK")
    holder.close()
    await asyncio.wait_for(store.flush(), 10)
    assert (await store.read("SELECT COUNT(*) FROM usage"))[0][0] == 1
    await store.close()


async def test_two_processes_opening_a_new_database_at_once(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    stores = await asyncio.gather(*(Store.open(path) for _ in range(8)))
    assert len({s.hash_id("x", "1") for s in stores}) == 1  # one salt for all
    for store in stores:
        await store.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_database_file_is_private(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "db.sqlite3")
    await store.close()
    assert (tmp_path / "db.sqlite3").stat().st_mode & 0o077 == 0
