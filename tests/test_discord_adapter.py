"""The Discord adapter against the fake Discord, with a scripted core: protocol, limits, faults, lifecycle."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
from aiohttp.client_reqrep import ConnectionKey
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord import DiscordAdapter, DiscordStartError
from bot.core.types import Block, Button, Citation, DeliveryError, DeliveryFailure, Reply, Request, Suggestion, Target
from tests.fakes.discord_api import (
    ADMINISTRATOR,
    DIRECT,
    EPHEMERAL,
    GUILD_ADMIN,
    GUILD_MEMBER,
    MANAGE_CHANNELS,
    SEND_MESSAGES,
    TOKEN,
    FakeDiscord,
    Interaction,
    Json,
    ScriptedCore,
    Where,
    assert_valid_message,
    custom_ids,
    discord_settings,
    running_adapter,
    text_of,
)

CITE = Citation("ilya-neurips-2024", "Sequence to sequence learning, ten years on", "Talk", 7, "Ilya Sutskever",
                "https://www.youtube.com/watch?v=WQQdd6qGxNs")
PASSAGE = Reply((Block("passage", "Pre-training as we know it will unquestionably end.", CITE),),
                (Button("More", "more", "0123456789abcdef 3"), Button("Context", "context", "ilya-neurips-2024/7"),
                 Button("Source", url=CITE.url)), result_count=1)
CHANNEL = "100000000000000001"
KEY = ConnectionKey("discord.com", 443, True, True, None, None, None)  # host, port, TLS, no proxy


@pytest.fixture
def core() -> ScriptedCore:
    return ScriptedCore(PASSAGE)


@pytest.fixture
async def adapter(fake: FakeDiscord, core: ScriptedCore) -> AsyncIterator[DiscordAdapter]:
    async with running_adapter(fake, core, answer_window=0.3) as running:
        yield running


async def answered(fake: FakeDiscord, interaction: Interaction, count: int = 1) -> list[Json]:
    """Wait until the interaction shows `count` finished messages, and return them."""
    def done() -> list[Json] | None:
        messages = fake.replies(interaction)
        finished = [m for m in messages if not m["flags"] & 128 and (m["embeds"] or m["content"])]
        return finished if len(finished) >= count else None
    return await fake.wait_for(done)


def sent_messages(fake: FakeDiscord) -> list[Json]:
    """Every message body the adapter sent, each checked against Discord's limits."""
    payloads = fake.message_payloads()
    for payload in payloads:
        assert_valid_message(payload)
    return payloads


# connecting


async def test_start_logs_in_identifies_and_syncs_through_the_overridden_endpoints(
    fake: FakeDiscord, core: ScriptedCore
) -> None:
    default_base, default_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    adapter = DiscordAdapter(core, discord_settings(fake), start_timeout=10)
    assert not adapter.is_connected()
    await adapter.start()
    try:
        assert adapter.is_connected()
        assert fake.connections == ["/gateway"]
        [identify] = fake.identifies
        assert identify["intents"] == 0  # no privileged intents, no intents at all
        assert [r.path for r in fake.requests[:2]] == ["/users/@me", "/oauth2/applications/@me"]
        assert fake.find("PUT", rf"^/applications/{fake.application_id}/commands$")
    finally:
        await adapter.stop()
    assert not adapter.is_connected()
    assert (default_base, default_gateway) == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)


async def test_commands_are_registered_with_options_localisations_and_install_contexts(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    commands = {c["name"]: c for c in fake.commands[None]}
    assert set(commands) == {"ask", "quote", "summary", "daily", "help", "about", "stats"}
    for command in commands.values():
        assert 1 <= len(command["description"]) <= 100
        assert command["description_localizations"]["zh-CN"] == f"{command['name']} 的帮助"
        assert command["description_localizations"]["zh-TW"] == f"{command['name']} 的幫助"
        assert command["contexts"] == [0, 1, 2] and command["integration_types"] == [0, 1]
        for option in command["options"]:
            assert option["type"] == 3 and 1 <= len(option["description"]) <= 100
            assert set(option["description_localizations"]) == {"zh-CN", "zh-TW"}
    options = {name: {o["name"]: o for o in c["options"]} for name, c in commands.items()}
    assert options["ask"]["question"]["required"] and options["ask"]["question"]["autocomplete"]
    assert not options["quote"]["keywords"].get("required") and options["quote"]["keywords"]["autocomplete"]
    assert list(options["daily"]) == ["time", "timezone", "talk"]
    assert options["daily"]["timezone"]["autocomplete"]
    assert options["help"] == options["about"] == options["stats"] == {}


async def test_a_guild_id_syncs_the_commands_to_that_server_only(fake: FakeDiscord, core: ScriptedCore) -> None:
    async with running_adapter(fake, core, {"guild_id": 424242}):
        assert [c["name"] for c in fake.commands["424242"]][:1] == ["ask"]
        assert None not in fake.commands


async def test_sharded_deployments_identify_their_own_shards(fake: FakeDiscord, core: ScriptedCore) -> None:
    async with running_adapter(fake, core, {"shard_count": 2, "shard_ids": (1,)}) as adapter:
        assert [i["shard"] for i in fake.identifies] == [[1, 2]]
        assert adapter.is_connected()
        await answered(fake, await fake.slash("about", shard_id=1))


async def test_a_rejected_token_fails_start_clearly_without_showing_it(fake: FakeDiscord, core: ScriptedCore) -> None:
    wrong = TOKEN[:-4] + "XXXX"
    adapter = DiscordAdapter(core, discord_settings(fake, token=wrong), start_timeout=5)
    with pytest.raises(DiscordStartError, match="401") as caught:
        await adapter.start()
    assert wrong not in str(caught.value) and not adapter.is_connected()
    assert Route.BASE == "https://discord.com/api/v10"


async def test_an_unreachable_gateway_fails_start_within_its_timeout(fake: FakeDiscord, core: ScriptedCore) -> None:
    settings = discord_settings(fake, gateway_url="ws://127.0.0.1:9/gateway")
    adapter = DiscordAdapter(core, settings, start_timeout=1.0)
    started = time.monotonic()
    with pytest.raises(DiscordStartError, match=r"gateway at ws://127\.0\.0\.1:9/gateway"):
        await adapter.start()
    assert time.monotonic() - started < 5 and not adapter.is_connected()


async def test_refused_commands_fail_start_but_a_server_error_only_warns(
    fake: FakeDiscord, core: ScriptedCore, caplog: pytest.LogCaptureFixture
) -> None:
    commands = rf"/applications/{fake.application_id}/commands"
    fake.fail("PUT", commands, 400, code=50035, message="Invalid Form Body")
    with pytest.raises(DiscordStartError, match="refused the slash commands"):
        await DiscordAdapter(core, discord_settings(fake), start_timeout=5).start()
    fake.fail("PUT", commands, 503, message="Service Unavailable")
    async with running_adapter(fake, core) as adapter:
        assert adapter.is_connected()
    assert "could not sync slash commands" in caplog.text


# requests


@pytest.mark.parametrize(("where", "kind", "manage"), [
    (GUILD_MEMBER, "group", False),
    (GUILD_ADMIN, "group", True),
    (Where(permissions=SEND_MESSAGES | MANAGE_CHANNELS), "group", True),
    (Where(permissions=SEND_MESSAGES | ADMINISTRATOR), "group", True),
    (DIRECT, "private", True),
    (Where(guild_id=None, channel_id="100000000000000010"), "group", False),  # a group DM (user install)
])
async def test_requests_say_who_where_and_whether_they_may_manage_the_chat(
    fake: FakeDiscord, core: ScriptedCore, adapter: DiscordAdapter, where: Where, kind: str, manage: bool
) -> None:
    interaction = await fake.slash("ask", {"question": "what ends?"}, where)
    await answered(fake, interaction)
    assert core.requests == [Request(
        platform="discord", chat_id=where.channel_id, user_id=where.user_id, command="ask", args="what ends?",
        locale="en-US", chat_kind=kind, thread_id=None, can_manage_chat=manage,  # type: ignore[arg-type]
    )]


@pytest.mark.parametrize(("name", "options", "args"), [
    ("ask", {"question": "为什么预训练会结束？"}, "为什么预训练会结束？"),
    ("quote", {}, ""),
    ("quote", {"keywords": "fossil fuel"}, "fossil fuel"),
    ("summary", {}, ""),
    ("summary", {"talk": "ilya-neurips-2024"}, "ilya-neurips-2024"),
    ("help", {}, ""),
    ("about", {}, ""),
    ("stats", {}, ""),
    ("daily", {"time": "08:30", "timezone": "Asia/Shanghai", "talk": "ilya"}, "08:30 Asia/Shanghai ilya"),
    ("daily", {"time": "off"}, "off"),
    ("daily", {}, ""),
])
async def test_every_command_reaches_the_core_with_its_arguments_as_one_string(
    fake: FakeDiscord, core: ScriptedCore, adapter: DiscordAdapter, name: str, options: dict[str, str], args: str
) -> None:
    interaction = await fake.slash(name, options, Where(locale="zh-CN"))
    [message] = await answered(fake, interaction)
    assert [(r.command, r.args, r.locale) for r in core.requests] == [(name, args, "zh-CN")]
    assert fake.callbacks(interaction)[0].json["type"] == 4  # answered at once: no "thinking…"
    assert message["embeds"][0]["footer"]["text"].startswith("— Ilya Sutskever")
    sent_messages(fake)


# answering


async def test_a_quick_answer_is_the_response_itself_with_persistent_and_link_buttons(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    interaction = await fake.slash("ask", {"question": "what ends?"})
    [message] = await answered(fake, interaction)
    assert [c.json["type"] for c in fake.callbacks(interaction)] == [4]
    [embed] = message["embeds"]
    assert embed["url"] == CITE.url and embed["title"] == CITE.talk_title
    assert embed["footer"]["text"] == "— Ilya Sutskever · Sequence to sequence learning, ten years on · Talk ¶7"
    assert custom_ids(message) == ["tb:more:0123456789abcdef 3", "tb:context:ilya-neurips-2024/7"]
    [link] = [b for row in message["components"] for b in row["components"] if b["style"] == 5]
    assert link["url"] == CITE.url and link["label"] == "Source"


async def test_a_slow_answer_is_deferred_then_replaces_the_placeholder(fake: FakeDiscord) -> None:
    core = ScriptedCore(PASSAGE, delay=0.6)
    async with running_adapter(fake, core, answer_window=0.2):
        interaction = await fake.slash("ask", {"question": "slow"})
        [message] = await answered(fake, interaction)
    assert [c.json["type"] for c in fake.callbacks(interaction)] == [5]
    assert fake.find("PATCH", rf"/webhooks/{fake.application_id}/{interaction.token}/messages/@original$")
    assert message["embeds"][0]["description"].startswith("Pre-training")
    assert custom_ids(message)  # the buttons came with the answer
    sent_messages(fake)


async def test_a_slow_long_answer_continues_in_follow_ups(fake: FakeDiscord) -> None:
    text = " ".join(f"Sentence number {i} is about the end of pre-training." for i in range(700))
    core = ScriptedCore(Reply((Block("passage", text, CITE),), PASSAGE.buttons), delay=0.5)
    async with running_adapter(fake, core, answer_window=0.1):
        interaction = await fake.slash("ask", {"question": "long"})
        messages = await fake.wait_for(lambda: m if (m := fake.replies(interaction)) and custom_ids(m[-1]) else None)
    assert [c.json["type"] for c in fake.callbacks(interaction)] == [5]
    assert len(messages) == 3 and len(fake.find("POST", rf"^/webhooks/{fake.application_id}/")) == len(messages) - 1
    assert "Sentence number 699" not in text_of(messages)  # a runaway answer is cut at three messages
    assert messages[-1]["embeds"][-1]["description"].endswith("…")
    assert all(not custom_ids(m) for m in messages[:-1])  # buttons under the last message only
    sent_messages(fake)


async def test_an_ephemeral_answer_stays_private_whether_quick_or_deferred(fake: FakeDiscord) -> None:
    private = Reply((Block("hint", "This button has expired."),), outcome="bad_input", ephemeral=True)
    async with running_adapter(fake, ScriptedCore(private), answer_window=0.3):
        quick = await fake.slash("ask", {"question": "x"})
        [message] = await answered(fake, quick)
        assert message["flags"] & EPHEMERAL
    async with running_adapter(fake, ScriptedCore(private, delay=0.5), answer_window=0.1):
        slow = await fake.slash("ask", {"question": "x"})
        [message] = await answered(fake, slow)
    assert message["flags"] & EPHEMERAL
    assert fake.find("DELETE", rf"/webhooks/{fake.application_id}/{slow.token}/messages/@original$")


async def test_a_six_thousand_character_question_and_a_long_answer_respect_every_limit(fake: FakeDiscord) -> None:
    question = ("Why will pre-training end, and what comes after it? " * 120)[:6000]
    answer = "\n\n".join(f"第{i}段：数据是人工智能的化石燃料。我们只有一个互联网。Data is the fossil fuel of AI. " * 6
                         for i in range(80))

    def reply(request: Request) -> Reply:
        return Reply((Block("title", request.args), Block("text", f"You asked: {request.args}"),
                      Block("passage", answer, CITE)), PASSAGE.buttons)

    async with running_adapter(fake, ScriptedCore(reply), answer_window=1.0):
        interaction = await fake.slash("ask", {"question": question})
        messages = await fake.wait_for(lambda: m if (m := fake.replies(interaction)) and custom_ids(m[-1]) else None)
    payloads = sent_messages(fake)
    assert len(payloads) == len(messages) == 3  # at most three messages for an answer
    assert messages[0]["embeds"][0]["title"].startswith("Why will pre-training end")
    delivered = text_of(messages)
    assert question[-40:] in delivered and "第79段" not in delivered
    assert messages[-1]["embeds"][-1]["description"].endswith("…")


async def test_mentions_in_echoed_text_never_ping(fake: FakeDiscord) -> None:
    def echo(request: Request) -> Reply:
        return Reply((Block("title", request.args), Block("text", f"You said {request.args}")))

    async with running_adapter(fake, ScriptedCore(echo)) as adapter:
        interaction = await fake.slash("ask", {"question": "@everyone @here <@123456789012345678> <@&456>"})
        [message] = await answered(fake, interaction)
        await adapter.send(Target("discord", CHANNEL), echo(Request("discord", CHANNEL, "1", "ask", "@everyone")))
    payloads = sent_messages(fake)  # every payload: allowed_mentions {"parse": []}
    assert len(payloads) == 2
    assert "@everyone" not in text_of([message]) and "@\u200beveryone" in text_of([message])


# buttons


async def test_a_click_runs_the_buttons_command_for_the_clicker(
    fake: FakeDiscord, core: ScriptedCore, adapter: DiscordAdapter
) -> None:
    [message] = await answered(fake, await fake.slash("ask", {"question": "what ends?"}))
    click = await fake.click(message, "tb:context:ilya-neurips-2024/7", DIRECT)
    await answered(fake, click)
    assert core.requests[-1] == Request("discord", DIRECT.channel_id, DIRECT.user_id, "context", "ilya-neurips-2024/7",
                                        "en-US", "private", None, True)


@pytest.mark.parametrize(("custom_id", "locale", "words"), [
    ("garbage", "en-US", "expired"),
    ("tb:", "zh-CN", "失效"),
    ("tb:Not A Command:x", "zh-TW", "失效"),
])
async def test_a_malformed_button_says_it_expired_in_the_users_language(
    fake: FakeDiscord, core: ScriptedCore, adapter: DiscordAdapter, custom_id: str, locale: str, words: str
) -> None:
    click = await fake.click(fake.old_message(CHANNEL, custom_id), custom_id, Where(locale=locale))
    [notice] = await answered(fake, click)
    assert notice["flags"] & EPHEMERAL and words in notice["content"]
    assert core.requests == []
    sent_messages(fake)


# failures


async def test_a_429_on_the_callback_is_retried_by_discord_py_and_answered_once(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    fake.fail("POST", r"/interactions/\d+/[^/]+/callback", 429, retry_after=0.4)
    interaction = await fake.slash("ask", {"question": "what ends?"})
    await answered(fake, interaction)
    assert [c.status for c in fake.callbacks(interaction)] == [429, 200]
    assert interaction.callbacks == [4] and len(fake.replies(interaction)) == 1


async def test_an_expired_interaction_is_logged_and_the_adapter_carries_on(
    fake: FakeDiscord, adapter: DiscordAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("POST", r"/interactions/\d+/[^/]+/callback", 404, code=10062, message="Unknown interaction")
    lost = await fake.slash("ask", {"question": "late"})
    await fake.wait_for(lambda: [c.status for c in fake.callbacks(lost)] == [404])
    await answered(fake, await fake.slash("about"))
    assert fake.replies(lost) == [] and adapter.is_connected()
    assert "/ask: the interaction expired before it was answered" in caplog.text


async def test_missing_access_on_the_answer_is_reported_to_the_user(
    fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_adapter(fake, ScriptedCore(PASSAGE, delay=0.4), answer_window=0.1):
        fake.fail("PATCH", r"/webhooks/\d+/[^/]+/messages/@original", 403, code=50001, message="Missing Access")
        interaction = await fake.slash("ask", {"question": "x"})
        [notice] = await answered(fake, interaction)
    assert "went wrong" in notice["content"]
    assert "50001: Missing Access" in caplog.text


async def test_a_failing_core_gets_a_short_ephemeral_apology(
    fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    def boom(request: Request) -> Reply:
        raise RuntimeError("core bug")

    async with running_adapter(fake, ScriptedCore(boom)):
        interaction = await fake.slash("ask", {"question": "x"}, Where(locale="zh-CN"))
        [notice] = await answered(fake, interaction)
        unknown = await fake.slash("nonexistent")
        [notice2] = await answered(fake, unknown)
    assert notice["flags"] & EPHEMERAL and "出了点问题" in notice["content"]
    assert notice2["flags"] & EPHEMERAL and "went wrong" in notice2["content"]
    assert "/ask failed" in caplog.text and GUILD_MEMBER.user_id not in caplog.text


# autocomplete


def suggestion(value: str, title: str) -> Suggestion:
    return Suggestion(value, title, "Ilya Sutskever · Talk ¶1", Reply(()))


async def test_autocomplete_offers_at_most_25_valid_choices(
    fake: FakeDiscord, core: ScriptedCore, adapter: DiscordAdapter
) -> None:
    core.suggestions = [suggestion(f"¶ilya-neurips-2024/{i}", f"Passage {i} " + "x" * 300) for i in range(40)]
    core.suggestions[:0] = [suggestion("v" * 150, "long value"), suggestion("¶t/1", ""), suggestion("¶t/1", "dup")]
    interaction = await fake.autocomplete("ask", "question", "pre-train")
    await fake.wait_for(lambda: interaction.callbacks)
    [callback] = fake.callbacks(interaction)
    assert callback.json["type"] == 8
    choices = callback.json["data"]["choices"]
    assert len(choices) == 25
    assert all(1 <= len(c["name"]) <= 100 and 1 <= len(c["value"]) <= 100 for c in choices)
    assert len({c["value"] for c in choices}) == 25
    assert choices[1] == {"name": "¶t/1", "value": "¶t/1"}
    assert core.requests[-1].command == "autocomplete" and core.requests[-1].args == "pre-train"


async def test_autocomplete_answers_an_empty_list_when_the_core_fails_or_is_slow(
    fake: FakeDiscord, core: ScriptedCore, adapter: DiscordAdapter
) -> None:
    core.suggest_error = RuntimeError("index not ready")
    failing = await fake.autocomplete("quote", "keywords", "x")
    await fake.wait_for(lambda: failing.callbacks)
    core.suggest_error, core.suggest_delay = None, 5.0
    started = time.monotonic()
    slow = await fake.autocomplete("ask", "question", "x")
    await fake.wait_for(lambda: slow.callbacks)
    assert time.monotonic() - started < 3.0
    assert [fake.callbacks(i)[0].json["data"]["choices"] for i in (failing, slow)] == [[], []]


async def test_choosing_a_suggestion_submits_its_value_as_the_question(
    fake: FakeDiscord, core: ScriptedCore, adapter: DiscordAdapter
) -> None:
    core.suggestions = [suggestion("¶ilya-neurips-2024/7", "Pre-training as we know it will end")]
    typed = await fake.autocomplete("ask", "question", "pre-training end")
    await fake.wait_for(lambda: typed.callbacks)
    [choice] = fake.callbacks(typed)[0].json["data"]["choices"]
    await answered(fake, await fake.slash("ask", {"question": choice["value"]}))
    assert core.requests[-1].args == "¶ilya-neurips-2024/7"


async def test_time_zones_autocomplete_for_daily(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    interaction = await fake.autocomplete("daily", "timezone", "shang", others={"time": "08:00"})
    await fake.wait_for(lambda: interaction.callbacks)
    choices = fake.callbacks(interaction)[0].json["data"]["choices"]
    assert {"name": "Asia/Shanghai", "value": "Asia/Shanghai"} in choices and len(choices) <= 25


# broadcasts


async def test_send_posts_the_reply_with_its_buttons(fake: FakeDiscord, adapter: DiscordAdapter) -> None:
    await adapter.send(Target("discord", CHANNEL), PASSAGE)
    await adapter.send(Target("discord", CHANNEL, thread_id="100000000000000077"), PASSAGE)
    [message] = fake.channel_messages(CHANNEL)
    assert custom_ids(message) == ["tb:more:0123456789abcdef 3", "tb:context:ilya-neurips-2024/7"]
    assert message["embeds"][0]["url"] == CITE.url
    assert len(fake.channel_messages("100000000000000077")) == 1
    sent_messages(fake)


@pytest.mark.parametrize(("status", "code", "failure"), [
    (403, 50001, DeliveryFailure.GONE),
    (403, 50007, DeliveryFailure.GONE),
    (404, 10003, DeliveryFailure.GONE),
    (503, 0, DeliveryFailure.TRANSIENT),
    (401, 0, DeliveryFailure.TRANSIENT),
])
async def test_send_maps_discord_errors_to_delivery_failures(
    fake: FakeDiscord, adapter: DiscordAdapter, status: int, code: int, failure: DeliveryFailure
) -> None:
    fake.fail("POST", rf"/channels/{CHANNEL}/messages", status, code=code, message="nope")
    with pytest.raises(DeliveryError) as caught:
        await adapter.send(Target("discord", CHANNEL), PASSAGE)
    assert caught.value.failure is failure and str(status) in caught.value.reason
    assert adapter.is_connected()


async def test_send_gives_up_on_slow_answers_and_long_rate_limits(fake: FakeDiscord, core: ScriptedCore) -> None:
    async with running_adapter(fake, core, send_timeout=0.5) as adapter:
        fake.slow("POST", rf"/channels/{CHANNEL}/messages", 3.0)
        with pytest.raises(DeliveryError) as slow:
            await adapter.send(Target("discord", CHANNEL), PASSAGE)
        fake.fail("POST", rf"/channels/{CHANNEL}/messages", 429, retry_after=20.0)
        with pytest.raises(DeliveryError) as limited:
            await adapter.send(Target("discord", CHANNEL), PASSAGE)
        fake.fail("POST", rf"/channels/{CHANNEL}/messages", 429, retry_after=0.2)
        await adapter.send(Target("discord", CHANNEL), PASSAGE)  # a short rate limit is simply waited out
    # out of time: the request may be on its way (a rate limit wait looks the same from here), so it may have
    # been posted and is never resent
    assert slow.value.failure is limited.value.failure is DeliveryFailure.UNCERTAIN
    assert fake.channel_messages(CHANNEL)


@pytest.mark.parametrize(("error", "failure"), [
    (aiohttp.ServerDisconnectedError(), DeliveryFailure.UNCERTAIN),
    (aiohttp.ClientOSError(104, "Connection reset by peer"), DeliveryFailure.UNCERTAIN),
    (aiohttp.ClientPayloadError("Response payload is not completed"), DeliveryFailure.UNCERTAIN),
    (TimeoutError(), DeliveryFailure.UNCERTAIN),
    (aiohttp.ClientConnectorError(KEY, OSError(111, "Connection refused")),
     DeliveryFailure.TRANSIENT),
    (discord.RateLimited(120.0), DeliveryFailure.TRANSIENT),
])
async def test_send_tells_a_dropped_request_from_one_that_never_left(
    fake: FakeDiscord, adapter: DiscordAdapter, monkeypatch: pytest.MonkeyPatch, error: BaseException,
    failure: DeliveryFailure,
) -> None:
    """A disconnect or timeout after the request went out may hide a posted message (never resent); a connection
    that could not be made posted nothing."""
    client = adapter._client
    assert client is not None

    async def request(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(client.http, "request", request)
    with pytest.raises(DeliveryError) as caught:
        await adapter.send(Target("discord", CHANNEL), PASSAGE)
    assert caught.value.failure is failure and caught.value.may_have_posted is (failure is DeliveryFailure.UNCERTAIN)
    assert CHANNEL not in caught.value.reason


async def test_send_of_a_reply_posted_in_part_is_uncertain(
    fake: FakeDiscord, adapter: DiscordAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = adapter._client
    assert client is not None
    original = client.http.request
    posts = 0

    async def request(route: Route, **kwargs: Any) -> object:  # kwargs go on to HTTPClient.request
        nonlocal posts
        if route.method == "POST":
            posts += 1
            if posts == 2:
                fake.fail("POST", rf"/channels/{CHANNEL}/messages", 503, message="unavailable")
        return await original(route, **kwargs)

    monkeypatch.setattr(client.http, "request", request)
    long = Reply(tuple(Block("text", f"Paragraph {n}. " + "word " * 600) for n in range(8)))
    with pytest.raises(DeliveryError) as caught:
        await adapter.send(Target("discord", CHANNEL), long)
    assert caught.value.failure is DeliveryFailure.UNCERTAIN and "part" in caught.value.reason
    assert len(fake.channel_messages(CHANNEL)) == 1


async def test_send_refuses_bad_targets_and_a_stopped_adapter(fake: FakeDiscord, core: ScriptedCore) -> None:
    adapter = DiscordAdapter(core, discord_settings(fake))
    with pytest.raises(DeliveryError) as stopped:
        await adapter.send(Target("discord", CHANNEL), PASSAGE)
    assert stopped.value.failure is DeliveryFailure.TRANSIENT
    async with running_adapter(fake, core) as adapter:
        with pytest.raises(DeliveryError) as bad:
            await adapter.send(Target("discord", "not-a-channel"), PASSAGE)
        assert bad.value.failure is DeliveryFailure.GONE
        with pytest.raises(ValueError, match="telegram"):
            await adapter.send(Target("telegram", CHANNEL), PASSAGE)


# gateway


async def test_a_dropped_connection_resumes_at_the_resume_gateway_url(
    fake: FakeDiscord, core: ScriptedCore, adapter: DiscordAdapter
) -> None:
    [session] = fake.sessions.values()
    await fake.disconnect()
    await fake.wait_for(lambda: fake.connected() and adapter.is_connected())
    assert fake.connections == ["/gateway", "/resume"]
    assert len(fake.identifies) == 1
    [resume] = fake.resumes
    assert resume["session_id"] == session.session_id and resume["seq"] == 1 and resume["token"] == TOKEN
    await answered(fake, await fake.slash("about"))
    await fake.disconnect()
    await fake.wait_for(lambda: len(fake.resumes) == 2 and fake.connected())
    assert fake.resumes[1]["seq"] == session.seq - 1  # everything up to the RESUMED was seen


# secrets and stopping


async def test_the_token_never_reaches_the_logs_even_at_debug(
    fake: FakeDiscord, core: ScriptedCore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    for name in list(logging.Logger.manager.loggerDict):
        if name.startswith(("discord", "aiohttp", "asyncio", "bot")):
            caplog.set_level(logging.DEBUG, logger=name)
    async with running_adapter(fake, core, answer_window=0.3) as adapter:
        interaction = await fake.slash("ask", {"question": "x"})
        await answered(fake, interaction)
        await fake.disconnect()
        await fake.wait_for(lambda: fake.connected() and adapter.is_connected())
        fake.fail("POST", rf"/channels/{CHANNEL}/messages", 403, code=50001, message="Missing Access")
        with pytest.raises(DeliveryError):
            await adapter.send(Target("discord", CHANNEL), PASSAGE)
        # as if a library logged an IDENTIFY payload, a header or an exception carrying the token
        logging.getLogger("discord.gateway").debug("sending %s", {"op": 2, "d": {"token": TOKEN}})
        logging.getLogger("discord.http").debug("Authorization: Bot " + TOKEN)
        try:
            raise RuntimeError(f"bad header Bot {TOKEN}")
        except RuntimeError:
            logging.getLogger("discord.client").exception("boom")
    with pytest.raises(DiscordStartError):
        await DiscordAdapter(core, discord_settings(fake, token=TOKEN[:-1] + "Z"), start_timeout=5).start()
    assert len(caplog.records) > 30
    logged = "\n".join(caplog.messages) + caplog.text
    assert TOKEN[:-1] not in logged and TOKEN[-20:] not in logged
    assert interaction.token not in logged
    assert "Bot [redacted]" in logged and "'token': '[redacted]'" in logged


async def test_stop_lets_a_quick_answer_finish_and_returns_quickly_with_a_stuck_one(fake: FakeDiscord) -> None:
    core = ScriptedCore(PASSAGE, delay=0.5)
    adapter = DiscordAdapter(core, discord_settings(fake), answer_window=0.1, start_timeout=10)
    await adapter.start()
    interaction = await fake.slash("ask", {"question": "finishing"})
    await fake.wait_for(lambda: interaction.callbacks)
    stopping = asyncio.create_task(adapter.stop())
    late = await fake.slash("ask", {"question": "too late"})
    [refused] = await answered(fake, late)
    await stopping
    assert "restarting" in refused["content"] and refused["flags"] & EPHEMERAL
    [message] = await answered(fake, interaction)
    assert message["embeds"]  # the in-flight answer was delivered before the connection closed
    assert not adapter.is_connected()

    core.delay = 60.0
    await adapter.start()
    stuck = await fake.slash("ask", {"question": "stuck"})
    await fake.wait_for(lambda: stuck.callbacks)
    started = time.monotonic()
    await adapter.stop()
    assert time.monotonic() - started < 8.0
    await adapter.stop()  # a second stop is harmless
