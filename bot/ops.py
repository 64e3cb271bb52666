"""Operator tasks: health check, online backup, and forgetting one person's data."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.daily.store import forget_owner
from bot.storage.feedback import forget_votes
from bot.storage.files import connect_existing, probe_write_lock, seal_copy, table_counts
from bot.storage.heartbeat import STOPPED, heartbeat_key, read_beats
from bot.storage.store import Store
from bot.storage.usage import forget_user

HEALTH_MAX_AGE = 60.0  # seconds; the bot beats every 15 s
HEALTH_BUSY_SECONDS = 2.0
BACKUP_BUSY_SECONDS = 10.0
PLATFORMS = ("telegram", "discord", "console")


class OpsError(RuntimeError):
    """An operator task cannot run; the message says why in one line."""


@dataclass(frozen=True, slots=True)
class Health:
    """The outcome of a health check: ok, and one line saying why not (or what was seen)."""

    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class BackupResult:
    """Where a backup was written and how many rows each table holds."""

    path: Path
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Forgotten:
    """How many rows `forget` deleted."""

    user_hash: str
    usage_rows: int
    subscriptions: int


def expected_components(settings: Settings) -> list[str]:
    """The heartbeats a healthy bot with these settings writes ("console" is not checked)."""
    names = ["core"]
    if settings.telegram is not None:
        names.append("telegram")
    if settings.discord is not None:
        names.append("discord")
    return names


def check_health(settings: Settings, *, now: float | None = None, max_age: float = HEALTH_MAX_AGE) -> Health:
    """Healthy when the database takes a write lock and every expected component beat recently and is connected."""
    path = settings.database
    try:
        db = connect_existing(path, HEALTH_BUSY_SECONDS)
    except (OSError, sqlite3.Error) as exc:
        return Health(False, f"database not writable: {exc}")
    try:
        try:
            probe_write_lock(db)
        except sqlite3.Error as exc:
            return Health(False, f"database not writable: {exc}")
        beats = read_beats(db)
    finally:
        db.close()
    now = time.time() if now is None else now
    problems: list[str] = []
    seen: list[str] = []
    for name in expected_components(settings):
        if heartbeat_key(name) not in beats:
            problems.append(f"{name}: no heartbeat yet")
            continue
        ts, connected, detail = beats[heartbeat_key(name)]
        age = max(0.0, now - ts)
        if detail == STOPPED:
            problems.append(f"{name}: stopped {age:.0f} s ago")
        elif age > max_age:
            problems.append(f"{name}: no heartbeat for {age:.0f} s")
        elif not connected:
            problems.append(f"{name}: not connected (heartbeat {age:.0f} s ago)")
        else:
            seen.append(f"{name} {age:.0f} s ago")
    if problems:
        return Health(False, "; ".join(problems))
    return Health(True, "ok: database writable; heartbeats " + ", ".join(seen))


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def backup(database: Path, target: Path, *, folder: bool = False, now: datetime | None = None) -> BackupResult:
    """Copy the database with SQLite's online backup (safe while the bot runs) and publish it atomically.

    A folder as target (an existing one, or folder=True) gets a time-stamped file inside it. The copy is one
    file (no -wal), passes PRAGMA integrity_check, is readable only by its owner (it holds the hashing salt)
    and is moved into place only when complete: PATH is either the previous file or the whole new backup.
    """
    if not database.is_file():
        raise OpsError(f"BOT_DATABASE={database}: there is no database to back up")
    if folder or target.is_dir():
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        target = target / f"{database.stem}-{stamp}.sqlite3"
    if target.resolve() == database.resolve():
        raise OpsError(f"backup: {target} is the live database; choose another path")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.{os.getpid()}.partial")
        os.close(os.open(temp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise OpsError(f"backup: cannot write {target}: {exc.strerror}") from None
    try:
        try:
            source = connect_existing(database, BACKUP_BUSY_SECONDS)
        except (OSError, sqlite3.Error) as exc:
            raise OpsError(f"backup: cannot open {database}: {exc}") from None
        try:
            copy = sqlite3.connect(temp, isolation_level=None)
            try:
                source.backup(copy)  # all pages in one step: one consistent snapshot
                problem = seal_copy(copy)
                if problem is not None:
                    raise OpsError(f"backup: the copy failed its integrity check: {problem}")
                counts = table_counts(copy)
            finally:
                copy.close()
        except sqlite3.Error as exc:
            raise OpsError(f"backup: {exc}") from None
        finally:
            source.close()
        fd = os.open(temp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temp, target)
        _fsync_dir(target.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return BackupResult(target, counts)


async def forget(settings: Settings, platform: str, user_id: str) -> Forgotten:
    """Delete a person's usage rows and votes, then the daily subscriptions they own (with their delivery rows).

    Both deletions are idempotent: if anything stops in between, running forget again completes it.
    """
    if not settings.database.is_file():
        raise OpsError(f"BOT_DATABASE={settings.database}: there is no database")
    if platform not in PLATFORMS:
        raise OpsError(f"--platform {platform!r}: expected one of {', '.join(PLATFORMS)}")
    if not user_id.strip():
        raise OpsError("--user: expected the person's id on that platform")
    store = await Store.open(settings.database, settings.hash_salt)
    try:
        owner = store.hash_id(platform, user_id.strip())

        usage = await forget_user(store, owner)
        await forget_votes(store, owner)
        subscriptions = await forget_owner(store, owner)
        return Forgotten(owner, usage, max(0, subscriptions))
    finally:
        await store.close()
