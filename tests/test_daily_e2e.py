"""Daily quotes end to end: the real Telegram and Discord adapters against their fakes in process, and a real
`transcript-bot run` on the fake Bot API that is killed with SIGKILL and restarted the same day."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.app import App
from bot.config import Settings
from bot.core.types import Reply, Target
from bot.daily import store as subs
from tests.conftest import FixedClock
from tests.fakes import discord_api
from tests.fakes.discord_api import GUILD_ADMIN, GUILD_MEMBER, FakeDiscord, Interaction, Json, assert_valid_message
from tests.fakes.telegram_api import (
    FAST,
    TOKEN,
    Call,
    FakeTelegramAPI,
    assert_valid_telegram_html,
    running_adapter,
)

REPO = Path(__file__).resolve().parent.parent
USER = 424242
GROUP = -1001234567890
TITLES = ("Quote of the day", "每日金句")


@pytest.fixture
async def bot(app: App, api: FakeTelegramAPI) -> AsyncIterator[TelegramAdapter]:
    async with running_adapter(app, api) as adapter:
        app.daily.retry_delays = (0.0, 0.0, 0.0)
        yield adapter


def quotes(api: FakeTelegramAPI, chat_id: int | None = None) -> list[Call]:
    """The daily quote messages sent (to one chat)."""
    return [c for c in api.sent(chat_id)
            if "<blockquote>" in c.params["text"] and any(title in c.params["text"] for title in TITLES)]


# ----- in process: the adapter's errors as the scheduler sees them -------------------------------------


async def test_subscribe_in_a_forum_topic_and_receive_it_there(bot: TelegramAdapter, api: FakeTelegramAPI,
                                                               app: App, clock: FixedClock) -> None:
    api.members[(GROUP, 222)] = "administrator"
    api.group_text(f"/daily {clock.now:%H:%M} UTC", chat_id=GROUP, user_id=222, thread_id=77)
    await api.wait_sent(1, GROUP)
    assert (await app.daily.tick()).sent == 1
    [call] = quotes(api, GROUP)
    assert call.params["message_thread_id"] == 77
    assert_valid_telegram_html(call.params["text"])
    assert (await app.daily.tick()).sent == 0


async def test_non_admins_are_refused_over_telegram(bot: TelegramAdapter, api: FakeTelegramAPI, app: App) -> None:
    api.group_text("/daily 08:00", chat_id=GROUP, user_id=333)
    [call] = await api.wait_sent(1, GROUP)
    assert "Only admins" in call.params["text"]
    assert await subs.every(app.store) == []


async def test_a_migrated_group_gets_its_quote_at_the_new_id(bot: TelegramAdapter, api: FakeTelegramAPI, app: App,
                                                             clock: FixedClock) -> None:
    await subs.save(app.store, Target("telegram", "-4444"), "owner", "en", clock.now.hour * 60, "UTC", None,
                    clock.now.replace(minute=0))
    api.migrate("sendMessage", -1004444, chat_id=-4444)
    assert (await app.daily.tick()).sent == 1
    assert [c.params["chat_id"] for c in quotes(api)] == [-1004444]
    assert await subs.find(app.store, Target("telegram", "-1004444")) is not None


async def test_a_blocked_chat_counts_as_gone(bot: TelegramAdapter, api: FakeTelegramAPI, app: App,
                                             clock: FixedClock) -> None:
    await subs.save(app.store, Target("telegram", str(USER)), "owner", "en", clock.now.hour * 60, "UTC", None,
                    clock.now.replace(minute=0))
    api.forbidden("sendMessage", chat_id=USER)
    report = await app.daily.tick()
    assert report.gone == 1
    sub = await subs.find(app.store, Target("telegram", str(USER)))
    assert sub is not None and sub.failures == 1 and "blocked" in sub.reason


async def test_a_timed_out_send_is_not_posted_twice(app: App, api: FakeTelegramAPI, clock: FixedClock) -> None:
    """A read timeout after sendMessage went out: Telegram may have posted it (here it did); the scheduler
    records the day as uncertain and never sends it again, on that tick or a later one."""
    async with running_adapter(app, api, replace(FAST, read_timeout=0.5)):
        app.daily.retry_delays = (0.0, 0.0, 0.0)
        app.daily.rates = {}
        await subs.save(app.store, Target("telegram", str(USER)), "owner", "en", clock.now.hour * 60, "UTC", None,
                        clock.now.replace(minute=0))
        api.slow("sendMessage", 1.5)
        report = await app.daily.tick()
        assert report.failed == 1 and report.sent == 0
        await api.wait_sent(1, USER)  # the slow call was posted after all
        for minutes in (1, 5, 30, 120):
            clock.now += timedelta(minutes=minutes)
            await app.daily.tick()
        assert len([c for c in api.calls if c.method == "sendMessage"]) == 1
        assert len(quotes(api, USER)) == 1
    rows = await app.store.read("SELECT status, detail FROM daily_deliveries")
    assert [row[0] for row in rows] == ["uncertain"] and "posted" in rows[0][1]


async def test_a_5xx_then_success_is_delivered_once(bot: TelegramAdapter, api: FakeTelegramAPI, app: App,
                                                    clock: FixedClock) -> None:
    await subs.save(app.store, Target("telegram", str(USER)), "owner", "en", clock.now.hour * 60, "UTC", None,
                    clock.now.replace(minute=0))
    api.bad_gateway("sendMessage", times=20)  # more than a tick's tries: the claim is released, retried later
    app.daily.rates = {}
    report = await app.daily.tick()
    assert report.retrying == 1
    for _ in range(10):
        clock.now += timedelta(minutes=20)
        for _ in range(200):  # a 5xx marks the link down until the next good answer (a poll)
            if bot.is_connected():
                break
            await asyncio.sleep(0.05)
        report = await app.daily.tick()
        if report.sent:
            break
    assert len(quotes(api, USER)) == 1
    rows = await app.store.read("SELECT status FROM daily_deliveries")
    assert rows == [("sent",)]


async def test_run_bot_stops_the_scheduler_before_the_adapters(settings: Settings,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    from bot import runtime
    from bot.daily.scheduler import DailyScheduler

    order: list[str] = []
    started = asyncio.Event()

    class Recording:
        platform = "telegram"

        async def start(self) -> None:
            started.set()

        async def stop(self) -> None:
            order.append("adapter")

        async def send(self, target: Target, reply: Reply) -> None:
            raise AssertionError("nothing is due")

        def is_connected(self) -> bool:
            return True

    stop_scheduler = DailyScheduler.stop

    async def recording_stop(self: DailyScheduler) -> None:
        order.append("scheduler")
        await stop_scheduler(self)

    monkeypatch.setattr(runtime, "platform_adapters", lambda settings, app: [Recording()])
    monkeypatch.setattr(DailyScheduler, "stop", recording_stop)
    running = asyncio.create_task(runtime.run_bot(replace(settings, console=False)))
    await asyncio.wait_for(started.wait(), 30)
    await asyncio.sleep(0.2)
    signal.raise_signal(signal.SIGTERM)
    assert await asyncio.wait_for(running, 30) == 0
    assert order[:2] == ["scheduler", "adapter"]  # claims are settled while the adapters can still send


# ----- Discord ------------------------------------------------------------------------------------------

CHANNEL = GUILD_ADMIN.channel_id


@pytest.fixture
async def discord_bot(app: App, fake: FakeDiscord) -> AsyncIterator[None]:
    async with discord_api.running_adapter(fake, app) as adapter:
        app.register(adapter)
        app.daily.retry_delays = (0.0, 0.0, 0.0)
        yield


async def answer_of(fake: FakeDiscord, interaction: Interaction) -> str:
    """The text of an interaction's finished answer."""
    def done() -> list[Json] | None:
        found = [m for m in fake.replies(interaction) if not m["flags"] & 128 and (m["embeds"] or m["content"])]
        return found or None

    messages = await fake.wait_for(done)
    assert messages is not None
    return discord_api.text_of(messages)


async def test_discord_slash_daily_delivers_to_the_channel(discord_bot: None, fake: FakeDiscord, app: App,
                                                           clock: FixedClock) -> None:
    text = await answer_of(fake, await fake.slash(
        "daily", {"time": f"{clock.now:%H:%M}", "timezone": "utc"}, GUILD_ADMIN))
    assert "Daily quote set" in text
    assert (await app.daily.tick()).sent == 1
    [message] = fake.channel_messages(CHANNEL)
    assert "Quote of the day" in discord_api.text_of([message])
    for payload in fake.message_payloads():
        assert_valid_message(payload)
    assert (await app.daily.tick()).sent == 0


async def test_discord_members_without_manage_rights_are_refused(discord_bot: None, fake: FakeDiscord,
                                                                 app: App) -> None:
    text = await answer_of(fake, await fake.slash("daily", {"time": "08:00"}, GUILD_MEMBER))
    assert "Only admins" in text
    assert await subs.every(app.store) == []


async def test_a_deleted_discord_channel_counts_as_gone(discord_bot: None, fake: FakeDiscord, app: App,
                                                        clock: FixedClock) -> None:
    await subs.save(app.store, Target("discord", CHANNEL), "owner", "en", clock.now.hour * 60, "UTC", None,
                    clock.now.replace(minute=0))
    fake.fail("POST", rf"/channels/{CHANNEL}/messages", 404, code=10003, message="Unknown Channel")
    assert (await app.daily.tick()).gone == 1
    sub = await subs.find(app.store, Target("discord", CHANNEL))
    assert sub is not None and sub.failures == 1 and "Unknown Channel" in sub.reason


# ----- a real process, killed and restarted ------------------------------------------------------------


async def start_bot(api: FakeTelegramAPI, tmp_path: Path, log: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DISCORD_"))}
    env.update({
        "BOT_DATABASE": str(tmp_path / "data" / "bot.sqlite3"),
        "BOT_INDEX_DIR": str(tmp_path / "index"),
        "BOT_LANGUAGE": "en",
        "BOT_CONSOLE": "0",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": api.base_url,
    })
    with log.open("ab") as sink:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=REPO, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=sink, stderr=sink)


def tail(log: Path) -> str:
    """The end of the bot's log, for a failure message."""
    return log.read_text()[-3000:] if log.exists() else ""


async def polling(api: FakeTelegramAPI, process: asyncio.subprocess.Process, log: Path) -> None:
    """Wait until the process polls for updates (its adapters have started; the long poll is still open)."""
    def polls() -> int:
        return sum(c.method == "getUpdates" for c in api.calls)

    before = polls()
    for _ in range(600):
        if polls() > before:
            break
        assert process.returncode is None, tail(log)
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"the bot did not start polling:\n{tail(log)}")


async def kill(process: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        process.kill()  # SIGKILL: no shutdown code runs
    await process.wait()


async def test_killed_and_restarted_the_same_day_sends_nothing_twice(api: FakeTelegramAPI, tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    first = await start_bot(api, tmp_path, log)
    second: asyncio.subprocess.Process | None = None
    try:
        await polling(api, first, log)
        now = datetime.now(UTC)
        if now.second >= 50:  # subscribe for the current minute with room to spare
            await asyncio.sleep(61 - now.second)
            now = datetime.now(UTC)
        api.private_text(f"/daily {now:%H:%M} UTC", user_id=USER)
        await api.wait_for("sendMessage", 2, lambda c: c.ok and c.params["chat_id"] == USER, within=30)
        await asyncio.sleep(1.0)
        [quote] = quotes(api, USER)
        assert_valid_telegram_html(quote.params["text"])
        await kill(first)

        second = await start_bot(api, tmp_path, log)
        await polling(api, second, log)
        before = len(api.sent(USER))
        api.private_text("/daily", user_id=USER)
        [*_, shown] = await api.wait_sent(before + 1, USER, within=30)
        assert "Next: tomorrow" in shown.params["text"] and "Last sent" in shown.params["text"]
        await asyncio.sleep(3.0)  # the restarted scheduler has ticked (it ticks at start)
        assert len(quotes(api, USER)) == 1
        await kill(second)
    finally:
        await kill(first)
        if second is not None:
            await kill(second)
    with sqlite3.connect(tmp_path / "data" / "bot.sqlite3") as db:
        rows = db.execute("SELECT status FROM daily_deliveries").fetchall()
        logged = db.execute("SELECT outcome FROM usage WHERE command = 'daily_send'").fetchall()
    assert rows == [("sent",)]
    assert logged == [("ok",)]
