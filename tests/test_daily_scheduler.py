"""Daily quotes, the scheduler: due times in every zone and across DST, exactly once per local day, crashes,
downtime, failing and migrated chats, missing adapters, bounded concurrency and the usage log."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from bot.app import App
from bot.config import Settings
from bot.core.types import DeliveryError, DeliveryFailure, Reply, Request, Target
from bot.daily import store as subs
from bot.daily.pacing import Pacer
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
    queued: dict[str, list[DeliveryError]] = field(default_factory=dict)  # chat id -> errors for the next sends
    standing: dict[str, DeliveryError] = field(default_factory=dict)  # chat id -> error on every send
    connected: bool = True
    attempts: int = 0
    delay: float = 0.0
    hang: asyncio.Event | None = None  # when set, sends wait forever (the process "dies" meanwhile)
    in_flight: int = 0
    most_in_flight: int = 0

    async def start(self) -> None:
        """Nothing to connect."""

    async def stop(self) -> None:
        """Nothing to disconnect."""

    def is_connected(self) -> bool:
        return self.connected

    async def send(self, target: Target, reply: Reply) -> None:
        self.attempts += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.hang is not None:
                self.hang.set()
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
    reply = await app.handle(Request(platform, chat_id, "u1", "daily", args, locale=locale, thread_id=thread_id))
    assert reply.outcome == "ok", reply.plain_text
    return reply


async def run_until(app: App, clock: FixedClock, end: datetime, step: timedelta) -> TickReport:
    """Tick the scheduler from the clock's time to end, summing the reports."""
    total = TickReport()
    while clock.now <= end:
        report = await app.daily.tick()
        for name in ("sent", "failed", "gone", "disabled", "migrated", "skipped", "deferred", "abandoned"):
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
    assert report.sent == 1 and report.failed == 1
    assert len(adapter.to("100")) == 1 and adapter.attempts == 3 + 4
    await run_until(app, clock, utc(2025, 6, 1, 13, 0), timedelta(minutes=20))
    assert adapter.attempts == 7  # the failed day is not retried on later ticks (it may have been posted)
    sub = await subs.find(app.store, Target("telegram", "200"))
    assert sub is not None and sub.failures == 0 and "Bad Gateway" in sub.reason
    assert sorted(row[3] for row in await usage(app)) == ["error", "ok"]


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
    count = len({q.text for q in app.library.quotes})
    for day in range(count + 5):
        clock.now = utc(2025, 1, 1, 8, 0) + timedelta(days=day)
        assert (await app.daily.tick()).sent == 1
    texts = [s[1].blocks[1].text for s in adapter.sent]
    assert len(set(texts[:count])) == count
    assert texts[count] != texts[count - 1]
    assert len(set(texts[count:])) == 5


async def test_topics_and_talks(app: App, clock: FixedClock, adapter: FakeAdapter) -> None:
    talk = app.library.talks[0].id
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
    await app.handle(Request("telegram", "4", "u1", "daily", "off"))
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
    await app.handle(Request("telegram", "2", "someone-else", "daily", "08:00"))
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
