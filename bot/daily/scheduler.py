"""The daily quote scheduler: finds due subscriptions, claims each day once in SQLite, then sends.

Each due delivery runs as a tracked background task (at most `concurrency` at once), so one slow chat holds
up no other, and ticks go on meanwhile; a subscription with a delivery under way is not started again. A
delivery waits for the platform's broadcast pacer, claims its day (a committed row, so a crash after the claim
never causes a second post), sends, and records the outcome, all within `delivery_seconds`.

How a send ends decides the day:
- sent, chat gone (counts toward disabling after 3 days in a row, once a day), migrated: recorded, final;
- UNCERTAIN (a timeout or dropped connection after the request went out, an adapter error, cut off by the
  time limit): it may have been posted, so it is recorded as uncertain and never sent again;
- TRANSIENT (certainly not posted): retried within the tick after `retry_delays`; when those fail too, the
  claim is released (the row deleted) and a later tick tries again after `release_delays`, while the grace
  (BOT_DAILY_GRACE_HOURS) lasts. After 1 + len(release_delays) such rounds the day is recorded as failed.

So one chat's day costs at most (1 + len(release_delays)) x (1 + len(retry_delays)) send() calls per run of the
process (6 x 4 by default, spread over about two hours); each send() repeats a request only when the platform's
answer proves nothing was posted (the adapters document their own bounds). The rounds are counted in memory: a
restart may start them afresh. A delivery stopped or failing before its send began releases its claim too.
Every outcome, including each failed round, is a row in the usage log.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

from bot.content.model import Quote
from bot.core.context import Context
from bot.core.types import Adapter
from bot.daily import store as subs
from bot.daily.deliveries import (
    DELIVERY_SECONDS,
    RELEASE_DELAYS,
    RETRY_DELAYS,
    Deliveries,
    Job,
    Sleep,
    TickReport,
)
from bot.daily.pacing import BROADCAST_RATES, Pacer
from bot.daily.rotation import pool_ids, quote_id
from bot.daily.schedule import day_action, local_day, occurrence, zone_of

log = logging.getLogger(__name__)

TICK_SECONDS = 20.0
CONCURRENCY = 32
STOP_SECONDS = 2.0  # at shutdown, sends already under way may finish for this long
KEEP_DAYS = 40
PRUNE_SECONDS = 6 * 3600.0
NO_QUOTES = "no quotes are loaded; nothing to send"


class DailyScheduler(Deliveries):
    """Delivers every chat's daily quote once per local day, through the adapter that owns the chat."""

    def __init__(self, ctx: Context, adapters: Mapping[str, Adapter], *, tick_seconds: float = TICK_SECONDS,
                 concurrency: int = CONCURRENCY, retry_delays: Sequence[float] = RETRY_DELAYS,
                 release_delays: Sequence[float] = RELEASE_DELAYS, delivery_seconds: float = DELIVERY_SECONDS,
                 stop_seconds: float = STOP_SECONDS, rates: Mapping[str, float] = BROADCAST_RATES,
                 sleep: Sleep = asyncio.sleep) -> None:
        self.ctx = ctx
        self.adapters = adapters
        self.tick_seconds = tick_seconds
        self.retry_delays = tuple(retry_delays)
        self.release_delays = tuple(release_delays)
        self.delivery_seconds = delivery_seconds
        self.stop_seconds = stop_seconds
        self.rates = dict(rates)  # broadcast messages per second, by platform (none: only the adapter's limits)
        self._pacers: dict[str, Pacer] = {}
        self._sleep = sleep
        self._limit = asyncio.Semaphore(concurrency)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._jobs: dict[int, Job] = {}  # subscription id -> its delivery under way
        self._rounds: dict[tuple[int, date], tuple[int, datetime]] = {}  # failed rounds, and when to try again
        self._started = ctx.clock()
        self._recovered = False
        self._pruned = 0.0
        self._quotes: dict[str, Quote] = {}
        self._pools: dict[str | None, list[str]] = {}
        self._catalog: object = None  # the catalog the pools were made from
        self._next_due: datetime | None = None

    # ----- running --------------------------------------------------------------------------------

    def start(self) -> None:
        """Run ticks in the background: one at once, then every tick_seconds (sooner when woken)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="daily-scheduler")

    async def stop(self) -> None:
        """Stop ticking and end the deliveries under way (stopping twice is harmless).

        Deliveries whose send has not begun are cancelled at once: their claims are released, so the restarted
        process delivers them (within the grace). Sends under way may finish for stop_seconds; then they are
        cancelled too, and their claims stay (they may have been posted: never resent).
        """
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        jobs = [job for job in self._jobs.values() if job.task is not None and not job.task.done()]
        if not jobs:
            return
        for job in jobs:
            if not job.sending:
                self._cancel(job)
        sending = {job.task for job in jobs if job.sending and job.task is not None}
        if sending:
            await asyncio.wait(sending, timeout=self.stop_seconds)
        for job in jobs:
            if job.task is not None and not job.task.done():
                log.warning("daily: a send to subscription %d was still under way at shutdown; it is not resent",
                            job.subscription_id)
                self._cancel(job)
        await asyncio.gather(*(job.task for job in jobs if job.task is not None), return_exceptions=True)

    @staticmethod
    def _cancel(job: Job) -> None:
        if job.task is not None and not job.task.cancelling():
            job.task.cancel()

    def wake(self) -> None:
        """Tick now (a chat's schedule changed)."""
        self._wake.set()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._pass(TickReport(), force=False)
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
        """One pass: skip what was missed beyond the grace and send what is due to chats whose adapter is up.

        Returns when the deliveries this pass started have ended (the background loop does not wait for them).
        """
        report = TickReport()
        started = await self._pass(report, force=False)
        if started:
            await asyncio.wait(started)
        return report

    async def send_now(self) -> TickReport:
        """Send today's quote at once to every active chat that has not had it today (the operator's command)."""
        report = TickReport()
        started = await self._pass(report, force=True)
        if started:
            await asyncio.wait(started)
        return report

    async def _pass(self, report: TickReport, force: bool) -> list[asyncio.Task[None]]:
        """Find what is due (force: today's quote of every active chat not yet served) and start it."""
        await self._recover(report)
        now = self.ctx.clock()
        grace = timedelta(hours=self.ctx.settings.daily_grace_hours)
        active = await subs.active(self.ctx.store)
        taken = await subs.deliveries_since(self.ctx.store, now.date() - timedelta(days=2))
        due: list[tuple[subs.Subscription, date]] = []
        missed: list[tuple[subs.Subscription, date, datetime]] = []
        self._forget_rounds(now)
        next_due: datetime | None = None
        for sub in active:
            try:
                zone = zone_of(sub.zone)
            except ValueError:
                await self._unknown_zone(sub, now)
                continue
            today = local_day(now, zone)
            if force:
                if taken.get((sub.id, today), subs.SKIPPED) == subs.SKIPPED:
                    due.append((sub, today))
                continue
            since = datetime.fromtimestamp(sub.since, now.tzinfo)
            for day in (today - timedelta(days=1), today):
                if (sub.id, day) in taken:
                    continue
                action = day_action(now, day, sub.minute, zone, since, grace)
                if action == "due":
                    retry_at = self._retry_at(sub.id, day)
                    if retry_at is not None and retry_at > now:
                        next_due = retry_at if next_due is None else min(next_due, retry_at)
                        continue
                    due.append((sub, day))
                elif action == "skip":
                    missed.append((sub, day, occurrence(day, sub.minute, zone)))
            upcoming = occurrence(today, sub.minute, zone)
            if upcoming > now and (next_due is None or upcoming < next_due):
                next_due = upcoming
        if not force:
            self._next_due = next_due
            await self._skip(missed, now, report)
        started = await self._start_all(due, report, force)
        if not force:
            await self._prune(now)
        return started

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

    async def _unknown_zone(self, sub: subs.Subscription, now: datetime) -> None:
        """A stored zone this system does not know (any more): pause the subscription, with the reason, once."""
        reason = f"unknown time zone {sub.zone!r}"
        if await subs.disable(self.ctx.store, sub.id, reason, now):
            log.error("daily: subscription %d disabled: %s (an admin can set it again with /daily)", sub.id, reason)
            self._log(sub, "error", None, reason, 0.0)

    def _retry_at(self, subscription_id: int, day: date) -> datetime | None:
        rounds = self._rounds.get((subscription_id, day))
        return rounds[1] if rounds else None

    def _forget_rounds(self, now: datetime) -> None:
        oldest = now.date() - timedelta(days=2)
        for key in [key for key in self._rounds if key[1] < oldest]:
            del self._rounds[key]

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

    async def _start_all(self, due: list[tuple[subs.Subscription, date]], report: TickReport,
                         force: bool) -> list[asyncio.Task[None]]:
        """Start a tracked delivery task for each due subscription that has none under way."""
        self._refresh_quotes()
        if due and not self._pools.get(None):
            await self._no_quotes(due, report)
            return []
        started = []
        for sub, day in due:
            if sub.id in self._jobs:
                continue
            adapter = self.adapters.get(sub.platform)
            if adapter is None or not adapter.is_connected():
                report.deferred += 1
                report.missing[sub.platform] = report.missing.get(sub.platform, 0) + 1
                continue
            job = Job(sub.id)
            job.task = asyncio.create_task(self._deliver(job, adapter, sub, day, report, force),
                                           name=f"daily-{sub.id}")
            self._jobs[sub.id] = job
            job.task.add_done_callback(functools.partial(self._done, job))
            started.append(job.task)
        if report.missing:
            log.info("daily: waiting for adapters: %s", ", ".join(f"{p} ({n})" for p, n in report.missing.items()))
        return started

    def _done(self, job: Job, task: asyncio.Task[None]) -> None:
        if self._jobs.get(job.subscription_id) is job:
            del self._jobs[job.subscription_id]

    async def _no_quotes(self, due: list[tuple[subs.Subscription, date]], report: TickReport) -> None:
        """Nothing to send at all: the day is recorded as failed (once, with a usage row), nothing is claimed."""
        written = await subs.record_days(self.ctx.store, [(sub.id, day) for sub, day in due], subs.FAILED,
                                         self.ctx.clock(), NO_QUOTES)
        if written:
            log.error("daily: %s (%d delivery(ies) failed)", NO_QUOTES, len(written))
        for index in written:
            report.failed += 1
            self._log(due[index][0], "error", None, NO_QUOTES, 0.0)

    def _refresh_quotes(self) -> None:
        quotes = self.ctx.catalog.quotes
        if len(self._quotes) != len(quotes) or not self._pools or self._catalog is not self.ctx.catalog:
            self._catalog = self.ctx.catalog  # a content reload swaps the catalog: the pools follow it
            self._quotes = {quote_id(q): q for q in quotes}
            self._pools = {None: pool_ids(quotes)}
            for talk in self.ctx.catalog.talks:
                self._pools[talk.id] = pool_ids(q for q in quotes if q.passage.talk_id == talk.id)

    async def _prune(self, now: datetime) -> None:
        if time.monotonic() - self._pruned < PRUNE_SECONDS and self._pruned:
            return
        self._pruned = time.monotonic()
        removed = await subs.prune(self.ctx.store, now.date() - timedelta(days=KEEP_DAYS))
        if removed:
            log.info("daily: pruned %d delivery rows older than %d days", removed, KEEP_DAYS)


__all__ = ["DailyScheduler", "TickReport"]
