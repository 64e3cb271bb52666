"""The one write path into SQLite: a single writer task that batches writes into transactions."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import aiosqlite

from bot.content.files import FileRefused, read_limited
from bot.storage.schema import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

T = TypeVar("T")
WriteOp = Callable[[aiosqlite.Connection], Awaitable[T]]
MAX_BATCH = 2000
MAX_QUERY_CHARS = 1000  # the usage log keeps the start of very long queries
OPEN_RETRIES = 6  # opening waits out another process setting the database up
BUSY_RETRIES = 4  # a batch waits out a locked database this many times (each wait up to busy_timeout)


class StorageError(RuntimeError):
    """The database cannot be opened or written; the message says where and why."""


class UsageEvent(NamedTuple):
    """One row of the usage log (ids already hashed); a tuple, so it is written as it is."""

    ts: float
    platform: str
    chat_hash: str
    user_hash: str
    command: str
    query: str
    talk: str | None
    result_count: int
    top_passage: str | None
    latency_ms: float
    outcome: str


class _Row(NamedTuple):
    """A plain row write: rows with the same statement go into one executemany."""

    sql: str
    params: tuple[Any, ...]


@dataclass(slots=True)
class _Op:
    fn: WriteOp[Any]
    future: asyncio.Future[Any]


_INSERT_USAGE = (
    "INSERT INTO usage (ts, platform, chat_hash, user_hash, command, query, talk, result_count, top_passage,"
    " latency_ms, outcome) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class Store:
    """SQLite storage: schema migrations, hashed usage log, and a single serialised writer."""

    def __init__(self, path: Path, writer: aiosqlite.Connection, reader: aiosqlite.Connection, salt: str) -> None:
        self.path = path
        self._writer = writer
        self._reader = reader
        self._salt = salt.encode()
        self._queue: asyncio.Queue[UsageEvent | _Row | _Op] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.logging_enabled = True

    @classmethod
    async def open(cls, path: Path, salt: str | None = None) -> Store:
        """Open (creating and migrating) the database and start its writer."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"BOT_DATABASE={path}: cannot create folder {path.parent}: {exc.strerror}") from None
        _require_regular(path)
        for attempt in range(OPEN_RETRIES):
            try:
                writer, reader, salt_used = await _connect(path, salt)
                break
            except sqlite3.OperationalError as exc:
                # SQLite answers "locked" without waiting while another process sets up WAL or migrates
                if not _is_busy(exc) or attempt == OPEN_RETRIES - 1:
                    raise StorageError(f"BOT_DATABASE={path}: cannot open a writable SQLite database there "
                                       f"({exc})") from None
                await asyncio.sleep(0.1 * 2**attempt)
            except sqlite3.Error as exc:
                raise StorageError(f"BOT_DATABASE={path}: cannot open a writable SQLite database there "
                                   f"({exc})") from None
        store = cls(path, writer, reader, salt_used)
        store._task = asyncio.create_task(store._run(), name="store-writer")
        return store

    # -- identities -----------------------------------------------------------------------------

    def hash_id(self, platform: str, raw_id: str) -> str:
        """A salted, keyed hash of a platform id: stable for stats, useless for finding the person."""
        return hmac.new(self._salt, f"{platform}:{raw_id}".encode(), hashlib.sha256).hexdigest()[:24]

    # -- writing --------------------------------------------------------------------------------

    def log(self, event: UsageEvent) -> None:
        """Queue a usage row; returns at once (the writer commits it within milliseconds)."""
        if self._closed:
            log.warning("usage row for /%s dropped: the database is closed", event.command)
            return
        query = clean_text(event.query[:MAX_QUERY_CHARS])
        if query != event.query:
            event = event._replace(query=query)
        self._queue.put_nowait(event)

    async def write(self, fn: WriteOp[T]) -> T:
        """Run a write in the writer's next transaction and return its result once committed."""
        if self._closed:
            raise StorageError("the database is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Op(fn, future))
        return await future

    def submit_row(self, sql: str, params: tuple[Any, ...]) -> None:
        """Queue one parameterised INSERT/UPDATE without waiting (batched with others of its statement)."""
        if self._closed:
            log.warning("row write dropped: the database is closed")
            return
        self._queue.put_nowait(_Row(sql, params))

    def submit(self, fn: WriteOp[Any]) -> None:
        """Queue a write without waiting for it (failures are logged by the writer)."""
        if self._closed:
            log.warning("write dropped: the database is closed")
            return
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_log_failure)
        self._queue.put_nowait(_Op(fn, future))

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""
        await self._queue.join()

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except asyncio.QueueEmpty:
                    break
            try:
                await self._commit_patiently(batch)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit_patiently(self, batch: list[UsageEvent | _Row | _Op]) -> None:
        """Commit a batch; wait out a locked database; if it still fails, commit item by item so one bad
        item costs only itself."""
        error: Exception = StorageError("write failed")
        for attempt in range(BUSY_RETRIES):
            try:
                await self._commit(batch)
                return
            except sqlite3.OperationalError as exc:
                error = exc
                if not _is_busy(exc) or attempt == BUSY_RETRIES - 1:
                    break
                log.warning("database busy (%s); retrying %d queued writes", exc, len(batch))
                await asyncio.sleep(0.5 * 2**attempt)
            except Exception as exc:
                error = exc
                break
        if len(batch) == 1:
            self._fail(batch[0], error)
            return
        for item in batch:
            try:
                await self._commit([item])
            except Exception as exc:
                self._fail(item, exc)

    def _fail(self, item: UsageEvent | _Row | _Op, error: Exception) -> None:
        """Give up on one queued write: its caller hears of it, and the log says what was lost."""
        if isinstance(item, _Op):
            if not item.future.done():
                item.future.set_exception(error)
            return
        what = f"usage row for /{item.command}" if isinstance(item, UsageEvent) else "row write"
        log.error("%s not written: %s", what, error)

    async def _commit(self, batch: list[UsageEvent | _Row | _Op]) -> None:
        """One transaction for the whole batch; each op in a savepoint, so a failing op is undone alone."""
        events = [item for item in batch if isinstance(item, UsageEvent)]
        ops = [item for item in batch if isinstance(item, _Op)]
        rows: dict[str, list[tuple[Any, ...]]] = {}
        for item in batch:
            if isinstance(item, _Row):
                rows.setdefault(item.sql, []).append(item.params)
        results: list[tuple[_Op, Any, BaseException | None]] = []
        db = self._writer
        try:
            await db.execute("BEGIN IMMEDIATE")
            if events:
                await db.executemany(_INSERT_USAGE, events)
            for sql, params in rows.items():
                await db.executemany(sql, params)
            for number, op in enumerate(ops):
                await db.execute(f"SAVEPOINT op{number}")
                try:
                    results.append((op, await op.fn(db), None))
                    await db.execute(f"RELEASE op{number}")
                except Exception as exc:
                    await db.execute(f"ROLLBACK TO op{number}")
                    await db.execute(f"RELEASE op{number}")
                    results.append((op, None, exc))
            await db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                await db.execute("ROLLBACK")
            raise
        for op, result, error in results:
            if op.future.done():
                continue
            if error is None:
                op.future.set_result(result)
            else:
                op.future.set_exception(error)

    # -- reading --------------------------------------------------------------------------------

    async def read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of a read-only query (sees everything committed)."""
        async with self._reader.execute(sql, params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def close(self) -> None:
        """Commit what is queued, stop the writer and close the database."""
        if self._closed:
            return
        await self.flush()
        self._closed = True  # from here on writes are refused (with a warning), never silently dropped
        await self.flush()  # what was queued while the first flush ran
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._reader.close()
        await self._writer.close()


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    """True when another connection holds the lock (worth waiting for), not a real failure."""
    text = str(exc).lower()
    return "locked" in text or "busy" in text


_SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(text: str) -> str:
    """Text safe to store and encode: lone surrogates (from undecodable input) become U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _log_failure(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("queued write failed: %s", future.exception())


async def _schema_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise StorageError(f"database schema v{version} is newer than this bot (v{SCHEMA_VERSION}); upgrade the bot")
    return version


async def migrate(db: aiosqlite.Connection) -> int:
    """Bring the schema to the current version, one migration per transaction; return the version.

    The version is read again inside each write transaction, so two processes opening a new database
    at the same time never apply a migration twice.
    """
    for number in range(await _schema_version(db), SCHEMA_VERSION):
        await db.execute("BEGIN IMMEDIATE")
        if await _schema_version(db) > number:
            await db.execute("ROLLBACK")
            continue
        try:
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    await db.execute(statement)
            await db.execute(f"PRAGMA user_version={number + 1}")
            await db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):  # the error that stopped the migration is the one to report
                await db.execute("ROLLBACK")
            raise
        log.info("database migrated to schema v%d", number + 1)
    return SCHEMA_VERSION


async def _connect(path: Path, salt: str | None) -> tuple[aiosqlite.Connection, aiosqlite.Connection, str]:
    """The writer (WAL, migrated) and the read-only reader of a database, and its salt; nothing left open
    when it fails."""
    opened: list[aiosqlite.Connection] = []
    try:
        _create_private(path)
        writer = await aiosqlite.connect(path, isolation_level=None)
        opened.append(writer)
        await writer.execute("PRAGMA busy_timeout=10000")  # first: another process may be opening it too
        await writer.execute("PRAGMA journal_mode=WAL")
        await writer.execute("PRAGMA synchronous=NORMAL")
        await migrate(writer)
        salt = salt or await _stored_salt(writer, path)
        reader = await aiosqlite.connect(path, isolation_level=None)
        opened.append(reader)
        await reader.execute("PRAGMA busy_timeout=10000")
        await reader.execute("PRAGMA query_only=1")
    except BaseException:
        for connection in opened:
            with contextlib.suppress(Exception):
                await connection.close()
        raise
    return writer, reader, salt


def _require_regular(path: Path) -> None:
    """StorageError when something that is not a regular file sits at the database's path (/dev/null...)."""
    if os.path.lexists(path) and not path.is_file():
        raise StorageError(f"BOT_DATABASE={path}: expected a SQLite file; it is not a regular file (a folder, "
                           "device, pipe or broken link)")


def _create_private(path: Path) -> None:
    """Create the database file readable by its owner only (it holds queries and delivery chat ids)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def salt_path(database: Path) -> Path:
    """The file beside the database that holds its hashing salt ('bot.sqlite3.salt')."""
    return database.with_name(database.name + ".salt")


def _read_salt(path: Path) -> str | None:
    if not os.path.lexists(path):
        return None
    try:
        text = read_limited(path, 4096).decode("ascii").strip()  # never a pipe or a device
    except (FileRefused, UnicodeDecodeError) as exc:
        raise StorageError(f"{path}: cannot read the hashing salt ({exc})") from None
    if len(text) < 32:
        raise StorageError(f"{path}: the hashing salt file is damaged (expected 64 hex digits)")
    return text


def _publish_salt(path: Path, value: str) -> str:
    """Write the salt file (0600) once; if another process was first, its salt wins."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    try:
        fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            os.write(fd, (value + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temp, path)  # never replaces an existing salt
        except FileExistsError:
            pass
        except OSError:  # a file system without hard links
            if not os.path.lexists(path):
                os.replace(temp, path)
    except OSError as exc:
        raise StorageError(f"{path}: cannot write the hashing salt ({exc.strerror})") from None
    finally:
        with contextlib.suppress(OSError):
            temp.unlink()
    found = _read_salt(path)
    assert found is not None
    return found


async def _stored_salt(db: aiosqlite.Connection, database: Path) -> str:
    """The database's random salt, kept in its own 0600 file beside it (never inside, so a copy of the
    database or a backup cannot be used to test guessed ids). A salt older versions kept in the meta table
    is moved to the file, so existing hashes stay valid."""
    path = salt_path(database)
    salt = _read_salt(path)
    if salt is None:
        async with db.execute("SELECT value FROM meta WHERE key = 'hash_salt'") as cursor:
            row = await cursor.fetchone()
        salt = _publish_salt(path, str(row[0]) if row else secrets.token_hex(32))
    await db.execute("DELETE FROM meta WHERE key = 'hash_salt'")  # autocommit: the file holds it now
    return salt
