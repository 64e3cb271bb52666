"""The daily quote scheduler: finds due subscriptions, claims each day once in SQLite, then sends."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.content.model import Quote
from bot.core.commands import quote_block
from bot.core.context import Context
from bot.core.i18n import t
from bot.core.types import Adapter, Block, Button, DeliveryError, DeliveryFailure, Reply, Target
from bot.daily import store as subs
from bot.daily.pacing import BROADCAST_RATES, Pacer
from bot.daily.rotation import pool_ids, quote_id
from bot.daily.schedule import day_action, local_day, occurrence, zone_of
from bot.storage.store import UsageEvent

log = logging.getLogger(__name__)

TICK_SECONDS = 20.0
CONCURRENCY = 32
RETRY_DELAYS = (2.0, 5.0, 15.0)
KEEP_DAYS = 40
PRUNE_SECONDS = 6 * 3600.0
MAX_MIGRATIONS = 2
COMMAND = "daily_send"
Sleep = Callable[[float], Awaitable[None]]


@dataclass(slots=True)
class TickReport:
    """What one pass did, by outcome."""

    sent: int = 0
    failed: int = 0
    gone: int = 0
    disabled: int = 0
    migrated: int = 0
    skipped: int = 0
    deferred: int = 0
    abandoned: int = 0
    missing: dict[str, int] = field(default_factory=dict)  # platform -> deliveries waiting for its adapter

    def add(self, outcome: str) -> None:
        """Count one delivery's outcome."""
        setattr(self, outcome, getattr(self, outcome) + 1)


def broadcast_reply(ctx: Context, quote: Quote, lang: str) -> Reply:
    """The daily message: a title, the quote with its citation, and context and source buttons."""
    talk = ctx.library.talk(quote.passage.talk_id)
    buttons = [Button(t(lang, "button_context"), command="context", args=quote.passage.key)]
    if talk is not None:
        buttons.append(Button(t(lang, "button_source"), url=talk.source))
    return Reply((Block("title", t(lang, "daily_title")), quote_block(ctx, quote, lang)), tuple(buttons),
                 result_count=1, top_passage=quote.passage.key, talk_id=quote.passage.talk_id)


class DailyScheduler:
    """Delivers every chat's daily quote once per local day, through the adapter that owns the chat."""

    def __init__(self, ctx: Context, adapters: Mapping[str, Adapter], *, tick_seconds: float = TICK_SECONDS,
                 concurrency: int = CONCURRENCY, retry_delays: Sequence[float] = RETRY_DELAYS,
                 rates: Mapping[str, float] = BROADCAST_RATES, sleep: Sleep = asyncio.sleep) -> None:
        self.ctx = ctx
        self.adapters = adapters
        self.tick_seconds = tick_seconds
        self.retry_delays = tuple(retry_delays)
        self.rates = dict(rates)  # broadcast messages per second, by platform (none: only the adapter's limits)
        self._pacers: dict[str, Pacer] = {}
        self._sleep = sleep
        self._limit = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._started = ctx.clock()
        self._recovered = False
        self._pruned = 0.0
        self._quotes: dict[str, Quote] = {}
        self._pools: dict[str | None, list[str]] = {}
        self._next_due: datetime | None = None

    # ----- running --------------------------------------------------------------------------------

    def start(self) -> None:
        """Run ticks in the background: one at once, then every tick_seconds (sooner when woken)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="daily-scheduler")

    async def stop(self) -> None:
        """Stop ticking; a send in flight is abandoned (its claim keeps it from being sent twice)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        """Tick now (a chat's schedule changed)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.tick()
            except Exception:
                log.exception("daily: tick failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._pause())

    def _pause(self) -> float:
        """Seconds until the next tick: the tick interval, or less when a delivery falls due sooner."""
        return self.tick_seconds if self._next_due is None else max(
            0.05, min(self.tick_seconds, (self._next_due - self.ctx.clock()).total_seconds() + 0.05))

    # ----- one pass -------------------------------------------------------------------------------

    async def tick(self) -> TickReport:
        """Skip what was missed beyond the grace, and send what is due to chats whose adapter is up."""
        report = TickReport()
        await self._recover(report)
        now = self.ctx.clock()
        grace = timedelta(hours=self.ctx.settings.daily_grace_hours)
        active = await subs.active(self.ctx.store)
        taken = await subs.deliveries_since(self.ctx.store, now.date() - timedelta(days=2))
        due: list[tuple[subs.Subscription, date]] = []
        missed: list[tuple[subs.Subscription, date, datetime]] = []
        self._next_due = None
        for sub in active:
            try:
                zone = zone_of(sub.zone)
            except ValueError:
                log.error("daily: subscription %d has an unknown time zone %r", sub.id, sub.zone)
                continue
            since = datetime.fromtimestamp(sub.since, now.tzinfo)
            today = local_day(now, zone)
            for day in (today - timedelta(days=1), today):
                if (sub.id, day) in taken:
                    continue
                action = day_action(now, day, sub.minute, zone, since, grace)
                if action == "due":
                    due.append((sub, day))
                elif action == "skip":
                    missed.append((sub, day, occurrence(day, sub.minute, zone)))
            upcoming = occurrence(today, sub.minute, zone)
            if upcoming > now and (self._next_due is None or upcoming < self._next_due):
                self._next_due = upcoming
        await self._skip(missed, now, report)
        await self._deliver_all(due, report, force=False)
        await self._prune(now)
        return report

    async def send_now(self) -> TickReport:
        """Send today's quote at once to every active chat that has not had it today (the operator's command)."""
        report = TickReport()
        await self._recover(report)
        now = self.ctx.clock()
        taken = await subs.deliveries_since(self.ctx.store, now.date() - timedelta(days=2))
        due = []
        for sub in await subs.active(self.ctx.store):
            try:
                day = local_day(now, zone_of(sub.zone))
            except ValueError:
                log.error("daily: subscription %d has an unknown time zone %r", sub.id, sub.zone)
                continue
            if taken.get((sub.id, day), subs.SKIPPED) == subs.SKIPPED:
                due.append((sub, day))
        await self._deliver_all(due, report, force=True)
        return report

    async def chat_migrated(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """A chat changed its id: its subscriptions follow it."""
        moved = await subs.move_chat(self.ctx.store, platform, old_chat_id, new_chat_id, self.ctx.clock())
        if moved:
            log.info("daily: %d subscription(s) moved with a migrated %s chat", len(moved), platform)

    # ----- steps ----------------------------------------------------------------------------------

    async def _recover(self, report: TickReport) -> None:
        """Once per run: claims an earlier run left unfinished are marked abandoned and logged, never resent."""
        if self._recovered:
            return
        self._recovered = True
        for sub, day in await subs.abandon_stale(self.ctx.store, self._started):
            report.abandoned += 1
            log.warning("daily: the %s delivery of subscription %d was claimed before a restart and is not resent "
                        "(it may or may not have been posted)", day.isoformat(), sub.id)
            self._log(sub, "error", None, "claimed before a restart; not resent", 0.0)

    async def _skip(self, missed: list[tuple[subs.Subscription, date, datetime]], now: datetime,
                    report: TickReport) -> None:
        if not missed:
            return
        written = await subs.record_skips(self.ctx.store, [(sub.id, day) for sub, day, _ in missed], now,
                                          "missed by more than the grace period")
        for index in written:
            sub, day, at = missed[index]
            late = (now - at).total_seconds() / 3600
            report.skipped += 1
            log.warning("daily: skipped the %s quote of subscription %d (%.1f h late, grace %.1f h)",
                        day.isoformat(), sub.id, late, self.ctx.settings.daily_grace_hours)
            self._log(sub, "skipped", None, f"{late:.1f}h late", 0.0)

    async def _deliver_all(self, due: list[tuple[subs.Subscription, date]], report: TickReport,
                           force: bool) -> None:
        self._refresh_quotes()
        jobs = []
        for sub, day in due:
            adapter = self.adapters.get(sub.platform)
            if adapter is None or not adapter.is_connected():
                report.deferred += 1
                report.missing[sub.platform] = report.missing.get(sub.platform, 0) + 1
                continue
            jobs.append(self._deliver(adapter, sub, day, report, force))
        if report.missing:
            log.info("daily: waiting for adapters: %s", ", ".join(f"{p} ({n})" for p, n in report.missing.items()))
        if jobs:
            await asyncio.gather(*jobs)

    def _refresh_quotes(self) -> None:
        quotes = self.ctx.library.quotes
        if len(self._quotes) != len(quotes) or not self._pools:
            self._quotes = {quote_id(q): q for q in quotes}
            self._pools = {None: pool_ids(quotes)}
            for talk in self.ctx.library.talks:
                self._pools[talk.id] = pool_ids(q for q in quotes if q.passage.talk_id == talk.id)

    def _pool(self, sub: subs.Subscription) -> list[str]:
        pool = self._pools.get(sub.talk) if sub.talk else None
        if sub.talk and not pool:
            log.warning("daily: talk %r of subscription %d has no quotes now; using every talk", sub.talk, sub.id)
        return pool or self._pools.get(None, [])

    async def _deliver(self, adapter: Adapter, sub: subs.Subscription, day: date, report: TickReport,
                       force: bool) -> None:
        """Claim, send (with retries and migration), record: one chat's delivery for one day."""
        async with self._limit:
            try:
                pool = self._pool(sub)
                if not pool:
                    log.error("daily: no quotes are loaded; nothing to send")
                    return
                claimed = await subs.claim(self.ctx.store, sub.id, day, self.ctx.clock(), pool, self.ctx.rng,
                                           replace_skipped=force)
                if claimed is None:
                    return
                quote = self._quotes[claimed.quote_id]
                outcome = await self._send(adapter, sub, claimed, broadcast_reply(self.ctx, quote, sub.lang), quote)
                report.add(outcome)
            except Exception:
                log.exception("daily: delivery to subscription %d failed", sub.id)
                report.failed += 1

    async def _send(self, adapter: Adapter, sub: subs.Subscription, claimed: subs.Claim, reply: Reply,
                    quote: Quote) -> str:
        """Send a claimed delivery and record how it ended; returns the TickReport field to count."""
        target = sub.target
        passage = quote.passage.key
        for _ in range(MAX_MIGRATIONS + 1):
            started = time.perf_counter()
            error = await self._attempt(adapter, target, reply)
            latency = (time.perf_counter() - started) * 1000
            if error is None:
                await subs.finish(self.ctx.store, claimed, subs.SENT, self.ctx.clock(), passage)
                self._log(sub, "ok", passage, "" if target == sub.target else "after migration", latency, target)
                return "sent"
            if error.failure is DeliveryFailure.MIGRATED and error.new_chat_id:
                self._log(sub, "migrated", passage, error.reason, latency, target)
                moved = await subs.move_chat(self.ctx.store, target.platform, target.chat_id, error.new_chat_id,
                                             self.ctx.clock())
                if sub.id not in moved:  # the new chat already has a daily quote of its own
                    await subs.finish(self.ctx.store, claimed, subs.MIGRATED, self.ctx.clock(), passage,
                                      error.reason)
                    return "migrated"
                target = Target(target.platform, error.new_chat_id, target.thread_id)
                continue
            if error.failure is DeliveryFailure.GONE:
                now_state = await subs.finish(self.ctx.store, claimed, subs.GONE, self.ctx.clock(), passage,
                                              error.reason)
                self._log(sub, "gone", passage, error.reason, latency, target)
                if now_state is not None and now_state.state == subs.DISABLED:
                    log.warning("daily: subscription %d disabled after %d failed days: %s", sub.id,
                                now_state.failures, error.reason)
                    return "disabled"
                log.info("daily: subscription %d could not be delivered (%s)", sub.id, error.reason)
                return "gone"
            await subs.finish(self.ctx.store, claimed, subs.FAILED, self.ctx.clock(), passage, str(error))
            self._log(sub, "error", passage, str(error), latency, target)
            log.warning("daily: subscription %d not delivered: %s", sub.id, error)
            return "failed"
        await subs.finish(self.ctx.store, claimed, subs.FAILED, self.ctx.clock(), passage, "migrated too often")
        self._log(sub, "error", passage, "migrated too often", 0.0)
        return "failed"

    async def _attempt(self, adapter: Adapter, target: Target, reply: Reply) -> DeliveryError | None:
        """One send, repeated with backoff while it fails transiently; the final error, or None when sent."""
        for attempt in range(len(self.retry_delays) + 1):
            await self._pace(target.platform)
            try:
                await adapter.send(target, reply)
                return None
            except DeliveryError as exc:
                if exc.failure is not DeliveryFailure.TRANSIENT or attempt == len(self.retry_delays):
                    return exc
                log.info("daily: %s; retrying in %.0fs", exc, self.retry_delays[attempt])
                await self._sleep(self.retry_delays[attempt])
            except Exception as exc:  # an adapter bug: not repeated, it may have posted
                log.exception("daily: the %s adapter failed to send", target.platform)
                return DeliveryError(DeliveryFailure.TRANSIENT, f"{type(exc).__name__}: {exc}")
        return DeliveryError(DeliveryFailure.TRANSIENT, "not sent")

    async def _pace(self, platform: str) -> None:
        """Wait for the platform's broadcast pacer, if it has one."""
        rate = self.rates.get(platform)
        if not rate:
            return
        pacer = self._pacers.get(platform)
        if pacer is None or pacer.rate != rate:
            pacer = self._pacers[platform] = Pacer(rate)
        await pacer.wait()

    async def _prune(self, now: datetime) -> None:
        if time.monotonic() - self._pruned < PRUNE_SECONDS and self._pruned:
            return
        self._pruned = time.monotonic()
        removed = await subs.prune(self.ctx.store, now.date() - timedelta(days=KEEP_DAYS))
        if removed:
            log.info("daily: pruned %d delivery rows older than %d days", removed, KEEP_DAYS)

    def _log(self, sub: subs.Subscription, outcome: str, passage: str | None, detail: str, latency: float,
             target: Target | None = None) -> None:
        """One usage row per delivery or failure (hashed chat id; the detail in the query column)."""
        store = self.ctx.store
        if not store.logging_enabled:
            return
        chat = (target or sub.target).chat_id
        store.log(UsageEvent(
            ts=self.ctx.clock().timestamp(), platform=sub.platform, chat_hash=store.hash_id(sub.platform, chat),
            user_hash=sub.owner_hash, command=COMMAND, query=detail, talk=sub.talk,
            result_count=1 if outcome == "ok" else 0, top_passage=passage, latency_ms=round(latency, 3),
            outcome=outcome))
