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
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.content.model import Quote
from bot.core.commands import moment_buttons, quote_block
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
RETRY_DELAYS = (2.0, 5.0, 15.0)  # within a tick, after a send that certainly posted nothing
RELEASE_DELAYS = (60.0, 300.0, 900.0, 1800.0, 3600.0)  # then between rounds on later ticks (claim released)
DELIVERY_SECONDS = 120.0  # one delivery, from its claim to its outcome: retries and rate-limit waits included
STOP_SECONDS = 2.0  # at shutdown, sends already under way may finish for this long
KEEP_DAYS = 40
PRUNE_SECONDS = 6 * 3600.0
MAX_MIGRATIONS = 2
COMMAND = "daily_send"
NO_QUOTES = "no quotes are loaded; nothing to send"
Sleep = Callable[[float], Awaitable[None]]


@dataclass(slots=True)
class TickReport:
    """What one pass did, by outcome (a background tick's deliveries add theirs as they end)."""

    sent: int = 0
    failed: int = 0
    gone: int = 0
    disabled: int = 0
    migrated: int = 0
    skipped: int = 0
    deferred: int = 0
    abandoned: int = 0
    retrying: int = 0  # not posted; the claim was released and a later tick tries again
    missing: dict[str, int] = field(default_factory=dict)  # platform -> deliveries waiting for its adapter

    def add(self, outcome: str) -> None:
        """Count one delivery's outcome."""
        setattr(self, outcome, getattr(self, outcome) + 1)


@dataclass(slots=True)
class Job:
    """One delivery under way: its claim once made, and whether a send has begun that may have posted."""

    subscription_id: int
    claim: subs.Claim | None = None
    sending: bool = False
    task: asyncio.Task[None] | None = None


def broadcast_reply(ctx: Context, quote: Quote, lang: str) -> Reply:
    """The daily message: a title, the quote with its citation, and context and source buttons."""
    talk = ctx.catalog.talk(quote.passage.talk_id)
    buttons = [Button(t(lang, "button_context"), command="context", args=quote.passage.key),
               *moment_buttons(ctx, quote.passage)]
    if talk is not None:
        buttons.append(Button(t(lang, "button_source"), url=talk.source))
    return Reply((Block("title", t(lang, "daily_title")), quote_block(ctx, quote, lang)), tuple(buttons),
                 result_count=1, top_passage=quote.passage.key, talk_id=quote.passage.talk_id)


class DailyScheduler:
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

    def _pool(self, sub: subs.Subscription) -> list[str]:
        pool = self._pools.get(sub.talk) if sub.talk else None
        if sub.talk and not pool:
            log.warning("daily: talk %r of subscription %d has no quotes now; using every talk", sub.talk, sub.id)
        return pool or self._pools.get(None, [])

    # ----- one delivery ---------------------------------------------------------------------------

    async def _deliver(self, job: Job, adapter: Adapter, sub: subs.Subscription, day: date, report: TickReport,
                       force: bool) -> None:
        """One chat's delivery for one day: pace, claim, send (with retries and migration), record."""
        try:
            async with self._limit:
                outcome: str | None
                limit = asyncio.timeout(self.delivery_seconds)
                try:
                    async with limit:
                        outcome = await self._claim_and_send(job, adapter, sub, day, force)
                except Exception as exc:
                    if isinstance(exc, TimeoutError) and limit.expired():
                        why = f"took longer than {self.delivery_seconds:g} s"
                    else:
                        log.exception("daily: delivery to subscription %d failed", sub.id)
                        why = f"{type(exc).__name__}: {exc}"
                    outcome = await self._interrupted(job, sub, why)
                if outcome is not None:
                    report.add(outcome)
        except Exception:  # recording the outcome failed (the database is gone): nothing more to do here
            log.exception("daily: the delivery to subscription %d could not be recorded", sub.id)
        except asyncio.CancelledError:
            if job.claim is not None and not job.sending:
                await self._interrupted(job, sub, "stopped before sending", retry=False)
            elif job.claim is not None:
                log.warning("daily: stopped while sending to subscription %d; it may have been posted and is not "
                            "resent", sub.id)
            raise

    async def _claim_and_send(self, job: Job, adapter: Adapter, sub: subs.Subscription, day: date,
                              force: bool) -> str | None:
        pool = self._pool(sub)
        await self._pace(sub.platform)
        if not adapter.is_connected():
            return "deferred"
        claiming = asyncio.ensure_future(subs.claim(self.ctx.store, sub.id, day, self.ctx.clock(), pool,
                                                    self.ctx.rng, replace_skipped=force,
                                                    known=self._pools.get(None)))
        try:
            job.claim = await asyncio.shield(claiming)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                job.claim = await claiming  # committed even so: known now, so that it is released
            raise
        if job.claim is None:
            return None
        quote = self._quotes[job.claim.quote_id]
        return await self._send(job, adapter, sub, broadcast_reply(self.ctx, quote, sub.lang), quote)

    async def _interrupted(self, job: Job, sub: subs.Subscription, why: str, retry: bool = True) -> str | None:
        """A delivery ended by an error, its time limit or shutdown: a claim whose send may have posted is
        recorded as uncertain (never resent); one whose send never began, or certainly posted nothing, is
        released for a later tick (or the restarted process). Either way a usage row says so."""
        claimed, job.claim = job.claim, None
        if claimed is None:
            return None
        now = self.ctx.clock()
        if job.sending:
            detail = f"may have been posted: {why}"
            await subs.finish(self.ctx.store, claimed, subs.UNCERTAIN, now, None, detail)
            self._log(sub, "error", None, detail, 0.0)
            log.warning("daily: subscription %d: %s; not resent", sub.id, detail)
            return "failed"
        await subs.release(self.ctx.store, claimed)
        delay = self._next_round(sub.id, claimed.day, now) if retry else None
        detail = f"not sent: {why}; " + ("released" if delay is None else f"retrying in {delay:g} s")
        self._log(sub, "error", None, detail, 0.0)
        log.info("daily: subscription %d %s", sub.id, detail)
        return "retrying"

    def _next_round(self, subscription_id: int, day: date, now: datetime) -> float | None:
        """Count a failed round of a day's delivery; the seconds until the next, or None when none is left."""
        rounds = self._rounds.get((subscription_id, day), (0, now))[0]
        if rounds >= len(self.release_delays):
            return None
        delay = self.release_delays[rounds]
        self._rounds[(subscription_id, day)] = (rounds + 1, now + timedelta(seconds=delay))
        return delay

    async def _send(self, job: Job, adapter: Adapter, sub: subs.Subscription, reply: Reply, quote: Quote) -> str:
        """Send a claimed delivery and record how it ended; returns the TickReport field to count."""
        claimed = job.claim
        assert claimed is not None
        target = sub.target
        passage = quote.passage.key
        for attempt in range(MAX_MIGRATIONS + 1):
            started = time.perf_counter()
            error = await self._attempt(job, adapter, target, reply, paced=attempt == 0)
            latency = (time.perf_counter() - started) * 1000
            now = self.ctx.clock()
            if error is None:
                job.claim = None
                self._rounds.pop((sub.id, claimed.day), None)
                await subs.finish(self.ctx.store, claimed, subs.SENT, now, passage)
                self._log(sub, "ok", passage, "" if target == sub.target else "after migration", latency, target)
                return "sent"
            if error.failure is DeliveryFailure.MIGRATED and error.new_chat_id:
                self._log(sub, "migrated", passage, error.reason, latency, target)
                moved = await subs.move_chat(self.ctx.store, target.platform, target.chat_id, error.new_chat_id, now)
                if sub.id not in moved:  # the new chat already has a daily quote of its own
                    job.claim = None
                    await subs.finish(self.ctx.store, claimed, subs.MIGRATED, now, passage, error.reason)
                    return "migrated"
                target = Target(target.platform, error.new_chat_id, target.thread_id)
                continue
            if error.failure is DeliveryFailure.GONE:  # final for the day: counts once toward disabling
                job.claim = None
                now_state = await subs.finish(self.ctx.store, claimed, subs.GONE, now, passage, error.reason)
                self._log(sub, "gone", passage, error.reason, latency, target)
                if now_state is not None and now_state.state == subs.DISABLED:
                    log.warning("daily: subscription %d disabled after %d failed days: %s", sub.id,
                                now_state.failures, error.reason)
                    return "disabled"
                log.info("daily: subscription %d could not be delivered (%s)", sub.id, error.reason)
                return "gone"
            if error.failure is DeliveryFailure.UNCERTAIN or job.sending:
                job.claim = None
                await subs.finish(self.ctx.store, claimed, subs.UNCERTAIN, now, passage, str(error))
                self._log(sub, "error", passage, str(error), latency, target)
                log.warning("daily: subscription %d: %s; not resent (it may have been posted)", sub.id, error)
                return "failed"
            return await self._failed_round(job, sub, error, latency, target)
        job.claim = None
        await subs.finish(self.ctx.store, claimed, subs.FAILED, self.ctx.clock(), passage, "migrated too often")
        self._log(sub, "error", passage, "migrated too often", 0.0)
        return "failed"

    async def _failed_round(self, job: Job, sub: subs.Subscription, error: DeliveryError, latency: float,
                            target: Target) -> str:
        """A send that certainly posted nothing failed after the tick's retries: release the claim for a later
        round, or record the day as failed when the rounds are used up."""
        claimed, job.claim = job.claim, None
        assert claimed is not None
        now = self.ctx.clock()
        delay = self._next_round(sub.id, claimed.day, now)
        if delay is None:
            await subs.finish(self.ctx.store, claimed, subs.FAILED, now, None, str(error))
            detail = f"{error}; gave up after {1 + len(self.release_delays)} rounds"
            self._log(sub, "error", None, detail, latency, target)
            log.warning("daily: subscription %d not delivered: %s", sub.id, detail)
            return "failed"
        await subs.release(self.ctx.store, claimed, reason=str(error))
        detail = f"{error}; retrying in {delay:g} s"
        self._log(sub, "error", None, detail, latency, target)
        log.info("daily: subscription %d not delivered yet: %s", sub.id, detail)
        return "retrying"

    async def _attempt(self, job: Job, adapter: Adapter, target: Target, reply: Reply,
                       paced: bool) -> DeliveryError | None:
        """One send, repeated with backoff while it fails with nothing posted; the final error, or None when
        sent. job.sending is true while a send may have posted."""
        for attempt in range(len(self.retry_delays) + 1):
            if attempt or not paced:
                await self._pace(target.platform)
            job.sending = True
            try:
                await adapter.send(target, reply)
                return None
            except DeliveryError as exc:
                if exc.may_have_posted:
                    return exc
                job.sending = False  # certainly not posted
                if exc.failure is not DeliveryFailure.TRANSIENT or attempt == len(self.retry_delays):
                    return exc
                log.info("daily: %s; retrying in %.0fs", exc, self.retry_delays[attempt])
                await self._sleep(self.retry_delays[attempt])
            except Exception as exc:  # an adapter bug: not repeated, it may have posted
                log.exception("daily: the %s adapter failed to send", target.platform)
                return DeliveryError(DeliveryFailure.UNCERTAIN, f"may have been posted: {type(exc).__name__}: {exc}")
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
