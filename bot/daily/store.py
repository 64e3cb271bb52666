"""Daily subscriptions and their per-day delivery claims in SQLite (every write through Store.write).

A delivery row is keyed by the subscription and its local date in the subscription's zone. Its life: claimed
(committed before the send begins), then sent, gone, migrated, failed or uncertain (final: the day is taken);
or released (the row is deleted) when the send certainly posted nothing, so a later tick may try again.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiosqlite

from bot.core.types import Target
from bot.daily.rotation import next_quote
from bot.daily.schedule import local_day, zone_of
from bot.storage.store import Store

ACTIVE, OFF, DISABLED = "active", "off", "disabled"
CLAIMED, SENT, FAILED, GONE, SKIPPED, ABANDONED, MIGRATED, UNCERTAIN = (
    "claimed", "sent", "failed", "gone", "skipped", "abandoned", "migrated", "uncertain")
MAX_FAILED_DAYS = 3
MAX_DETAIL_CHARS = 300
REKEY_DAYS = 3  # a zone change re-keys the delivery rows claimed within this many days

_COLUMNS = ("id, platform, chat_id, thread_id, owner_hash, lang, minute, zone, talk, state, since, failures, reason,"
            " last_sent")


@dataclass(frozen=True, slots=True)
class Subscription:
    """A chat's daily quote: where it goes, when (local minute and zone), from which talk, and how it fares."""

    id: int
    platform: str
    chat_id: str
    thread_id: str | None
    owner_hash: str
    lang: str
    minute: int
    zone: str
    talk: str | None
    state: str
    since: float
    failures: int
    reason: str
    last_sent: str | None

    @property
    def target(self) -> Target:
        """Where the quote is posted."""
        return Target(self.platform, self.chat_id, self.thread_id)


@dataclass(frozen=True, slots=True)
class Claim:
    """A committed claim on one subscription's delivery for one local day, with the quote chosen for it.

    The row is found again by its claim time, which a zone change (re-keying the row's local date) keeps.
    """

    subscription_id: int
    day: date
    quote_id: str
    claimed: float


_CLAIM = ("INSERT INTO daily_deliveries (subscription_id, local_date, status, claimed, quote_id) VALUES (?, ?, ?, ?, ?)"
          " ON CONFLICT (subscription_id, local_date) DO NOTHING")
_CLAIM_OVER_SKIP = _CLAIM.replace(
    "DO NOTHING", "DO UPDATE SET status = excluded.status, claimed = excluded.claimed, quote_id = excluded.quote_id,"
    f" finished = NULL, detail = '' WHERE status = '{SKIPPED}'")


def _subscription(row: Sequence[Any]) -> Subscription:
    (sid, platform, chat_id, thread_id, owner, lang, minute, zone, talk, state, since, failures, reason,
     last_sent) = row
    return Subscription(int(sid), str(platform), str(chat_id), str(thread_id) or None, str(owner), str(lang),
                        int(minute), str(zone), talk, str(state), float(since), int(failures), str(reason),
                        last_sent)


# ----- reading -------------------------------------------------------------------------------------


async def find(store: Store, target: Target) -> Subscription | None:
    """The subscription of a chat (or forum topic), in any state."""
    rows = await store.read(
        f"SELECT {_COLUMNS} FROM daily_subscriptions WHERE platform = ? AND chat_id = ? AND thread_id = ?",
        (target.platform, target.chat_id, target.thread_id or ""))
    return _subscription(rows[0]) if rows else None


async def get(store: Store, subscription_id: int) -> Subscription | None:
    """A subscription by id."""
    rows = await store.read(f"SELECT {_COLUMNS} FROM daily_subscriptions WHERE id = ?", (subscription_id,))
    return _subscription(rows[0]) if rows else None


async def active(store: Store) -> list[Subscription]:
    """Every subscription that is on."""
    rows = await store.read(f"SELECT {_COLUMNS} FROM daily_subscriptions WHERE state = ? ORDER BY id", (ACTIVE,))
    return [_subscription(row) for row in rows]


async def every(store: Store) -> list[Subscription]:
    """Every subscription, for the operator's list."""
    rows = await store.read(f"SELECT {_COLUMNS} FROM daily_subscriptions ORDER BY platform, id")
    return [_subscription(row) for row in rows]


async def deliveries_since(store: Store, first_day: date) -> dict[tuple[int, date], str]:
    """The status of every delivery row from a local date on, by (subscription, day)."""
    rows = await store.read("SELECT subscription_id, local_date, status FROM daily_deliveries WHERE local_date >= ?",
                            (first_day.isoformat(),))
    return {(int(sid), date.fromisoformat(day)): str(status) for sid, day, status in rows}


async def days_taken(store: Store, subscription_id: int, first_day: date) -> set[date]:
    """The local days of one subscription that already have a delivery row."""
    rows = await store.read("SELECT local_date FROM daily_deliveries WHERE subscription_id = ? AND local_date >= ?",
                            (subscription_id, first_day.isoformat()))
    return {date.fromisoformat(day) for (day,) in rows}


# ----- changing a subscription -------------------------------------------------------------------


async def save(store: Store, target: Target, owner_hash: str, lang: str, minute: int, zone: str, talk: str | None,
               now: datetime) -> Subscription:
    """Subscribe a chat or change its time, zone or talk; (re)starts it and clears its failures.

    A new zone re-keys the recent delivery rows to the local dates of their claims in that zone, so "already
    delivered today" is judged in the chat's current zone (see rekey).
    """
    ts = now.timestamp()

    async def write(db: aiosqlite.Connection) -> int:
        async with db.execute(
                "SELECT zone FROM daily_subscriptions WHERE platform = ? AND chat_id = ? AND thread_id = ?",
                (target.platform, target.chat_id, target.thread_id or "")) as cursor:
            before = await cursor.fetchone()
        cursor = await db.execute(
            "INSERT INTO daily_subscriptions (platform, chat_id, thread_id, owner_hash, lang, minute, zone, talk,"
            " state, since, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (platform, chat_id, thread_id) DO UPDATE SET owner_hash = excluded.owner_hash,"
            " lang = excluded.lang, minute = excluded.minute, zone = excluded.zone, talk = excluded.talk,"
            " state = excluded.state, since = excluded.since, updated = excluded.updated, failures = 0, reason = ''"
            " RETURNING id",
            (target.platform, target.chat_id, target.thread_id or "", owner_hash, lang, minute, zone, talk, ACTIVE,
             ts, ts, ts))
        row = await cursor.fetchone()
        assert row is not None
        subscription_id = int(row[0])
        if before is not None and str(before[0]) != zone:
            await rekey(db, subscription_id, zone, now)
        return subscription_id

    subscription = await get(store, await store.write(write))
    assert subscription is not None
    return subscription


async def rekey(db: aiosqlite.Connection, subscription_id: int, zone_name: str, now: datetime) -> None:
    """Re-key a subscription's recent delivery rows to the local dates of their claims in a new zone.

    Rows are keyed by the local date in the zone in force when they were claimed; after a zone change that date
    may be another day in the new zone (08:00 in Tokyo is the day before in Los Angeles), which would give a
    second quote on one local day, or none. Each claim moves to its own local date in the new zone, the newest
    first; an older claim that lands on a date already taken is dropped (that day has had its quote). Skipped
    rows are dropped: saving restarts the subscription, so no day before now is owed, and later ones are judged
    afresh. Rows older than REKEY_DAYS stay as they are.
    """
    try:
        zone = zone_of(zone_name)
    except ValueError:
        return
    since = (now - timedelta(days=REKEY_DAYS)).timestamp()
    async with db.execute(
            "SELECT local_date, status, claimed, finished, quote_id, passage, detail FROM daily_deliveries"
            " WHERE subscription_id = ? AND claimed >= ? ORDER BY claimed DESC", (subscription_id, since)) as cursor:
        rows = list(await cursor.fetchall())
    if not rows:
        return
    await db.execute("DELETE FROM daily_deliveries WHERE subscription_id = ? AND claimed >= ?",
                     (subscription_id, since))
    for _, status, claimed, finished, quote, passage, detail in rows:
        if status == SKIPPED:
            continue
        day = local_day(datetime.fromtimestamp(float(claimed), UTC), zone)
        await db.execute(
            "INSERT INTO daily_deliveries (subscription_id, local_date, status, claimed, finished, quote_id, passage,"
            " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (subscription_id, local_date) DO NOTHING",
            (subscription_id, day.isoformat(), status, claimed, finished, quote, passage, detail))


async def turn_off(store: Store, target: Target, now: datetime) -> bool:
    """Stop a chat's daily quote (its quote order is kept); False when it was not on."""
    async def write(db: aiosqlite.Connection) -> int:
        cursor = await db.execute(
            "UPDATE daily_subscriptions SET state = ?, updated = ? WHERE platform = ? AND chat_id = ?"
            " AND thread_id = ? AND state != ?",
            (OFF, now.timestamp(), target.platform, target.chat_id, target.thread_id or "", OFF))
        return int(cursor.rowcount)

    return await store.write(write) > 0


async def disable(store: Store, subscription_id: int, reason: str, now: datetime) -> bool:
    """Pause an active subscription that cannot be served (the reason is kept); False when it was not active."""
    async def write(db: aiosqlite.Connection) -> int:
        cursor = await db.execute(
            "UPDATE daily_subscriptions SET state = ?, reason = ?, updated = ? WHERE id = ? AND state = ?",
            (DISABLED, reason[:MAX_DETAIL_CHARS], now.timestamp(), subscription_id, ACTIVE))
        return int(cursor.rowcount)

    return await store.write(write) > 0


async def move_chat(store: Store, platform: str, old_chat_id: str, new_chat_id: str, now: datetime) -> list[int]:
    """Move a chat's subscriptions to its new id; a topic already subscribed at the new id keeps its own.

    Returns the ids of the subscriptions that now live at the new id after being moved.
    """
    if old_chat_id == new_chat_id:
        return []

    async def write(db: aiosqlite.Connection) -> list[int]:
        await db.execute(
            "DELETE FROM daily_deliveries WHERE subscription_id IN (SELECT old.id FROM daily_subscriptions old"
            " JOIN daily_subscriptions new ON new.platform = old.platform AND new.thread_id = old.thread_id"
            " AND new.chat_id = ? WHERE old.platform = ? AND old.chat_id = ?)",
            (new_chat_id, platform, old_chat_id))
        await db.execute(
            "DELETE FROM daily_subscriptions WHERE platform = ? AND chat_id = ? AND thread_id IN"
            " (SELECT thread_id FROM daily_subscriptions WHERE platform = ? AND chat_id = ?)",
            (platform, old_chat_id, platform, new_chat_id))
        cursor = await db.execute(
            "UPDATE daily_subscriptions SET chat_id = ?, updated = ? WHERE platform = ? AND chat_id = ? RETURNING id",
            (new_chat_id, now.timestamp(), platform, old_chat_id))
        return [int(row[0]) for row in await cursor.fetchall()]

    return await store.write(write)


async def forget_owner(store: Store, owner_hash: str) -> int:
    """Delete the subscriptions a person set up (privacy: forget me), with their delivery rows."""
    async def write(db: aiosqlite.Connection) -> int:
        await db.execute("DELETE FROM daily_deliveries WHERE subscription_id IN"
                         " (SELECT id FROM daily_subscriptions WHERE owner_hash = ?)", (owner_hash,))
        cursor = await db.execute("DELETE FROM daily_subscriptions WHERE owner_hash = ?", (owner_hash,))
        return int(cursor.rowcount)

    return await store.write(write)


# ----- the claim protocol ------------------------------------------------------------------------


async def claim(store: Store, subscription_id: int, day: date, now: datetime, pool: Sequence[str],
                rng: random.Random, replace_skipped: bool = False,
                known: Collection[str] | None = None) -> Claim | None:
    """Claim a day's delivery and pick its quote in one committed transaction; None when the day is taken.

    The claim row is what makes a delivery happen at most once: it is committed before anything is sent.
    With replace_skipped (the operator's send-now) a day recorded as skipped may be claimed after all.
    known: every quote id of the library (ids not in it are dropped from the chat's order).
    """
    async def write(db: aiosqlite.Connection) -> Claim | None:
        async with db.execute("SELECT state, quote_order, position FROM daily_subscriptions WHERE id = ?",
                              (subscription_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None or row[0] != ACTIVE:
            return None
        chosen, order, position = next_quote(str(row[1]).split(), int(row[2]), pool, rng, known)
        cursor = await db.execute(_CLAIM_OVER_SKIP if replace_skipped else _CLAIM,
                                  (subscription_id, day.isoformat(), CLAIMED, now.timestamp(), chosen))
        if cursor.rowcount != 1:
            return None
        await db.execute("UPDATE daily_subscriptions SET quote_order = ?, position = ? WHERE id = ?",
                         (" ".join(order), position, subscription_id))
        return Claim(subscription_id, day, chosen, now.timestamp())

    return await store.write(write)


async def release(store: Store, claimed: Claim, reason: str | None = None) -> bool:
    """Give up a claim whose send certainly posted nothing, in one committed write: its row is deleted, so a
    later tick may claim the day again, and the chat's quote order steps back so the same quote goes next
    (a reason, when given, is kept on the subscription). Only a row still claimed is released; False when
    there was none."""
    async def write(db: aiosqlite.Connection) -> bool:
        cursor = await db.execute(
            "DELETE FROM daily_deliveries WHERE subscription_id = ? AND claimed = ? AND status = ?",
            (claimed.subscription_id, claimed.claimed, CLAIMED))
        if cursor.rowcount != 1:
            return False
        if reason is not None:
            await db.execute("UPDATE daily_subscriptions SET reason = ? WHERE id = ?",
                             (reason[:MAX_DETAIL_CHARS], claimed.subscription_id))
        async with db.execute("SELECT quote_order, position FROM daily_subscriptions WHERE id = ?",
                              (claimed.subscription_id,)) as found:
            row = await found.fetchone()
        if row is not None:
            order, position = str(row[0]).split(), int(row[1])
            if 0 < position <= len(order) and order[position - 1] == claimed.quote_id:
                await db.execute("UPDATE daily_subscriptions SET position = ? WHERE id = ?",
                                 (position - 1, claimed.subscription_id))
        return True

    return await store.write(write)


async def finish(store: Store, claimed: Claim, status: str, now: datetime, passage: str | None,
                 detail: str = "") -> Subscription | None:
    """Record how a claimed delivery ended and update the subscription: a success clears its failures, a chat
    gone for a third day in a row disables it (the reason is kept). Returns the subscription as it is now."""
    detail = detail[:MAX_DETAIL_CHARS]

    async def write(db: aiosqlite.Connection) -> None:
        await db.execute(
            "UPDATE daily_deliveries SET status = ?, finished = ?, passage = ?, detail = ?"
            " WHERE subscription_id = ? AND claimed = ?",
            (status, now.timestamp(), passage, detail, claimed.subscription_id, claimed.claimed))
        if status == SENT:
            await db.execute(
                "UPDATE daily_subscriptions SET failures = 0, reason = '', last_sent = ? WHERE id = ?",
                (claimed.day.isoformat(), claimed.subscription_id))
        elif status == GONE:
            await db.execute(
                "UPDATE daily_subscriptions SET failures = failures + 1, reason = ?,"
                " state = CASE WHEN failures + 1 >= ? AND state = ? THEN ? ELSE state END WHERE id = ?",
                (detail, MAX_FAILED_DAYS, ACTIVE, DISABLED, claimed.subscription_id))
        elif status in (FAILED, UNCERTAIN):
            await db.execute("UPDATE daily_subscriptions SET reason = ? WHERE id = ?",
                             (detail, claimed.subscription_id))

    await store.write(write)
    return await get(store, claimed.subscription_id)


async def record_skips(store: Store, days: Sequence[tuple[int, date]], now: datetime, detail: str) -> list[int]:
    """Mark missed days as skipped (unless already claimed); returns the indexes of the rows written."""
    return await record_days(store, days, SKIPPED, now, detail)


async def record_days(store: Store, days: Sequence[tuple[int, date]], status: str, now: datetime,
                      detail: str) -> list[int]:
    """Record days that end without a send (skipped, or failed before any claim), unless they already have a
    row; returns the indexes of the rows written."""
    async def write(db: aiosqlite.Connection) -> list[int]:
        written = []
        for index, (subscription_id, day) in enumerate(days):
            cursor = await db.execute(
                "INSERT INTO daily_deliveries (subscription_id, local_date, status, claimed, finished, detail)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (subscription_id, day.isoformat(), status, now.timestamp(), now.timestamp(),
                 detail[:MAX_DETAIL_CHARS]))
            if cursor.rowcount == 1:
                written.append(index)
        return written

    return await store.write(write) if days else []


async def abandon_stale(store: Store, before: datetime) -> list[tuple[Subscription, date]]:
    """Mark claims left unfinished by an earlier run as abandoned (never resent: it may have been posted)."""
    async def write(db: aiosqlite.Connection) -> list[tuple[int, str]]:
        cursor = await db.execute(
            "UPDATE daily_deliveries SET status = ?, finished = ?, detail = ? WHERE status = ? AND claimed < ?"
            " RETURNING subscription_id, local_date",
            (ABANDONED, before.timestamp(), "claimed before a restart; not resent", CLAIMED, before.timestamp()))
        return [(int(sid), str(day)) for sid, day in await cursor.fetchall()]

    found = []
    for subscription_id, day in await store.write(write):
        subscription = await get(store, subscription_id)
        if subscription is not None:
            found.append((subscription, date.fromisoformat(day)))
    return found


async def prune(store: Store, before: date) -> int:
    """Delete delivery rows of local days before a date (the subscription keeps its last-sent day)."""
    async def write(db: aiosqlite.Connection) -> int:
        cursor = await db.execute("DELETE FROM daily_deliveries WHERE local_date < ?", (before.isoformat(),))
        return int(cursor.rowcount)

    return await store.write(write)
