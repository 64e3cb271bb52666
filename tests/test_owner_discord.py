"""Owners on Discord: 👍/👎 buttons acknowledged ephemerally, votes across a restart, /report in DMs."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.config import Settings, load_settings
from tests.fakes.discord_api import (
    DIRECT,
    EPHEMERAL,
    FakeDiscord,
    Interaction,
    Json,
    Where,
    custom_ids,
    running_adapter,
    text_of,
)

OWNER = DIRECT.user_id
STRANGER = Where(user_id="300000000000000007", guild_id=None, channel_id="100000000000000008", dm=True)
MEMBER = Where(user_id="300000000000000008")


@pytest.fixture
def owner_settings(tmp_path: Path) -> Settings:
    return load_settings({
        "BOT_DATABASE": str(tmp_path / "data" / "bot.sqlite3"), "BOT_INDEX_DIR": str(tmp_path / "index"),
        "BOT_LANGUAGE": "en", "BOT_HASH_SALT": "test-salt-0123456789", "BOT_OWNER_IDS": f"discord:{OWNER}",
    })


@pytest.fixture
async def core(owner_settings: Settings) -> AsyncIterator[App]:
    app = await App.create(owner_settings)
    yield app
    await app.close()


OWNERS = {"owner_ids": frozenset({OWNER})}


async def answered(fake: FakeDiscord, interaction: Interaction) -> list[Json]:
    """The interaction's visible, finished messages."""
    def done() -> list[Json] | None:
        found = [m for m in fake.replies(interaction) if not m["flags"] & 128
                 and (m["embeds"] or m["content"] or m["attachments"])]
        return found or None
    return await fake.wait_for(done)


def votes(settings: Settings) -> list[tuple[Any, ...]]:
    with sqlite3.connect(settings.database) as db:
        return db.execute("SELECT user_hash, vote FROM feedback_votes ORDER BY ts").fetchall()


async def test_votes_are_acknowledged_ephemerally_and_survive_a_restart(
    fake: FakeDiscord, owner_settings: Settings
) -> None:
    app = await App.create(owner_settings)
    async with running_adapter(fake, app, OWNERS):
        [message] = await answered(fake, await fake.slash("ask", {"question": "Why will pre-training end?"}, MEMBER))
        ids = custom_ids(message)
        [up] = [i for i in ids if i.startswith("tb:feedback:up ")]
        [down] = [i for i in ids if i.startswith("tb:feedback:down ")]
        [ack] = await answered(fake, await fake.click(message, down, MEMBER))
        assert ack["flags"] & EPHEMERAL and "noted 👎" in text_of([ack])
        [again] = await answered(fake, await fake.click(message, down, MEMBER))
        assert "Already noted" in text_of([again])
        assert [v[1] for v in votes(owner_settings)] == [-1]
    await app.close()
    restarted = await App.create(owner_settings)
    try:
        async with running_adapter(fake, restarted, OWNERS):
            [changed] = await answered(fake, await fake.click(message, up, MEMBER))
            assert changed["flags"] & EPHEMERAL and "Changed to 👍" in text_of([changed])
    finally:
        await restarted.close()
    assert [v[1] for v in votes(owner_settings)] == [1]
    assert all(MEMBER.user_id not in v[0] for v in votes(owner_settings))


async def test_report_is_registered_for_dms_and_sent_to_the_owner_as_a_file(fake: FakeDiscord, core: App) -> None:
    async with running_adapter(fake, core, OWNERS):
        registered = {c["name"]: c for c in fake.commands[None]}
        assert registered["report"]["contexts"] == [1]  # the bot's DMs only
        await answered(fake, await fake.slash("ask", {"question": "pre-training"}, MEMBER))
        [message] = await answered(fake, await fake.slash("report", {"days": "7"}, DIRECT))
        [attachment] = message["attachments"]
        assert attachment["filename"].endswith(".html") and attachment["size"] > 1000
        assert "last 7 days" in text_of([message])


@pytest.mark.parametrize("where", [STRANGER, MEMBER])
async def test_report_from_anyone_else_is_the_unknown_command_answer(
    fake: FakeDiscord, core: App, where: Where
) -> None:
    async with running_adapter(fake, core, OWNERS):
        [message] = await answered(fake, await fake.slash("report", {}, where))
        assert not message["attachments"]
        assert "don't know the command /report" in text_of([message])


async def test_without_a_discord_owner_there_is_no_report_command(fake: FakeDiscord, core: App) -> None:
    async with running_adapter(fake, core):
        assert "report" not in {c["name"] for c in fake.commands[None]}
        assert "feedback" not in {c["name"] for c in fake.commands[None]}
