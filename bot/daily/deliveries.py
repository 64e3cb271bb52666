"""One chat's daily delivery: pace, claim the day, send (retrying only what certainly posted nothing), record.

The scheduler (bot.daily.scheduler) decides what is due and runs each delivery as a task; this half does it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.content.model import Quote
from bot.core.commands import moment_buttons, quote_block
from bot.core.context import Context
from bot.core.i18n import t
from bot.core.types import Adapter, Block, Button, DeliveryError, DeliveryFailure, Reply, Target
from bot.daily import store as subs
from bot.daily.pacing import Pacer
from bot.storage.store import UsageEvent

log = logging.getLogger("bot.daily.scheduler")

RETRY_DELAYS = (2.0, 5.0, 15.0)  # within a tick, after a send that certainly posted nothing
RELEASE_DELAYS = (60.0, 300.0, 900.0, 1800.0, 3600.0)  # then between rounds on later ticks (claim released)
DELIVERY_SECONDS = 120.0  # one delivery, from its claim to its outcome: retries and rate-limit waits included
MAX_MIGRATIONS = 2
COMMAND = "daily_send"
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


class Deliveries:
    """The delivery half of the scheduler: what one due chat's day goes through."""

    ctx: Context
    delivery_seconds: float
    retry_delays: tuple[float, ...]
    release_delays: tuple[float, ...]
    rates: dict[str, float]
    _pacers: dict[str, Pacer]
    _sleep: Sleep
    _limit: asyncio.Semaphore
    _rounds: dict[tuple[int, date], tuple[int, datetime]]
    _quotes: dict[str, Quote]
    _pools: dict[str | None, list[str]]

    def _pool(self, sub: subs.Subscription) -> list[str]:
        pool = self._pools.get(sub.talk) if sub.talk else None
        if sub.talk and not pool:
            log.warning("daily: talk %r of subscription %d has no quotes now; using every talk", sub.talk, sub.id)
        return pool or self._pools.get(None, [])

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
