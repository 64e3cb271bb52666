"""Daily quotes, the /daily command: subscribing, showing the next delivery in local time, permissions and
clear answers to times and zones it cannot read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app import App
from bot.core.types import Reply, Request, Target
from bot.daily import store as subs
from bot.daily.command import Choice, Problem, parse_args
from tests.conftest import FixedClock


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


async def daily(app: App, args: str = "", *, chat_id: str = "100", admin: bool = True, locale: str = "en",
                thread_id: str | None = None, user: str = "u1", platform: str = "telegram") -> Reply:
    return await app.handle(Request(platform, chat_id, user, "daily", args, locale=locale,
                                    chat_kind="private" if chat_id.isdigit() else "group", thread_id=thread_id,
                                    can_manage_chat=admin))


async def test_subscribe_show_and_turn_off(app: App, clock: FixedClock) -> None:
    clock.now = utc(2025, 6, 1, 0, 0)  # 08:00 in Shanghai
    first = await daily(app)
    assert "no daily quote" in first.plain_text.lower() and "/daily 08:30 Asia/Shanghai" in first.plain_text
    set_reply = await daily(app, "8:30 asia/shanghai")
    assert set_reply.outcome == "ok"
    assert "every day at 08:30 (Asia/Shanghai)" in set_reply.plain_text
    assert "Next: today 08:30" in set_reply.plain_text
    sub = await subs.find(app.store, Target("telegram", "100"))
    assert sub is not None and (sub.minute, sub.zone, sub.talk, sub.lang) == (510, "Asia/Shanghai", None, "en")
    assert sub.owner_hash == app.store.hash_id("telegram", "u1")
    clock.now = utc(2025, 6, 1, 1, 0)  # 09:00 in Shanghai: today's is due (not yet sent)
    assert "Next: now (due at 08:30)" in (await daily(app)).plain_text
    clock.now = utc(2025, 6, 1, 7, 0)  # beyond the grace: tomorrow's
    assert "Next: tomorrow 08:30" in (await daily(app)).plain_text
    off = await daily(app, "off")
    assert "turned off" in off.plain_text
    assert "off in this chat" in (await daily(app)).plain_text
    assert "no daily quote in this chat to turn off" in (await daily(app, "off")).plain_text


async def test_next_delivery_after_todays_was_sent(app: App, clock: FixedClock) -> None:
    class Sink:
        platform = "telegram"

        async def start(self) -> None: ...
        async def stop(self) -> None: ...
        async def send(self, target: Target, reply: Reply) -> None: ...
        def is_connected(self) -> bool:
            return True

    app.register(Sink())
    clock.now = utc(2025, 6, 1, 21, 0)  # 14:00 in Los Angeles
    await daily(app, "14:00 America/Los_Angeles")
    assert (await app.daily.tick()).sent == 1
    shown = await daily(app, locale="zh-hans")
    assert "每日金句：每天 14:00（America/Los_Angeles）" in shown.plain_text
    assert "下一次：明天 14:00" in shown.plain_text and "上次发送：2025-06-01" in shown.plain_text


async def test_spring_forward_shows_the_shifted_time(app: App, clock: FixedClock) -> None:
    clock.now = utc(2025, 3, 29, 12, 0)
    reply = await daily(app, "02:30 Europe/Berlin")
    assert "Next: tomorrow 03:00" in reply.plain_text


async def test_only_admins_change_anyone_views(app: App, clock: FixedClock) -> None:
    clock.now = utc(2025, 6, 1, 0, 0)
    denied = await daily(app, "08:30", chat_id="-100123", admin=False)
    assert denied.outcome == "denied" and "Only admins" in denied.plain_text
    assert await subs.find(app.store, Target("telegram", "-100123")) is None
    assert (await daily(app, "08:30", chat_id="-100123")).outcome == "ok"
    viewed = await daily(app, chat_id="-100123", admin=False)
    assert viewed.outcome == "ok" and "08:30" in viewed.plain_text
    assert (await daily(app, "off", chat_id="-100123", admin=False)).outcome == "denied"
    await app.store.flush()
    rows = await app.store.read("SELECT outcome FROM usage WHERE command = 'daily' ORDER BY id")
    assert [r[0] for r in rows] == ["denied", "ok", "ok", "denied"]


async def test_default_zone_and_chinese(app: App, clock: FixedClock) -> None:
    clock.now = utc(2025, 6, 1, 0, 0)
    reply = await daily(app, "9点", locale="zh-CN")
    assert "已设置每日金句：每天 09:00（UTC）" in reply.plain_text and "来自全部演讲" in reply.plain_text
    sub = await subs.find(app.store, Target("telegram", "100"))
    assert sub is not None and sub.lang == "zh" and sub.zone == app.settings.default_timezone


async def test_forum_topics_are_separate(app: App, clock: FixedClock) -> None:
    clock.now = utc(2025, 6, 1, 0, 0)
    await daily(app, "08:00", chat_id="-1001", thread_id="7")
    assert "no daily quote" in (await daily(app, chat_id="-1001", thread_id="8")).plain_text.lower()
    assert "no daily quote" in (await daily(app, chat_id="-1001")).plain_text.lower()
    sub = await subs.find(app.store, Target("telegram", "-1001", "7"))
    assert sub is not None and sub.target == Target("telegram", "-1001", "7")


async def test_a_talk_can_be_chosen(app: App, clock: FixedClock) -> None:
    talk = app.catalog.talks[0]
    clock.now = utc(2025, 6, 1, 0, 0)
    reply = await daily(app, f"08:30 {talk.id.upper()} tokyo")
    assert reply.outcome == "ok" and talk.title in reply.plain_text and "Asia/Tokyo" in reply.plain_text
    sub = await subs.find(app.store, Target("telegram", "100"))
    assert sub is not None and sub.talk == talk.id


@pytest.mark.parametrize(("args", "key"), [
    ("25:00", "daily_bad_time"),
    ("8:75", "daily_bad_time"),
    ("13pm", "daily_bad_time"),
    ("Asia/Shanghai", "daily_need_time"),
    ("tomorrow", "daily_need_time"),
    ("08:30 Mars/Olympus", "daily_bad_zone"),
    ("08:30 UTC+15", "daily_bad_zone"),
    ("08:30 buenos_aires", "daily_ambiguous_zone"),
    ("08:30 Asia/Shanghai banana", "daily_bad_word"),
])
def test_problems_are_named(app: App, args: str, key: str) -> None:
    parsed = parse_args(args, app.catalog)
    assert isinstance(parsed, Problem) and parsed.key == key


@pytest.mark.parametrize(("args", "minute", "zone"), [
    ("8:30", 510, None), ("0830 UTC+8", 510, "UTC+08:00"), ("on 8:30 pm new_york", 1230, "America/New_York"),
    ("８：３０ 北京", 510, "Asia/Shanghai"), ("at 7 Europe/berlin", 420, "Europe/Berlin"),
])
def test_lenient_arguments(app: App, args: str, minute: int, zone: str | None) -> None:
    assert parse_args(args, app.catalog) == Choice(minute, zone, None)


async def test_bad_input_replies_give_an_example(app: App) -> None:
    for args in ("25:00", "08:30 Mars/Olympus", "xyz"):
        reply = await daily(app, args)
        assert reply.outcome == "bad_input" and "/daily 08:30 Asia/Shanghai" in reply.plain_text
    ambiguous = await daily(app, "08:30 buenos_aires")
    assert "America/Argentina/Buenos_Aires" in ambiguous.plain_text
    zh = await daily(app, "25:00", locale="zh")
    assert "无法识别时间“25:00”" in zh.plain_text
    assert await subs.every(app.store) == []


async def test_changing_the_time_after_todays_delivery_waits_for_tomorrow(app: App, clock: FixedClock) -> None:
    sent: list[Target] = []

    class Sink:
        platform = "telegram"

        async def start(self) -> None: ...
        async def stop(self) -> None: ...
        async def send(self, target: Target, reply: Reply) -> None:
            sent.append(target)

        def is_connected(self) -> bool:
            return True

    app.register(Sink())
    clock.now = utc(2025, 6, 1, 7, 0)
    await daily(app, "08:00")
    clock.now = utc(2025, 6, 1, 8, 0)
    await app.daily.tick()
    reply = await daily(app, "09:00")  # a second one today? no: one per chat per local day
    assert "Next: tomorrow 09:00" in reply.plain_text
    clock.now = utc(2025, 6, 1, 9, 0)
    await app.daily.tick()
    assert len(sent) == 1
