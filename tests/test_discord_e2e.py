"""End to end: discord.py against the fake Discord, with the real core answering every command."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.discord import DiscordAdapter
from bot.app import App
from tests.fakes.discord_api import (
    DIRECT,
    EPHEMERAL,
    GUILD_ADMIN,
    FakeDiscord,
    Interaction,
    Json,
    Where,
    assert_valid_message,
    custom_ids,
    discord_settings,
    running_adapter,
    text_of,
)

ZH = Where(locale="zh-CN")


@pytest.fixture
def core(app: App) -> App:
    """The real core (conftest's `app`); `return ScriptedCore(...)` from the fake module works too."""
    return app


@pytest.fixture
async def adapter(fake: FakeDiscord, core: App) -> AsyncIterator[DiscordAdapter]:
    """Started the way the CLI does it: built, registered with the core, started; stopped afterwards."""
    adapter = DiscordAdapter(core, discord_settings(fake), start_timeout=10)
    core.register(adapter)
    await adapter.start()
    yield adapter
    await adapter.stop()


async def reply_to(fake: FakeDiscord, interaction: Interaction) -> list[Json]:
    """The interaction's finished messages once they stop changing (the core answers in one message or more)."""
    def finished() -> list[Json] | None:
        messages = [m for m in fake.replies(interaction) if not m["flags"] & 128 and (m["embeds"] or m["content"])]
        return messages or None
    messages = await fake.wait_for(finished)
    for payload in fake.message_payloads():
        assert_valid_message(payload)
    return messages


@pytest.mark.parametrize(("name", "options", "expect"), [
    ("ask", {"question": "Why will pre-training end?"}, "¶"),
    ("ask", {"question": "为什么预训练会结束？"}, "¶"),
    ("quote", {}, "¶"),
    ("quote", {"keywords": "fossil fuel"}, "¶"),
    ("summary", {}, "Key points"),
    ("help", {}, "/ask"),
    ("about", {}, "Ilya"),
    ("stats", {}, ""),
    ("daily", {}, "daily"),
])
async def test_every_command_is_answered_by_the_real_core(
    fake: FakeDiscord, adapter: DiscordAdapter, name: str, options: dict[str, str], expect: str
) -> None:
    messages = await reply_to(fake, await fake.slash(name, options))
    assert expect in text_of(messages)


async def test_commands_come_from_the_core_with_chinese_descriptions(fake: FakeDiscord, adapter: DiscordAdapter,
                                                                     core: App) -> None:
    registered = {c["name"]: c for c in fake.commands[None]}
    offered = {info.name for info in core.commands()}
    assert set(registered) == offered & {"ask", "quote", "summary", "daily", "help", "about", "stats"}
    assert {"ask", "quote", "summary", "help", "about", "stats"} <= set(registered)
    assert registered["ask"]["description_localizations"]["zh-CN"] == "查找回答问题的演讲原文"


async def test_chinese_users_get_chinese_answers_in_servers_and_dms(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    assert "命令" in text_of(await reply_to(fake, await fake.slash("help", {}, ZH)))
    dm = Where(guild_id=None, channel_id=DIRECT.channel_id, dm=True, locale="zh-TW")
    assert "¶" in text_of(await reply_to(fake, await fake.slash("quote", {}, dm)))


async def test_autocomplete_offers_passages_and_choosing_one_answers_with_it(
    fake: FakeDiscord, adapter: DiscordAdapter, core: App
) -> None:
    typed = await fake.autocomplete("ask", "question", "pre-training")
    await fake.wait_for(lambda: typed.callbacks)
    choices = fake.callbacks(typed)[0].json["data"]["choices"]
    assert 1 <= len(choices) <= 25
    assert all(1 <= len(c["name"]) <= 100 and 1 <= len(c["value"]) <= 100 for c in choices)
    chosen = choices[0]["value"]
    passage = core.catalog.passage(chosen.removeprefix("¶"))
    assert passage is not None

    [message] = await reply_to(fake, await fake.slash("ask", {"question": chosen}))
    [embed] = message["embeds"]
    assert embed["description"].split()[:8] == passage.text.split()[:8]
    assert embed["url"].startswith("https://") and embed["footer"]["text"].startswith("— ")


async def test_empty_autocomplete_offers_todays_picks(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    typed = await fake.autocomplete("quote", "keywords", "")
    await fake.wait_for(lambda: typed.callbacks)
    assert fake.callbacks(typed)[0].json["data"]["choices"]


async def test_context_and_more_buttons_answer_the_clicker(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    [message] = await reply_to(fake, await fake.slash("ask", {"question": "pre-training"}))
    ids = custom_ids(message)
    links = [b for row in message["components"] for b in row["components"] if b["style"] == 5]
    assert links and links[0]["url"].startswith("https://")
    [context] = [i for i in ids if i.startswith("tb:context:")]
    clicked = await reply_to(fake, await fake.click(message, context, DIRECT))
    assert "In context" in text_of(clicked)
    [more] = [i for i in ids if i.startswith("tb:more:")]
    assert more.endswith(" 3")
    page = await reply_to(fake, await fake.click(message, more))
    assert "¶" in text_of(page) and text_of(page) != text_of([message])


@pytest.mark.parametrize("custom_id", ["tb:more:0000000000000000 3", "tb:context:no-such-talk/1"])
async def test_a_stale_button_is_answered_politely_by_the_core(
    fake: FakeDiscord, adapter: DiscordAdapter, custom_id: str
) -> None:
    [notice] = await reply_to(fake, await fake.click(fake.old_message("100000000000000001", custom_id), custom_id))
    assert notice["flags"] & EPHEMERAL and "expired" in text_of([notice])


async def test_buttons_keep_working_after_a_restart(fake: FakeDiscord, core: App) -> None:
    async with running_adapter(fake, core):
        [message] = await reply_to(fake, await fake.slash("ask", {"question": "Why will pre-training end?"}))
    assert fake.connected() is None  # the first process is gone
    async with running_adapter(fake, core):
        [context] = [i for i in custom_ids(message) if i.startswith("tb:context:")]
        clicked = await reply_to(fake, await fake.click(message, context))
    assert "In context" in text_of(clicked)
    assert len(fake.identifies) == 2


async def test_daily_subscribe_broadcast_click_and_gone_channel(
    fake: FakeDiscord, adapter: DiscordAdapter, core: App
) -> None:
    denied = await reply_to(fake, await fake.slash("daily", {"time": "08:00", "timezone": "Asia/Shanghai"}))
    assert "Only admins" in text_of(denied)
    subscribed = await reply_to(fake, await fake.slash("daily", {"time": "08:00", "timezone": "Asia/Shanghai"},
                                                       GUILD_ADMIN))
    assert "Daily quote set" in text_of(subscribed) and "Asia/Shanghai" in text_of(subscribed)
    elsewhere = Where(user_id=GUILD_ADMIN.user_id, channel_id="100000000000000002", permissions=GUILD_ADMIN.permissions)
    await reply_to(fake, await fake.slash("daily", {"time": "09:00"}, elsewhere))

    fake.fail("POST", rf"/channels/{elsewhere.channel_id}/messages", 403, code=50001, message="Missing Access")
    report = await core.daily.send_now()
    assert (report.sent, report.gone) == (1, 1)
    [broadcast] = fake.channel_messages(GUILD_ADMIN.channel_id)
    assert_valid_message(fake.find("POST", rf"/channels/{GUILD_ADMIN.channel_id}/messages$")[0].json)
    assert broadcast["embeds"][0]["footer"]["text"].startswith("— ")

    [context] = [i for i in custom_ids(broadcast) if i.startswith("tb:context:")]
    assert "In context" in text_of(await reply_to(fake, await fake.click(broadcast, context)))
    off = await reply_to(fake, await fake.slash("daily", {"time": "off"}, GUILD_ADMIN))
    assert "turned off" in text_of(off)
