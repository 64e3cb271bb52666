"""Operator commands on the database: health, online backup, forget, and usage-log retention."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from bot import ops
from bot.app import App
from bot.config import DiscordSettings, Settings, TelegramSettings
from bot.core.types import Reply, Request, Target
from bot.ops import backup, check_health, forget
from bot.storage.heartbeat import heartbeat_key
from bot.storage.store import Store, UsageEvent

from .conftest import REPO, FixedClock

TELEGRAM_TOKEN = "123456789:AAEhBOweik6ad9r_QXMENQjcrGbqCr4K-bs"


class StubAdapter:
    """An adapter that only reports whether it is connected."""

    def __init__(self, platform: str, connected: bool = True) -> None:
        self.platform = platform
        self.connected = connected

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, target: Target, reply: Reply) -> None:
        return None

    def is_connected(self) -> bool:
        return self.connected


def cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DISCORD_"))}
    env.update({"BOT_DATABASE": str(settings.database), "BOT_INDEX_DIR": str(settings.index_path),
                "BOT_HASH_SALT": settings.hash_salt or ""})
    if settings.telegram is not None:
        env["TELEGRAM_BOT_TOKEN"] = settings.telegram.token
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=60)


def beat_row(path: Path, component: str, ts: float, connected: int = 1) -> None:
    with sqlite3.connect(path) as db:
        db.execute("INSERT OR REPLACE INTO heartbeat (component, ts, connected) VALUES (?, ?, ?)",
                   (heartbeat_key(component), ts, connected))


def with_telegram(settings: Settings) -> Settings:
    return dataclasses.replace(settings, telegram=TelegramSettings(token=TELEGRAM_TOKEN))


# ----- health --------------------------------------------------------------------------------------


def test_health_without_a_database_is_unhealthy(settings: Settings) -> None:
    health = check_health(settings)
    assert not health.ok and health.detail.startswith("database not writable:")
    assert not settings.database.exists()  # the check never creates one


async def test_health_follows_the_real_heartbeat(app: App) -> None:
    settings = with_telegram(app.settings)
    app.register(StubAdapter("telegram"))
    app.register(StubAdapter("console"))
    await app.beat()
    health = check_health(settings)
    assert health.ok, health.detail
    assert "core" in health.detail and "telegram" in health.detail
    app.adapters["telegram"].connected = False  # type: ignore[attr-defined]
    await app.beat()
    assert check_health(settings).detail == "telegram: not connected (heartbeat 0 s ago)"


async def test_health_names_a_stale_or_missing_component(app: App) -> None:
    await app.beat()
    now = time.time()
    path = app.settings.database
    beat_row(path, "telegram", now - 95)
    assert check_health(with_telegram(app.settings), now=now).detail == "telegram: no heartbeat for 95 s"
    both = dataclasses.replace(with_telegram(app.settings), discord=DiscordSettings(token="x" * 60))
    assert check_health(both, now=now).detail == "telegram: no heartbeat for 95 s; discord: no heartbeat yet"
    stale = check_health(app.settings, now=now + 61)
    assert not stale.ok and stale.detail == "core: no heartbeat for 61 s"
    assert check_health(app.settings, now=now + 61, max_age=120).ok


async def test_health_fails_when_the_database_is_locked(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    await app.beat()
    monkeypatch.setattr(ops, "HEALTH_BUSY_SECONDS", 0.2)
    blocker = sqlite3.connect(app.settings.database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        health = check_health(app.settings)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert not health.ok and health.detail == "database not writable: database is locked"
    assert check_health(app.settings).ok


async def test_health_command_exit_codes(app: App) -> None:
    await app.beat()
    await app.store.flush()
    ok = cli(app.settings, "health")
    assert ok.returncode == 0 and ok.stdout.startswith("ok: database writable"), ok.stderr
    sick = cli(with_telegram(app.settings), "health")
    assert sick.returncode == 1 and sick.stderr.strip() == "telegram: no heartbeat yet"
    broken = cli(dataclasses.replace(app.settings, database=app.settings.database.parent / "none.sqlite3"),
                 "health")
    assert broken.returncode == 1 and broken.stderr.startswith("database not writable:")


def test_health_exits_1_not_2_on_a_configuration_error(settings: Settings) -> None:
    bad = with_telegram(settings)
    result = subprocess.run([sys.executable, "-m", "bot", "health"], capture_output=True, text=True, cwd=REPO,
                            env={**os.environ, "BOT_DATABASE": str(bad.database), "TELEGRAM_BOT_TOKEN": "1:2"},
                            timeout=60)
    assert result.returncode == 1 and "TELEGRAM_BOT_TOKEN" in result.stderr  # Docker reserves exit code 2


# ----- backup --------------------------------------------------------------------------------------


async def fill(store: Store, count: int, user: str = "u", ts: float | None = None) -> None:
    for i in range(count):
        store.log(UsageEvent(ts if ts is not None else time.time(), "telegram", store.hash_id("telegram", "c"),
                             store.hash_id("telegram", user), "ask", f"query {i}", None, 1, None, 1.0, "ok"))
    await store.flush()


async def test_backup_while_writing_is_consistent_and_atomic(app: App, tmp_path: Path) -> None:
    await fill(app.store, 500)
    stop = threading.Event()

    def writer() -> None:  # another process-like writer hammering the database during the backup
        db = sqlite3.connect(app.settings.database, isolation_level=None, timeout=10)
        while not stop.is_set():
            db.execute("BEGIN IMMEDIATE")
            db.executemany("INSERT INTO usage (ts, platform, chat_hash, user_hash, command, outcome) "
                           "VALUES (?, 'x', 'c', 'u', 'ask', 'ok')", [(time.time(),)] * 50)
            db.execute("COMMIT")
        db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        target = tmp_path / "backups" / "copy.sqlite3"
        first = await asyncio.to_thread(backup, app.settings.database, target)
        second = await asyncio.to_thread(backup, app.settings.database, target)  # replaces the first
    finally:
        stop.set()
        thread.join()
    assert first.path == second.path == target
    assert second.counts["usage"] >= first.counts["usage"] >= 500
    assert {"usage", "meta", "heartbeat"} <= set(second.counts)
    copy = sqlite3.connect(target)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
    assert copy.execute("SELECT COUNT(*) FROM usage").fetchone() == (second.counts["usage"],)
    copy.close()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # it holds the hashing salt
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.sqlite3"]  # no partial file left


async def test_backup_into_a_folder_and_refusals(app: App, tmp_path: Path) -> None:
    await fill(app.store, 3)
    folder = tmp_path / "dumps"
    folder.mkdir()
    result = backup(app.settings.database, folder)
    assert result.path.parent == folder and result.path.name.startswith("bot-") and result.counts["usage"] == 3
    with pytest.raises(ops.OpsError, match="live database"):
        backup(app.settings.database, app.settings.database)
    with pytest.raises(ops.OpsError, match="no database to back up"):
        backup(tmp_path / "missing.sqlite3", tmp_path / "x.sqlite3")


async def test_backup_command_prints_row_counts(app: App, tmp_path: Path) -> None:
    await fill(app.store, 7)
    result = cli(app.settings, "backup", str(tmp_path / "out") + "/")
    assert result.returncode == 0, result.stderr
    assert "usage 7" in result.stdout and "heartbeat 0" in result.stdout
    assert len(list((tmp_path / "out").glob("bot-*.sqlite3"))) == 1


# ----- forget --------------------------------------------------------------------------------------


async def subscribe(store: Store, chat: str, owner: str) -> None:
    async def insert(db: object) -> None:
        cursor = await db.execute(  # type: ignore[attr-defined]
            "INSERT INTO daily_subscriptions (platform, chat_id, owner_hash, lang, minute, zone, since, created,"
            " updated) VALUES ('telegram', ?, ?, 'en', 480, 'UTC', 0, 0, 0)", (chat, store.hash_id("telegram", owner)))
        await db.execute(  # type: ignore[attr-defined]
            "INSERT INTO daily_deliveries (subscription_id, local_date, status, claimed) VALUES (?, '2026-03-01',"
            " 'sent', 0)", (cursor.lastrowid,))
    await store.write(insert)


async def test_forget_deletes_one_persons_rows_and_subscriptions(app: App) -> None:
    for user in ("42", "43"):
        for command in ("ask 预训练", "quote", "summary"):
            name, _, args = command.partition(" ")
            await app.handle(Request("telegram", "-100", user, name, args, chat_kind="group"))
    await subscribe(app.store, "42", "42")
    await subscribe(app.store, "-100", "42")
    await subscribe(app.store, "-200", "43")
    await app.store.flush()
    done = await forget(app.settings, "telegram", "42")
    assert (done.usage_rows, done.subscriptions) == (3, 2)
    assert done.user_hash == app.store.hash_id("telegram", "42")
    rows = await app.store.read("SELECT DISTINCT user_hash FROM usage")
    assert rows == [(app.store.hash_id("telegram", "43"),)]
    assert await app.store.read("SELECT chat_id FROM daily_subscriptions") == [("-200",)]
    assert await app.store.read("SELECT COUNT(*) FROM daily_deliveries") == [(1,)]
    again = await forget(app.settings, "telegram", "42")
    assert (again.usage_rows, again.subscriptions) == (0, 0)


async def test_forget_command(app: App) -> None:
    await app.handle(Request("telegram", "9", "9", "quote"))
    await app.store.flush()
    result = cli(app.settings, "forget", "--platform", "telegram", "--user", "9")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "forgot telegram user 9: 1 usage row(s), 0 daily subscription(s) deleted"
    assert cli(app.settings, "forget", "--platform", "irc", "--user", "9").returncode == 2
    missing = dataclasses.replace(app.settings, database=app.settings.database.parent / "no.sqlite3")
    result = cli(missing, "forget", "--platform", "telegram", "--user", "9")
    assert result.returncode == 2 and "there is no database" in result.stderr
    assert not missing.database.exists()


# ----- retention -----------------------------------------------------------------------------------


async def test_prune_removes_only_rows_older_than_the_retention(settings: Settings, clock: FixedClock) -> None:
    app = await App.create(dataclasses.replace(settings, log_retention_days=30), clock=clock)
    try:
        now = clock.now.timestamp()
        await fill(app.store, 4, ts=now - 31 * 86400)
        await fill(app.store, 2, ts=now - 29 * 86400)
        await fill(app.store, 1, ts=now)
        assert await app.prune_usage() == 4
        assert await app.store.read("SELECT COUNT(*) FROM usage") == [(3,)]
        clock.now += timedelta(days=2)
        assert await app.prune_usage() == 2
        assert await app.prune_usage() == 0
    finally:
        await app.close()


async def test_retention_zero_keeps_everything(settings: Settings, clock: FixedClock) -> None:
    app = await App.create(dataclasses.replace(settings, log_retention_days=0), clock=clock)
    try:
        await fill(app.store, 2, ts=0.0)
        app.start_background()
        await asyncio.sleep(0.05)
        names = {task.get_name() for task in asyncio.all_tasks()}
        assert "heartbeat" in names and "retention" not in names
        assert await app.store.read("SELECT COUNT(*) FROM usage") == [(2,)]
    finally:
        await app.close()


async def test_retention_runs_in_the_background(settings: Settings, clock: FixedClock) -> None:
    app = await App.create(dataclasses.replace(settings, log_retention_days=1), clock=clock)
    try:
        await fill(app.store, 5, ts=clock.now.timestamp() - 3 * 86400)
        app.start_background()
        for _ in range(100):
            if await app.store.read("SELECT COUNT(*) FROM usage") == [(0,)]:
                break
            await asyncio.sleep(0.02)
        assert await app.store.read("SELECT COUNT(*) FROM usage") == [(0,)]
    finally:
        await app.close()


async def test_a_stopped_bot_is_not_healthy(settings: Settings) -> None:
    app = await App.create(settings)
    app.start_background()
    await app.beat()
    assert (await asyncio.to_thread(check_health, settings)).ok  # another process, as in a real health check
    await app.close()
    health = check_health(settings)
    assert not health.ok and health.detail.startswith("core: stopped")


def test_another_hosts_heartbeat_does_not_count(settings: Settings, tmp_path: Path) -> None:
    asyncio.run(_migrated(settings))
    with sqlite3.connect(settings.database) as db:
        db.execute("INSERT INTO heartbeat (component, ts, connected) VALUES ('core@elsewhere', ?, 1)",
                   (time.time(),))
    assert check_health(settings).detail == "core: no heartbeat yet"


async def _migrated(settings: Settings) -> None:
    await (await Store.open(settings.database)).close()
