"""Heartbeats: one row per component and host, written by the running bot and read by health checks."""

from __future__ import annotations

import socket
import sqlite3
from collections.abc import Mapping
from typing import NamedTuple

import aiosqlite

from bot.storage.store import Store

CORE = "core"
_WRITE = "INSERT OR REPLACE INTO heartbeat (component, ts, connected, detail) VALUES (?, ?, ?, ?)"
_READ = "SELECT component, ts, connected, detail FROM heartbeat"
STOPPED = "stopped"


class Beat(NamedTuple):
    """A component's last heartbeat: when, whether it was connected, and "stopped" once the bot stopped."""

    ts: float
    connected: bool
    detail: str


def heartbeat_key(component: str) -> str:
    """A component's heartbeat row for this host ("telegram@<hostname>"): processes on other hosts (or in
    other containers) sharing the database write their own rows and never vouch for this one."""
    return f"{component}@{socket.gethostname()}"


async def beat(store: Store, connected: Mapping[str, bool], now: float, stopped: bool = False) -> None:
    """Record the core's and every component's liveness (all disconnected and "stopped" once the bot stops)."""
    detail = STOPPED if stopped else ""
    rows = [(heartbeat_key(name), now, int(up and not stopped), detail)
            for name, up in {CORE: True, **connected}.items()]

    async def write(db: aiosqlite.Connection) -> None:
        await db.executemany(_WRITE, rows)
    await store.write(write)


def read_beats(db: sqlite3.Connection) -> dict[str, Beat]:
    """Every heartbeat row by key (none for a database the bot has not set up yet)."""
    try:
        rows = db.execute(_READ).fetchall()
    except sqlite3.Error:
        return {}
    return {str(key): Beat(float(ts), bool(up), str(detail)) for key, ts, up, detail in rows}


async def core_alive(store: Store, now: float, max_age: float) -> bool:
    """Whether a bot's core (on any host sharing the database) beat, connected, within max_age seconds."""
    beats = [Beat(float(ts), bool(up), str(detail)) for key, ts, up, detail in await store.read(_READ)
             if key == CORE or str(key).startswith(CORE + "@")]
    return any(b.connected and now - b.ts < max_age for b in beats)
