"""Owners on Telegram, end to end: 👍/👎 under answers, stats --json, the HTML report and /report, with PTB
against the fake Bot API and the real core."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.config import Settings, load_settings
from bot.core.i18n import t
from bot.report.cli import cmd_report, cmd_stats
from tests.fakes.telegram_api import Call, FakeTelegramAPI, running_adapter

OWNER, OTHER, THIRD = 111, 222, 333
GROUP = -1001234567890


@pytest.fixture
def owner_settings(tmp_path: Path) -> Settings:
    return load_settings({
        "BOT_DATABASE": str(tmp_path / "data" / "bot.sqlite3"), "BOT_INDEX_DIR": str(tmp_path / "index"),
        "BOT_LANGUAGE": "en", "BOT_HASH_SALT": "test-salt-0123456789", "BOT_OWNER_IDS": f"telegram:{OWNER}",
    })


@pytest.fixture
async def core(owner_settings: Settings) -> AsyncIterator[App]:
    app = await App.create(owner_settings)
    yield app
    await app.close()


def buttons(call: Call) -> dict[str, str]:
    """Label → callback data of a sent message's callback buttons."""
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return {b["text"]: b["callback_data"] for row in markup["inline_keyboard"] for b in row if "callback_data" in b}


async def press(api: FakeTelegramAPI, data: str, message: dict[str, Any], user: int) -> str | None:
    """Press a button and return the toast it was answered with."""
    before = len(api.calls_to("answerCallbackQuery"))
    api.press(data, message, user_id=user)
    answered = await api.wait_for("answerCallbackQuery", before + 1)
    text = answered[-1].params.get("text")
    return str(text) if text is not None else None


def votes(settings: Settings) -> list[tuple[Any, ...]]:
    import sqlite3

    with sqlite3.connect(settings.database) as db:
        return db.execute("SELECT answer_key, user_hash, vote FROM feedback_votes ORDER BY ts").fetchall()


async def cli(fn: Any, settings: Settings, **args: Any) -> str:
    out = io.StringIO()
    assert await asyncio.to_thread(fn, settings, argparse.Namespace(**args), out) == 0
    return out.getvalue()


async def test_votes_change_survive_a_restart_and_reach_stats_and_the_report(
    api: FakeTelegramAPI, owner_settings: Settings, tmp_path: Path
) -> None:
    app = await App.create(owner_settings)
    async with running_adapter(app, api):
        api.private_text("/ask why will pre-training end?", user_id=OTHER)
        (answer,) = await api.wait_sent(1, OTHER)
        found = buttons(answer)
        assert {"👍", "👎"} <= set(found) and found["👎"].startswith("feedback:down ")
        assert len(found["👎"].encode()) <= 64
        sent_before = len(api.sent())
        assert await press(api, found["👎"], answer.result, OTHER) == "Thanks — noted 👎."
        assert await press(api, found["👎"], answer.result, OTHER) == "Already noted 👎."
        assert len(api.sent()) == sent_before  # a toast, never a message in the chat
        assert [v[2] for v in votes(owner_settings)] == [-1]
        api.private_text("/ask zzqx flibbertigibbet", user_id=OTHER)
        await api.wait_sent(2, OTHER)
    await app.close()

    restarted = await App.create(owner_settings)  # buttons posted before the restart still work
    try:
        async with running_adapter(restarted, api):
            assert await press(api, found["👍"], answer.result, OTHER) == "Changed to 👍."
            assert await press(api, found["👎"], answer.result, THIRD) == "Thanks — noted 👎."
            assert await press(api, found["👍"], answer.result, OTHER) == "Already noted 👍."
    finally:
        await restarted.close()
    rows = votes(owner_settings)
    assert len(rows) == 2 and {r[2] for r in rows} == {1, -1} and len({r[0] for r in rows}) == 1
    assert all(str(OTHER) not in r[1] and str(THIRD) not in r[1] for r in rows)  # hashed ids only

    figures = json.loads(await cli(cmd_stats, owner_settings, days=14, json=True))
    assert figures["feedback"] == {"up": 1, "down": 1}
    assert figures["down_voted"][0]["query"] == "why will pre-training end?"
    text = await cli(cmd_stats, owner_settings, days=14, json=False)
    assert "👍 1  👎 1" in text and "why will pre-training end?" in text

    out = tmp_path / "r.html"
    said = await cli(cmd_report, owner_settings, days=None, talk=None, out=str(out))
    assert "report written to" in said
    page = out.read_text()
    down_section = page.split('data-chart="down-voted"')[1].split("<h2>")[0]
    assert "why will pre-training end?" in down_section
    unanswered = page.split('data-chart="unanswered"')[1].split("<h2>")[0]
    assert "zzqx flibbertigibbet" in unanswered


async def test_a_stale_or_forged_vote_is_refused(api: FakeTelegramAPI, core: App, owner_settings: Settings) -> None:
    async with running_adapter(core, api):
        message = api.group_text("old message", chat_id=GROUP)
        assert await press(api, "feedback:down 0123456789abcdef", message, OTHER) == t("en", "stale_button")
        assert await press(api, "feedback:sideways 0123456789abcdef", message, OTHER) == t("en", "stale_button")
    assert votes(owner_settings) == []


async def test_report_for_an_owner_in_private_is_a_document(api: FakeTelegramAPI, core: App) -> None:
    async with running_adapter(core, api):
        api.private_text("/ask why will pre-training end?", user_id=OTHER)
        await api.wait_sent(1, OTHER)
        api.private_text("/report 7", user_id=OWNER)
        (document,) = await api.wait_for("sendDocument")
        assert document.params["chat_id"] == OWNER
        upload = document.params["document"]
        assert upload["filename"].endswith(".html") and b"<svg" in upload["content"]
        assert b"<script" not in upload["content"]
        (summary,) = api.sent(OWNER)
        assert "last 7 days" in summary.params["text"]


@pytest.mark.parametrize("where", ["private", "group"])
async def test_report_for_anyone_else_is_an_unknown_command(api: FakeTelegramAPI, core: App, where: str) -> None:
    async with running_adapter(core, api):
        if where == "private":
            api.private_text("/report", user_id=OTHER)
            api.private_text("/frobnicate", user_id=OTHER)
            sent = await api.wait_sent(2, OTHER)
        else:  # the owner, but in a group
            api.group_text(f"/report@{api.username}", chat_id=GROUP, user_id=OWNER)
            api.group_text(f"/frobnicate@{api.username}", chat_id=GROUP, user_id=OWNER)
            sent = await api.wait_sent(2, GROUP)
        report, unknown = (c.params["text"] for c in sent)
        assert report.replace("/report", "/X") == unknown.replace("/frobnicate", "/X")
        assert not api.calls_to("sendDocument")
        menu = [c["command"] for c in api.calls_to("setMyCommands")[0].params["commands"]]
        assert "report" not in menu and "feedback" not in menu
