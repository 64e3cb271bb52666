"""Daily quotes, operator commands: `daily list` and `daily send-now`."""

from __future__ import annotations

import io
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from bot.app import App
from bot.cli import build_parser
from bot.cli_daily import cmd_daily_list, cmd_daily_send_now, list_subscriptions, mask, send_now
from bot.config import Settings, load_settings
from bot.core.types import Request, Target
from bot.daily import store as subs
from tests.conftest import FixedClock
from tests.fakes.telegram_api import FakeTelegramAPI, assert_valid_telegram_html


def test_the_commands_are_on_the_command_line() -> None:
    parser = build_parser()
    assert parser.parse_args(["daily", "list"]).fn is cmd_daily_list
    args = parser.parse_args(["daily", "send-now", "--force"])
    assert args.fn is cmd_daily_send_now and args.force


def test_chat_ids_are_masked() -> None:
    assert mask("-1001234564321") == "…4321"
    assert mask("123456789") == "…6789"
    assert mask("12345678") == "…5678"
    assert mask("1234567") == "…567"
    assert mask("123456") == "…456"
    assert mask("4321") == "…21"
    assert mask("7") == "…"
    for chat_id in ("12345678", "-1001234564321", "998877665544332211", "123456"):
        shown = mask(chat_id).removeprefix("…")
        assert len(shown) <= 4 and len(shown) * 2 <= len(chat_id)


async def test_list_shows_every_subscription(app: App, settings: Settings, clock: FixedClock) -> None:
    clock.now = datetime(2025, 6, 1, 7, 0, tzinfo=UTC)
    await app.handle(Request("telegram", "-1001234564321", "u1", "daily", "08:30 Asia/Shanghai", thread_id="7",
                             can_manage_chat=True))
    await app.handle(Request("discord", "998877665544332211", "u2", "daily", "21:00 America/Los_Angeles",
                             can_manage_chat=True))
    await app.handle(Request("discord", "998877665544332211", "u2", "daily", "off", can_manage_chat=True))
    out = io.StringIO()
    assert await list_subscriptions(settings, out) == 0
    text = out.getvalue()
    assert "…4321" in text and "-100" not in text and "…2211" in text and "9988" not in text
    assert "08:30" in text and "Asia/Shanghai" in text and "21:00" in text and "America/Los_Angeles" in text
    assert "never" in text and "2 subscription(s): 1 active, 1 off, 0 disabled" in text
    lines = text.splitlines()
    assert lines[0].split()[:2] == ["platform", "chat"]


async def test_list_without_a_database(tmp_path: Path) -> None:
    out = io.StringIO()
    settings = load_settings({"BOT_DATABASE": str(tmp_path / "none.sqlite3")})
    assert await list_subscriptions(settings, out) == 0
    assert "no daily subscriptions" in out.getvalue()
    assert not (tmp_path / "none.sqlite3").exists()


async def test_send_now_needs_a_platform(settings: Settings) -> None:
    out = io.StringIO()
    assert await send_now(settings, out) == 1
    assert "no platform token is configured" in out.getvalue()


async def test_send_now_through_the_telegram_adapter(settings: Settings) -> None:
    async with FakeTelegramAPI() as api:
        configured = replace(settings, telegram=api.settings())
        app = await App.create(configured)
        now = datetime.now(UTC)
        later = (now.hour * 60 + now.minute + 120) % 1440  # not due for two hours
        await subs.save(app.store, Target("telegram", "4242"), "owner", "en", later, "UTC", None, now)
        await subs.save(app.store, Target("telegram", "-1005550001", "12"), "owner", "zh", later, "UTC", None, now)
        await app.close()
        out = io.StringIO()
        assert await send_now(configured, out) == 0, out.getvalue()
        assert "sent: 2" in out.getvalue()
        sent = {c.params["chat_id"]: c for c in api.sent()}
        assert set(sent) == {4242, -1005550001}
        assert sent[-1005550001].params["message_thread_id"] == 12
        for call in sent.values():
            assert_valid_telegram_html(call.params["text"])
            assert "<blockquote>" in call.params["text"]
        assert "每日金句" in sent[-1005550001].params["text"]
        again = io.StringIO()
        assert await send_now(configured, again) == 0
        assert "sent: 0" in again.getvalue() and len(api.sent()) == 2


async def test_send_now_refuses_while_the_bot_runs(settings: Settings) -> None:
    async with FakeTelegramAPI() as api:
        configured = replace(settings, telegram=api.settings())
        app = await App.create(configured)
        await app.beat()
        await app.close()
        async with aiosqlite.connect(configured.database) as db:
            rows = list(await (await db.execute("SELECT ts FROM heartbeat WHERE component LIKE 'core%'")).fetchall())
        assert rows and time.time() - rows[0][0] < 5
        out = io.StringIO()
        assert await send_now(configured, out) == 1
        assert "seems to be running" in out.getvalue()
        assert api.calls_to("getMe") == []
