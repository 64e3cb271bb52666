"""Daily quotes, the scheduler: due times in every zone and across DST, exactly once per local day, crashes,
downtime, failing and migrated chats, missing adapters, bounded concurrency and the usage log."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.app import App
from bot.config import Settings
from bot.core.types import DeliveryError, DeliveryFailure, Reply, Request, Target
from bot.daily import store as subs
from bot.daily.pacing import Pacer
from bot.daily.schedule import local_day, zone_of
from bot.daily.scheduler import DailyScheduler, TickReport
from tests.conftest import FixedClock


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@dataclass
class FakeAdapter:
    """Implements the Adapter protocol: records sends (with the time), raises queued or standing errors."""

    clock: FixedClock
    platform: str = "telegram"
    sent: list[tuple[Target, Reply, datetime]] = field(default_factory=list)
    queued: dict[str, list[Exception]] = field(default_factory=dict)  # chat id -> errors for the next sends
    standing: dict[str, DeliveryError] = field(default_factory=dict)  # chat id -> error on every send
    connected: bool = True
    attempts: int = 0
    delay: float = 0.0
    hang: asyncio.Event | None = None  # when set, sends wait forever (the process "dies" meanwhile)
    hang_chats: set[str] = field(default_factory=set)  # sends to these chats wait forever
    in_flight: int = 0
    most_in_flight: int = 0
    stopped: bool = False

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Sends fail from now on, as a stopped adapter's do."""
        self.stopped = True

    def is_connected(self) -> bool:
        return self.connected and not self.stopped

    async def send(self, target: Target, reply: Reply) -> None:
        self.attempts += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.stopped:
                raise DeliveryError(DeliveryFailure.TRANSIENT, "the adapter is not running")
            if self.hang is not None:
                self.hang.set()
                await asyncio.Event().wait()
            if target.chat_id in self.hang_chats:
                await asyncio.Event().wait()
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.queued.get(target.chat_id):
                raise self.queued[target.chat_id].pop(0)
            if target.chat_id in self.standing:
                raise self.standing[target.chat_id]
            self.sent.append((target, reply, self.clock.now))
        finally:
            self.in_flight -= 1

    def to(self, chat_id: str) -> list[tuple[Target, Reply, datetime]]:
        return [s for s in self.sent if s[0].chat_id == chat_id]


@pytest.fixture
def adapter(app: App, clock: FixedClock) -> FakeAdapter:
    fake = FakeAdapter(clock)
    app.register(fake)
    app.daily.retry_delays = (0.0, 0.0, 0.0)
    app.daily.rates = {}  # no real-time pacing in these tests (see test_broadcasts_are_paced)
    return fake


async def subscribe(app: App, args: str, chat_id: str = "100", platform: str = "telegram",
                    thread_id: str | None = None, locale: str = "en") -> Reply:
    reply = await app.handle(Request(platform, chat_id, "u1", "daily", args, locale=locale, thread_id=thread_id,
                                     can_manage_chat=True))
    assert reply.outcome == "ok", reply.plain_text
    return reply


async def run_until(app: App, clock: FixedClock, end: datetime, step: timedelta) -> TickReport:
    """Tick the scheduler from the clock's time to end, summing the reports."""
    total = TickReport()
    while clock.now <= end:
        report = await app.daily.tick()
        for name in ("sent", "failed", "gone", "disabled", "migrated", "skipped", "deferred", "abandoned",
                     "retrying"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        clock.now += step
    return total


async def usage(app: App, command: str = "daily_send") -> list[tuple[Any, ...]]:
    await app.store.flush()
    return await app.store.read(
        "SELECT platform, chat_hash, user_hash, outcome, top_passage, query, talk FROM usage WHERE command = ?"
        " ORDER BY id", (command,))


async def deliveries(app: App) -> list[tuple[Any, ...]]:
    return await app.store.read("SELECT subscription_id, local_date, status, detail FROM daily_deliveries"
                                " ORDER BY local_date")


# ----- zones and DST -----------------------------------------------------------------------------


async def test_east_of_utc(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 0, 0)  # 08:00 in Shanghai
    await subscribe(app, "08:30 Asia/Shanghai")
    clock.now = utc(2025, 6, 1, 0, 29, 59)
    assert (await app.daily.tick()).sent == 0
    clock.now = utc(2025, 6, 1, 0, 30)
    assert (await app.daily.tick()).sent == 1
    clock.now = utc(2025, 6, 1, 0, 30, 20)
    assert (await app.daily.tick()).sent == 0
    clock.now = utc(2025, 6, 2, 0, 30)
    assert (await app.daily.tick()).sent == 1
    assert [row[1] for row in await deliveries(app)] == ["2025-06-01", "2025-06-02"]
    target, reply, _ = adapter.sent[0]
    assert target == Target("telegram", "100", None)
    assert reply.blocks[0].text == "Quote of the day" and reply.blocks[1].kind == "quote"
    assert reply.top_passage is not None


async def test_west_of_utc_keys_the_local_date(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 2, 3, 0)  # 20:00 on June 1 in Los Angeles
    await subscribe(app, "21:00 America/Los_Angeles")
    report = await run_until(app, clock, utc(2025, 6, 2, 5, 0), timedelta(minutes=1))
    assert report.sent == 1
    assert adapter.sent[0][2] == utc(2025, 6, 2, 4, 0)
    assert [row[1] for row in await deliveries(app)] == ["2025-06-01"]


@pytest.mark.parametrize(("zone", "start", "args", "expected"), [
    # spring forward: 02:30 does not exist; delivered once, when the clocks jump (03:00 local)
    ("Europe/Berlin", utc(2025, 3, 29, 22, 0), "02:30", utc(2025, 3, 30, 1, 0)),
    ("America/New_York", utc(2025, 3, 9, 4, 0), "02:30", utc(2025, 3, 9, 7, 0)),
    # fall back: the time happens twice; delivered once, at the first
    ("Europe/Berlin", utc(2025, 10, 25, 22, 0), "02:30", utc(2025, 10, 26, 0, 30)),
    ("America/New_York", utc(2025, 11, 2, 3, 0), "01:30", utc(2025, 11, 2, 5, 30)),
])
async def test_dst_transitions_deliver_once(app: App, clock: FixedClock, adapter: FakeAdapter, zone: str,
                                            start: datetime, args: str, expected: datetime) -> None:
    clock.now = start - timedelta(hours=12)
    await subscribe(app, f"{args} {zone}")
    clock.now = start
    report = await run_until(app, clock, start + timedelta(hours=7), timedelta(seconds=20))
    assert report.sent == 1
    assert [s[2] for s in adapter.sent] == [expected]
    assert report.skipped == 0


async def test_next_day_after_spring_forward_is_normal(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 3, 29, 12, 0)
    await subscribe(app, "02:30 Europe/Berlin")
    clock.now = utc(2025, 3, 29, 23, 0)
    await run_until(app, clock, utc(2025, 3, 31, 3, 0), timedelta(minutes=1))
    assert [s[2] for s in adapter.sent] == [utc(2025, 3, 30, 1, 0), utc(2025, 3, 31, 0, 30)]


# ----- exactly once ------------------------------------------------------------------------------


async def test_crash_after_claim_is_not_resent(settings: Settings, clock: FixedClock) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    first = await App.create(settings, clock=clock)
    dying = FakeAdapter(clock, hang=asyncio.Event())
    first.register(dying)
    await subscribe(first, "08:00 UTC")
    clock.now = utc(2025, 6, 1, 8, 0)
    tick = asyncio.create_task(first.daily.tick())
    assert dying.hang is not None
    await asyncio.wait_for(dying.hang.wait(), 5)  # the claim is committed and the send has begun
    tick.cancel()  # the process dies mid-send
    await asyncio.gather(tick, return_exceptions=True)
    await first.close()

    clock.now = utc(2025, 6, 1, 8, 5)
    second = await App.create(settings, clock=clock)
    try:
        alive = FakeAdapter(clock)
        second.register(alive)
        second.daily.retry_delays = ()
        report = await second.daily.tick()
        assert report.abandoned == 1 and report.sent == 0
        await run_until(second, clock, utc(2025, 6, 1, 23, 59), timedelta(minutes=30))
        assert alive.sent == []
        statuses = [row[2] for row in await deliveries(second)]
        assert statuses == ["abandoned"]
        logged = await usage(second)
        assert [row[3] for row in logged] == ["error"] and "restart" in logged[0][5]
        clock.now = utc(2025, 6, 2, 8, 0)
        assert (await second.daily.tick()).sent == 1  # the next day is normal
    finally:
        await second.close()


async def test_a_restarted_scheduler_sends_nothing_twice(settings: Settings, clock: FixedClock) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    first = await App.create(settings, clock=clock)
    sender = FakeAdapter(clock)
    first.register(sender)
    await subscribe(first, "08:00 UTC")
    clock.now = utc(2025, 6, 1, 8, 0)
    assert (await first.daily.tick()).sent == 1
    await first.close()
    second = await App.create(settings, clock=clock)
    try:
        second.register(sender)
        await run_until(second, clock, utc(2025, 6, 1, 13, 0), timedelta(minutes=10))
        assert len(sender.sent) == 1
    finally:
        await second.close()


async def test_the_loop_ticks_at_start_and_on_wake(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 8, 0, 30)
    app.daily.tick_seconds = 3600
    app.daily.start()
    try:
        await subscribe(app, "08:00 UTC")  # subscribing for the current minute: due now, and the loop is woken
        for _ in range(200):
            if adapter.sent:
                break
            await asyncio.sleep(0.01)
        assert len(adapter.sent) == 1
    finally:
        await app.daily.stop()


# ----- downtime ----------------------------------------------------------------------------------


async def test_downtime_within_the_grace_sends_late_once(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 6, 0)
    await subscribe(app, "08:00 UTC")
    clock.now = utc(2025, 6, 1, 13, 30)  # down from 06:00 to 13:30; grace 6 h
    report = await run_until(app, clock, utc(2025, 6, 1, 23, 0), timedelta(minutes=15))
    assert report.sent == 1 and report.skipped == 0
    assert adapter.sent[0][2] == utc(2025, 6, 1, 13, 30)
    assert [row[3] for row in await usage(app)] == ["ok"]


async def test_downtime_beyond_the_grace_skips_and_logs(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 6, 0)
    await subscribe(app, "08:00 UTC")
    clock.now = utc(2025, 6, 1, 14, 1)
    report = await run_until(app, clock, utc(2025, 6, 1, 23, 0), timedelta(minutes=15))
    assert report.sent == 0 and report.skipped == 1
    assert adapter.sent == []
    logged = await usage(app)
    assert [row[3] for row in logged] == ["skipped"]
    assert [row[2] for row in await deliveries(app)] == ["skipped"]
    clock.now = utc(2025, 6, 2, 8, 0)
    assert (await app.daily.tick()).sent == 1


async def test_grace_does_not_cross_midnight(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 12, 0)
    await subscribe(app, "23:30 UTC")
    clock.now = utc(2025, 6, 2, 0, 10)  # down over 23:30; only 40 minutes late, but it is another day
    report = await app.daily.tick()
    assert report.skipped == 1 and report.sent == 0


async def test_missing_adapter_waits_within_the_grace(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC", chat_id="555", platform="discord")
    clock.now = utc(2025, 6, 1, 8, 0)
    report = await app.daily.tick()
    assert report.deferred == 1 and report.missing == {"discord": 1}
    assert await deliveries(app) == []  # nothing claimed
    adapter.connected = False
    await subscribe(app, "08:00 UTC", chat_id="100")
    assert (await app.daily.tick()).deferred == 2  # registered but disconnected: also waits
    adapter.connected = True
    discord = FakeAdapter(clock, platform="discord")
    app.register(discord)
    clock.now = utc(2025, 6, 1, 9, 0)
    report = await app.daily.tick()
    assert report.sent == 2 and len(discord.sent) == 1 and len(adapter.sent) == 1
    assert discord.sent[0][0] == Target("discord", "555", None)


async def test_missing_adapter_beyond_the_grace_is_skipped(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC", chat_id="555", platform="discord")
    clock.now = utc(2025, 6, 1, 8, 0)
    report = await run_until(app, clock, utc(2025, 6, 1, 15, 0), timedelta(minutes=30))
    assert report.skipped == 1
    assert [row[3] for row in await usage(app)] == ["skipped"]


# ----- failures ----------------------------------------------------------------------------------


async def test_gone_chat_disabled_on_the_third_failed_day(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC")
    adapter.standing["100"] = DeliveryError(DeliveryFailure.GONE, "Forbidden: bot was blocked by the user")
    outcomes = []
    for day in range(1, 6):
        clock.now = utc(2025, 6, day, 8, 0)
        report = await app.daily.tick()
        outcomes.append((report.gone, report.disabled))
        sub = await subs.find(app.store, Target("telegram", "100"))
        assert sub is not None
        if day < 3:
            assert (sub.state, sub.failures) == ("active", day)
    assert outcomes == [(1, 0), (1, 0), (0, 1), (0, 0), (0, 0)]
    assert adapter.attempts == 3
    sub = await subs.find(app.store, Target("telegram", "100"))
    assert sub is not None
    assert sub.state == "disabled" and sub.failures == 3 and "blocked" in sub.reason
    assert [row[3] for row in await usage(app)] == ["gone", "gone", "gone"]
    shown = await app.handle(Request("telegram", "100", "u1", "daily", "", locale="en"))
    assert "3 days in a row" in shown.plain_text and "blocked" in shown.plain_text
    await subscribe(app, "08:00 UTC")  # an admin restarts it
    sub = await subs.find(app.store, Target("telegram", "100"))
    assert sub is not None and (sub.state, sub.failures, sub.reason) == ("active", 0, "")


async def test_a_gone_chat_counts_once_per_day_however_often_it_is_ticked(app: App, clock: FixedClock,
                                                                           adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC")
    flaky = DeliveryError(DeliveryFailure.TRANSIENT, "Bad Gateway")
    adapter.queued["100"] = [flaky] * 4  # the first day's first round fails transiently, then the chat is gone
    adapter.standing["100"] = DeliveryError(DeliveryFailure.GONE, "Forbidden: bot was kicked")
    clock.now = utc(2025, 6, 1, 7, 50)
    report = await run_until(app, clock, utc(2025, 6, 2, 23, 50), timedelta(minutes=10))
    sub = await subs.find(app.store, Target("telegram", "100"))
    assert sub is not None and (sub.state, sub.failures) == ("active", 2)
    assert report.gone == 2 and report.retrying == 1
    report = await run_until(app, clock, utc(2025, 6, 4, 23, 50), timedelta(minutes=10))
    sub = await subs.find(app.store, Target("telegram", "100"))
    assert sub is not None and (sub.state, sub.failures) == ("disabled", 3)
    assert report.disabled == 1 and report.gone == 0
    assert [row[3] for row in await usage(app)] == ["error", "gone", "gone", "gone"]


async def test_a_success_resets_the_failure_count(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC")
    gone = DeliveryError(DeliveryFailure.GONE, "chat not found")
    adapter.queued["100"] = [gone, gone]
    for day in (1, 2, 3):
        clock.now = utc(2025, 6, day, 8, 0)
        await app.daily.tick()
    sub = await subs.find(app.store, Target("telegram", "100"))
    assert sub is not None and sub.failures == 0 and sub.state == "active" and sub.last_sent == "2025-06-03"
    adapter.queued["100"] = [gone, gone]
    for day in (4, 5):
        clock.now = utc(2025, 6, day, 8, 0)
        await app.daily.tick()
    sub = await subs.find(app.store, Target("telegram", "100"))
    assert sub is not None and sub.failures == 2 and sub.state == "active"


async def test_transient_errors_are_retried_within_the_tick(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC")
    await subscribe(app, "08:00 UTC", chat_id="200")
    flaky = DeliveryError(DeliveryFailure.TRANSIENT, "Bad Gateway")
    adapter.queued["100"] = [flaky, flaky]
    adapter.standing["200"] = flaky
    clock.now = utc(2025, 6, 1, 8, 0)
    report = await app.daily.tick()
    assert report.sent == 1 and report.retrying == 1 and report.failed == 0
    assert len(adapter.to("100")) == 1 and adapter.attempts == 3 + 4
    assert [row[2] for row in await deliveries(app)] == ["sent"]  # chat 200's claim was released
    sub = await subs.find(app.store, Target("telegram", "200"))
    assert sub is not None and sub.failures == 0 and "Bad Gateway" in sub.reason
    assert sorted(row[3] for row in await usage(app)) == ["error", "ok"]


async def test_a_short_outage_is_retried_on_later_ticks_within_the_grace(app: App, clock: FixedClock,
                                                                         adapter: FakeAdapter) -> None:
    """Nothing was posted (TRANSIENT): the claim is released and a later tick delivers the day's quote."""
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC", chat_id="200")
    adapter.standing["200"] = DeliveryError(DeliveryFailure.TRANSIENT, "Bad Gateway")
    clock.now = utc(2025, 6, 1, 8, 0)
    assert (await app.daily.tick()).retrying == 1
    assert await deliveries(app) == []
    clock.now = utc(2025, 6, 1, 8, 0, 20)
    report = await app.daily.tick()  # too soon: waits for the backoff, nothing is attempted
    assert report.retrying == 0 and adapter.attempts == 4
    del adapter.standing["200"]  # the outage ends
    report = await run_until(app, clock, utc(2025, 6, 1, 12, 0), timedelta(seconds=20))
    assert report.sent == 1 and len(adapter.to("200")) == 1
    assert [row[2] for row in await deliveries(app)] == ["sent"]
    assert [row[3] for row in await usage(app)] == ["error", "ok"]  # one row per failed attempt, one per success


async def test_retries_of_a_lasting_outage_are_bounded(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC", chat_id="200")
    adapter.standing["200"] = DeliveryError(DeliveryFailure.TRANSIENT, "Bad Gateway")
    clock.now = utc(2025, 6, 1, 8, 0)
    report = await run_until(app, clock, utc(2025, 6, 1, 12, 0), timedelta(minutes=1))
    rounds = 1 + len(app.daily.release_delays)
    assert adapter.attempts == rounds * (1 + len(app.daily.retry_delays))
    assert report.retrying == rounds - 1 and report.failed == 1 and report.skipped == 0
    assert [row[2] for row in await deliveries(app)] == ["failed"]
    assert [row[3] for row in await usage(app)] == ["error"] * rounds
    sub = await subs.find(app.store, Target("telegram", "200"))
    assert sub is not None and sub.state == "active" and sub.failures == 0  # not a gone chat


async def test_an_outage_beyond_the_grace_skips_the_day(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    app.daily.release_delays = (3600.0,) * 10
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC", chat_id="200")
    adapter.standing["200"] = DeliveryError(DeliveryFailure.TRANSIENT, "Bad Gateway")
    clock.now = utc(2025, 6, 1, 8, 0)
    report = await run_until(app, clock, utc(2025, 6, 1, 23, 0), timedelta(minutes=10))
    assert report.sent == 0 and report.skipped == 1 and report.retrying == 7  # 08:00 to 14:00, hourly
    assert [row[2] for row in await deliveries(app)] == ["skipped"]
    del adapter.standing["200"]
    clock.now = utc(2025, 6, 2, 8, 0)
    assert (await app.daily.tick()).sent == 1


async def test_an_uncertain_failure_is_never_resent(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    """A timeout or dropped connection after the request went out: it may have been posted, so it is final."""
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC", chat_id="300")
    await subscribe(app, "08:00 UTC", chat_id="301")
    adapter.queued["300"] = [DeliveryError(DeliveryFailure.UNCERTAIN, "may have been posted: TimedOut")]
    adapter.queued["301"] = [RuntimeError("adapter bug")]
    clock.now = utc(2025, 6, 1, 8, 0)
    report = await run_until(app, clock, utc(2025, 6, 1, 23, 0), timedelta(minutes=5))
    assert report.failed == 2 and report.sent == 0 and report.retrying == 0
    assert adapter.attempts == 2
    assert [row[2] for row in await deliveries(app)] == ["uncertain", "uncertain"]
    logged = await usage(app)
    assert [row[3] for row in logged] == ["error", "error"] and all("posted" in row[5] for row in logged)
    clock.now = utc(2025, 6, 2, 8, 0)
    assert (await app.daily.tick()).sent == 2  # the next day is normal


async def test_migrated_chat_is_moved_and_resent(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC", chat_id="-555")
    adapter.queued["-555"] = [DeliveryError(DeliveryFailure.MIGRATED, "group migrated", new_chat_id="-100999")]
    clock.now = utc(2025, 6, 1, 8, 0)
    report = await app.daily.tick()
    assert report.sent == 1
    assert [s[0].chat_id for s in adapter.sent] == ["-100999"]
    assert await subs.find(app.store, Target("telegram", "-555")) is None
    moved = await subs.find(app.store, Target("telegram", "-100999"))
    assert moved is not None and moved.last_sent == "2025-06-01"
    logged = await usage(app)
    assert [row[3] for row in logged] == ["migrated", "ok"]
    assert logged[1][1] == app.store.hash_id("telegram", "-100999")
    clock.now = utc(2025, 6, 2, 8, 0)
    await app.daily.tick()
    assert [s[0].chat_id for s in adapter.sent] == ["-100999", "-100999"]


async def test_chat_migration_from_the_adapter_moves_subscriptions(app: App, clock: FixedClock,
                                                                   adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC", chat_id="-555")
    await subscribe(app, "09:00 UTC", chat_id="-777")
    await subscribe(app, "10:00 UTC", chat_id="-100777")  # the new chat already has its own
    await app.chat_migrated("telegram", "-555", "-100555")
    await app.chat_migrated("telegram", "-777", "-100777")
    assert await subs.find(app.store, Target("telegram", "-555")) is None
    assert await subs.find(app.store, Target("telegram", "-100555")) is not None
    kept = await subs.find(app.store, Target("telegram", "-100777"))
    assert kept is not None and kept.minute == 600
    assert await subs.find(app.store, Target("telegram", "-777")) is None
    clock.now = utc(2025, 6, 1, 10, 0)
    await app.daily.tick()
    assert sorted(s[0].chat_id for s in adapter.sent) == ["-100555", "-100777"]


# ----- content, topics, load ---------------------------------------------------------------------


async def test_no_repeats_until_every_quote_was_sent(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 1, 1, 7, 0)
    await subscribe(app, "08:00 UTC")
    count = len({q.text for q in app.catalog.quotes})
    for day in range(count + 5):
        clock.now = utc(2025, 1, 1, 8, 0) + timedelta(days=day)
        assert (await app.daily.tick()).sent == 1
    texts = [s[1].blocks[1].text for s in adapter.sent]
    assert len(set(texts[:count])) == count
    assert texts[count] != texts[count - 1]
    assert len(set(texts[count:])) == 5


async def test_topics_and_talks(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    talk = app.catalog.talks[0].id
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, f"08:00 UTC {talk}", chat_id="-1001", thread_id="42", locale="zh")
    await subscribe(app, "08:00 UTC", chat_id="-1001", thread_id="43")
    clock.now = utc(2025, 6, 1, 8, 0)
    assert (await app.daily.tick()).sent == 2
    by_thread = {s[0].thread_id: s[1] for s in adapter.sent}
    assert set(by_thread) == {"42", "43"}
    assert by_thread["42"].blocks[0].text == "每日金句" and by_thread["42"].talk_id == talk
    assert by_thread["43"].blocks[0].text == "Quote of the day"


async def test_concurrency_is_bounded(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    app.daily = DailyScheduler(app.ctx, app.adapters, concurrency=5, retry_delays=(), rates={})
    clock.now = utc(2025, 6, 1, 7, 0)
    for n in range(60):
        await subscribe(app, "08:00 UTC", chat_id=str(1000 + n))
    adapter.delay = 0.01
    clock.now = utc(2025, 6, 1, 8, 0)
    report = await app.daily.tick()
    assert report.sent == 60 and len({s[0].chat_id for s in adapter.sent}) == 60
    assert 1 < adapter.most_in_flight <= 5


async def test_send_now_sends_what_is_not_yet_sent_today(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC", chat_id="1")
    await subscribe(app, "20:00 UTC", chat_id="2")
    await subscribe(app, "09:00 UTC", chat_id="3")
    await subscribe(app, "09:00 UTC", chat_id="4")
    await app.handle(Request("telegram", "4", "u1", "daily", "off", can_manage_chat=True))
    clock.now = utc(2025, 6, 1, 8, 0)
    await app.daily.tick()
    clock.now = utc(2025, 6, 1, 15, 30)
    assert (await app.daily.tick()).skipped == 1  # chat 3 missed beyond the grace
    report = await app.daily.send_now()
    assert report.sent == 2
    assert sorted(s[0].chat_id for s in adapter.sent) == ["1", "2", "3"]
    assert (await app.daily.send_now()).sent == 0
    clock.now = utc(2025, 6, 1, 20, 0)
    assert (await app.daily.tick()).sent == 0


async def test_usage_rows_hold_hashes_not_ids(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC", chat_id="-1009876543210")
    clock.now = utc(2025, 6, 1, 8, 0)
    await app.daily.tick()
    [(platform, chat_hash, user_hash, outcome, passage, _, _)] = await usage(app)
    assert (platform, outcome) == ("telegram", "ok")
    assert chat_hash == app.store.hash_id("telegram", "-1009876543210")
    assert user_hash == app.store.hash_id("telegram", "u1")
    assert passage == adapter.sent[0][1].top_passage
    dump = await app.store.read("SELECT * FROM usage")
    assert "-1009876543210" not in repr(dump)


async def test_forgetting_an_owner_deletes_their_subscriptions(app: App, clock: FixedClock,
                                                               adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC", chat_id="1")
    await app.handle(Request("telegram", "2", "someone-else", "daily", "08:00", can_manage_chat=True))
    clock.now = utc(2025, 6, 1, 8, 0)
    await app.daily.tick()
    assert await subs.forget_owner(app.store, app.store.hash_id("telegram", "u1")) == 1
    assert [s.chat_id for s in await subs.every(app.store)] == ["2"]
    assert {row[0] for row in await deliveries(app)} == {(await subs.every(app.store))[0].id}


async def test_old_delivery_rows_are_pruned(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 1, 1, 7, 0)
    await subscribe(app, "08:00 UTC")
    clock.now = utc(2025, 1, 1, 8, 0)
    await app.daily.tick()
    assert await subs.prune(app.store, date(2025, 1, 2)) == 1
    assert await deliveries(app) == []


async def test_broadcasts_are_paced(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    app.daily.rates = {"telegram": 200.0}
    clock.now = utc(2025, 6, 1, 7, 0)
    for n in range(25):
        await subscribe(app, "08:00 UTC", chat_id=str(1000 + n))
    clock.now = utc(2025, 6, 1, 8, 0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert (await app.daily.tick()).sent == 25
    assert loop.time() - started >= (25 - 5) / 200 * 0.9  # a burst of 5, then 200 per second


async def test_pacer_spaces_sends() -> None:
    pacer = Pacer(100.0, burst=3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    times = []
    for _ in range(13):
        await pacer.wait()
        times.append(loop.time() - started)
    assert times[2] < 0.01  # the burst goes at once
    assert 0.09 <= times[-1] < 0.3  # then 100 per second
    with pytest.raises(ValueError):
        Pacer(0)


# ----- shutdown, slow chats, bookkeeping errors ---------------------------------------------------------


async def test_stop_releases_a_claim_whose_send_never_posted(settings: Settings, clock: FixedClock) -> None:
    """Stopped while waiting to retry a send that certainly did not post: the claim is released, so the
    restarted process delivers the day's quote (within the grace), once."""
    clock.now = utc(2025, 6, 1, 7, 0)
    first = await App.create(settings, clock=clock)
    sender = FakeAdapter(clock)
    first.register(sender)
    first.daily.retry_delays = (60.0,)
    first.daily.rates = {}
    await subscribe(first, "08:00 UTC")
    sender.queued["100"] = [DeliveryError(DeliveryFailure.TRANSIENT, "Bad Gateway")]
    clock.now = utc(2025, 6, 1, 8, 0)
    tick = asyncio.create_task(first.daily.tick())
    for _ in range(500):
        if sender.attempts:
            break
        await asyncio.sleep(0.01)
    assert sender.attempts == 1
    await first.daily.stop()  # SIGTERM: the scheduler stops first
    await first.daily.stop()  # and again in close(): harmless
    await asyncio.gather(tick, return_exceptions=True)
    assert await deliveries(first) == []
    assert [row[3] for row in await usage(first)] == ["error"]
    await first.close()

    clock.now = utc(2025, 6, 1, 8, 5)
    second = await App.create(settings, clock=clock)
    try:
        second.register(sender)
        second.daily.rates = {}
        report = await second.daily.tick()
        assert report.sent == 1 and report.abandoned == 0
        await run_until(second, clock, utc(2025, 6, 1, 20, 0), timedelta(minutes=30))
        assert len(sender.sent) == 1
    finally:
        await second.close()


async def test_claims_are_made_only_when_the_send_is_about_to_go(settings: Settings, clock: FixedClock) -> None:
    """Deliveries waiting for the pacer hold no claim: a shutdown meanwhile loses nothing, and nothing is
    sent twice after the restart."""
    clock.now = utc(2025, 6, 1, 7, 0)
    first = await App.create(settings, clock=clock)
    sender = FakeAdapter(clock)
    first.register(sender)
    first.daily.rates = {"telegram": 4.0}  # a burst of 5, then one every 0.25 s
    for n in range(12):
        await subscribe(first, "08:00 UTC", chat_id=str(1000 + n))
    clock.now = utc(2025, 6, 1, 8, 0)
    tick = asyncio.create_task(first.daily.tick())
    for _ in range(500):
        if len(sender.sent) >= 6:
            break
        await asyncio.sleep(0.01)
    claimed = await deliveries(first)
    assert len(claimed) <= len(sender.sent) + 1  # at most the one about to go
    await first.daily.stop()
    await asyncio.gather(tick, return_exceptions=True)
    sent_first = len(sender.sent)
    assert 6 <= sent_first < 12
    assert all(row[2] == "sent" for row in await deliveries(first))
    await first.close()

    second = await App.create(settings, clock=clock)
    try:
        second.register(sender)
        second.daily.rates = {}
        assert (await second.daily.tick()).sent == 12 - sent_first
        assert sorted(s[0].chat_id for s in sender.sent) == [str(1000 + n) for n in range(12)]
    finally:
        await second.close()


async def test_one_slow_chat_does_not_hold_up_the_others(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC", chat_id="slow")
    await subscribe(app, "08:01 UTC", chat_id="fast")
    adapter.hang_chats.add("slow")
    app.daily.tick_seconds = 0.05
    app.daily.delivery_seconds = 30.0
    app.daily.stop_seconds = 0.1
    clock.now = utc(2025, 6, 1, 8, 0)
    app.daily.start()
    try:
        for _ in range(200):
            if adapter.in_flight:
                break
            await asyncio.sleep(0.01)
        assert adapter.in_flight == 1  # the slow chat's send hangs
        clock.now = utc(2025, 6, 1, 8, 1)
        for _ in range(300):
            if adapter.to("fast"):
                break
            await asyncio.sleep(0.01)
        assert len(adapter.to("fast")) == 1  # delivered while the slow one still hangs
        await asyncio.sleep(0.2)  # more ticks: the slow chat's job is in flight, so it is not started again
        assert adapter.attempts == 2 and adapter.in_flight == 1
    finally:
        await app.daily.stop()
    # stopped while its send was under way: it may have been posted, so the claim stays (never resent)
    assert {row[2] for row in await deliveries(app)} == {"claimed", "sent"}


async def test_a_delivery_is_cut_off_after_its_time_limit(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC", chat_id="slow")
    adapter.hang_chats.add("slow")
    app.daily.delivery_seconds = 0.2
    clock.now = utc(2025, 6, 1, 8, 0)
    report = await app.daily.tick()
    assert report.failed == 1
    assert [row[2] for row in await deliveries(app)] == ["uncertain"]  # cut off mid-send: may have been posted
    logged = await usage(app)
    assert [row[3] for row in logged] == ["error"] and "0.2" in logged[0][5]
    adapter.hang_chats.clear()
    await run_until(app, clock, utc(2025, 6, 1, 13, 0), timedelta(minutes=15))
    assert adapter.attempts == 1


async def test_an_error_after_the_claim_releases_it_and_is_logged(app: App, clock: FixedClock, adapter: FakeAdapter,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.daily import deliveries as delivery_module

    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC")

    def broken(*args: object) -> Reply:
        raise KeyError("no such passage")

    monkeypatch.setattr(delivery_module, "broadcast_reply", broken)
    clock.now = utc(2025, 6, 1, 8, 0)
    report = await app.daily.tick()
    assert report.retrying == 1 and adapter.attempts == 0
    assert await deliveries(app) == []  # released: nothing was sent
    logged = await usage(app)
    assert [row[3] for row in logged] == ["error"] and "KeyError" in logged[0][5]
    monkeypatch.undo()
    await run_until(app, clock, utc(2025, 6, 1, 9, 0), timedelta(minutes=1))
    assert len(adapter.sent) == 1


async def test_no_quotes_is_logged_once_a_day(app: App, clock: FixedClock, adapter: FakeAdapter,
                                              monkeypatch: pytest.MonkeyPatch,
                                              caplog: pytest.LogCaptureFixture) -> None:
    from bot.daily import scheduler

    monkeypatch.setattr(scheduler, "pool_ids", lambda quotes: [])
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC")
    clock.now = utc(2025, 6, 1, 8, 0)
    await run_until(app, clock, utc(2025, 6, 1, 12, 0), timedelta(minutes=5))
    assert adapter.attempts == 0
    logged = await usage(app)
    assert [row[3] for row in logged] == ["error"] and "no quotes" in logged[0][5]
    assert [row[2] for row in await deliveries(app)] == ["failed"]
    assert len([r for r in caplog.records if "no quotes" in r.getMessage()]) == 1


async def test_an_unknown_stored_zone_disables_the_subscription_once(app: App, clock: FixedClock,
                                                                    adapter: FakeAdapter,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 Europe/Berlin")
    await subscribe(app, "08:00 UTC", chat_id="200")

    async def corrupt(db: Any) -> None:  # e.g. a zone the system's tz database no longer has
        await db.execute("UPDATE daily_subscriptions SET zone = 'Mars/Olympus_Mons' WHERE chat_id = '100'")

    await app.store.write(corrupt)
    caplog.set_level(logging.INFO, logger="bot.daily")
    report = await run_until(app, clock, utc(2025, 6, 1, 9, 0), timedelta(minutes=5))
    assert report.sent == 1 and len(adapter.to("200")) == 1
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING and "Mars/Olympus_Mons" in r.getMessage()]
    assert len(problems) == 1
    sub = await subs.find(app.store, Target("telegram", "100"))
    assert sub is not None and sub.state == "disabled" and "Mars/Olympus_Mons" in sub.reason
    shown = await app.handle(Request("telegram", "100", "u1", "daily", "", locale="en"))
    assert "Mars/Olympus_Mons" in shown.plain_text and "/daily 08:30 Asia/Shanghai" in shown.plain_text
    assert (await app.daily.send_now()).sent == 0


# ----- changing the zone ---------------------------------------------------------------------------------


async def test_tokyo_to_los_angeles_after_today_s_quote(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    """08:00 in Tokyo is 16:00 of the day before in Los Angeles: the quote already sent counts for that day
    there, and the next day in Los Angeles gets its own."""
    clock.now = utc(2025, 5, 31, 22, 0)
    await subscribe(app, "08:00 Asia/Tokyo")
    clock.now = utc(2025, 5, 31, 23, 0)  # 08:00 June 1 in Tokyo, 16:00 May 31 in Los Angeles
    assert (await app.daily.tick()).sent == 1
    clock.now = utc(2025, 6, 1, 0, 30)  # 17:30 May 31 in Los Angeles
    await subscribe(app, "20:00 America/Los_Angeles")
    shown = await app.handle(Request("telegram", "100", "u1", "daily", "", locale="en"))
    assert "Next: tomorrow 20:00" in shown.plain_text
    await run_until(app, clock, utc(2025, 6, 2, 12, 0), timedelta(minutes=10))
    assert [s[2] for s in adapter.sent] == [utc(2025, 5, 31, 23, 0), utc(2025, 6, 2, 3, 0)]  # 20:00 June 1 there
    assert [row[1] for row in await deliveries(app)] == ["2025-05-31", "2025-06-01"]


async def test_tokyo_to_los_angeles_after_several_days(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 5, 28, 12, 0)
    await subscribe(app, "08:00 Asia/Tokyo")
    clock.now = utc(2025, 5, 28, 22, 50)
    await run_until(app, clock, utc(2025, 5, 31, 23, 10), timedelta(minutes=10))
    assert len(adapter.sent) == 4
    clock.now = utc(2025, 6, 1, 0, 30)
    await subscribe(app, "20:00 America/Los_Angeles")
    await run_until(app, clock, utc(2025, 6, 3, 12, 0), timedelta(minutes=10))
    la = zone_of("America/Los_Angeles")
    days = [local_day(s[2], la) for s in adapter.sent]
    assert len(days) == len(set(days)) == 6  # one a day in the zone in force, none missed
    assert [s[2] for s in adapter.sent[4:]] == [utc(2025, 6, 2, 3, 0), utc(2025, 6, 3, 3, 0)]


async def test_berlin_to_los_angeles_around_midnight(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    """08:00 in Berlin is 23:00 of the day before in Los Angeles; moved to 23:45 there half an hour later."""
    clock.now = utc(2025, 5, 31, 20, 0)
    await subscribe(app, "08:00 Europe/Berlin")
    clock.now = utc(2025, 6, 1, 6, 0)  # 08:00 June 1 in Berlin, 23:00 May 31 in Los Angeles
    assert (await app.daily.tick()).sent == 1
    clock.now = utc(2025, 6, 1, 6, 30)  # 23:30 May 31 in Los Angeles
    await subscribe(app, "23:45 America/Los_Angeles")
    await run_until(app, clock, utc(2025, 6, 2, 7, 0), timedelta(minutes=5))
    assert [s[2] for s in adapter.sent] == [utc(2025, 6, 1, 6, 0), utc(2025, 6, 2, 6, 45)]  # 23:45 June 1 there


async def test_changing_only_the_time_keeps_the_day(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    clock.now = utc(2025, 6, 1, 5, 0)
    await subscribe(app, "08:00 Europe/Berlin")
    clock.now = utc(2025, 6, 1, 6, 0)
    assert (await app.daily.tick()).sent == 1
    await subscribe(app, "20:00 Europe/Berlin")
    await run_until(app, clock, utc(2025, 6, 1, 23, 0), timedelta(minutes=10))
    assert len(adapter.sent) == 1


async def test_a_released_claim_keeps_its_quote_for_the_next_try(app: App, clock: FixedClock) -> None:
    clock.now = utc(2025, 6, 1, 7, 0)
    await subscribe(app, "08:00 UTC")
    sub = await subs.find(app.store, Target("telegram", "100"))
    assert sub is not None
    pool = [f"q{i}" for i in range(20)]
    day = date(2025, 6, 1)
    first = await subs.claim(app.store, sub.id, day, clock.now, pool, app.ctx.rng)
    assert first is not None
    assert await subs.claim(app.store, sub.id, day, clock.now, pool, app.ctx.rng) is None  # taken
    assert await subs.release(app.store, first)
    assert not await subs.release(app.store, first)  # only once
    assert await deliveries(app) == []
    again = await subs.claim(app.store, sub.id, day, clock.now + timedelta(minutes=1), pool, app.ctx.rng)
    assert again is not None and again.quote_id == first.quote_id  # the rotation did not move on
    await subs.finish(app.store, again, subs.SENT, clock.now, "p")
    assert not await subs.release(app.store, again)  # a finished delivery is never released
    assert [row[2] for row in await deliveries(app)] == ["sent"]
