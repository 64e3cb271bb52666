"""End to end: PTB against the fake Bot API, with the real core answering every command."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.app import App
from bot.core.i18n import t
from tests.fakes.telegram_api import (
    BOT_USERNAME,
    Call,
    FakeTelegramAPI,
    RecordingCore,
    assert_valid_telegram_html,
    running_adapter,
    visible_text,
)

GROUP = -1001234567890
USER = 111


@pytest.fixture
def core(app: App) -> RecordingCore:
    """The real core from the shared fixture; RecordingCore(StubCore()) runs these tests without it."""
    return RecordingCore(app)


@pytest.fixture
async def bot(core: RecordingCore, api: FakeTelegramAPI) -> AsyncIterator[TelegramAdapter]:
    async with running_adapter(core, api) as adapter:
        yield adapter


async def flush(core: RecordingCore) -> None:
    """Let the core finish background writes (a 'more' button's query is stored after the reply)."""
    store = getattr(core.inner, "store", None)
    if store is not None:
        await store.flush()


def buttons(call: Call) -> list[dict[str, Any]]:
    """The inline keyboard buttons of a sent message."""
    markup = call.params.get("reply_markup") or {"inline_keyboard": []}
    return [b for row in markup["inline_keyboard"] for b in row]


def check_messages(calls: list[Call]) -> None:
    """Every message is valid Telegram HTML without link previews."""
    for call in calls:
        assert call.params["parse_mode"] == "HTML"
        assert_valid_telegram_html(call.params["text"])
        assert call.params["link_preview_options"] == {"is_disabled": True}


async def probe(api: FakeTelegramAPI, chat_id: int = GROUP) -> None:
    """Send /help and wait for its answer: updates before it have been dealt with by then."""
    before = len(api.sent(chat_id))
    if chat_id > 0:
        api.private_text("/help", user_id=chat_id)
    else:
        api.group_text("/help", chat_id=chat_id)
    await api.wait_sent(before + 1, chat_id)


async def test_startup_publishes_the_command_menu_in_both_languages(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore
) -> None:
    menus = {c.params.get("language_code"): c.params["commands"] for c in api.calls_to("setMyCommands")}
    assert set(menus) == {None, "en", "zh"}
    names = [c.name for c in core.commands()]
    assert [c["command"] for c in menus[None]] == names and menus["en"] == menus[None]
    assert [c["description"] for c in menus["zh"]] == [c.help_zh for c in core.commands()]
    assert api.calls_to("deleteWebhook") and bot.is_connected()


COMMANDS = [
    ("/ask why will pre-training end?", "ask", "why will pre-training end?"),
    ("/quote", "quote", ""),
    ("/quote fossil fuel", "quote", "fossil fuel"),
    ("/summary", "summary", ""),
    ("/help", "help", ""),
    ("/start", "start", ""),
    ("/about", "about", ""),
    ("/stats", "stats", ""),
    ("/daily", "daily", ""),
    ("/daily 08:00 Asia/Shanghai", "daily", "08:00 Asia/Shanghai"),
]


@pytest.mark.parametrize(("text", "command", "args"), COMMANDS)
async def test_each_command_in_a_private_chat(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore, text: str, command: str, args: str
) -> None:
    api.private_text(text, user_id=USER)
    sent = await api.wait_sent(1, USER)
    request = core.requests[-1]
    assert (request.platform, request.chat_id, request.user_id, request.chat_kind) == (
        "telegram", str(USER), str(USER), "private",
    )  # fmt: skip
    assert (request.command, request.args, request.locale, request.thread_id) == (command, args, "en", None)
    assert request.can_manage_chat
    check_messages(sent)
    assert "reply_parameters" not in sent[0].params


@pytest.mark.parametrize(("text", "command", "args"), COMMANDS)
async def test_each_command_in_a_group_replies_to_the_message(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore, text: str, command: str, args: str
) -> None:
    message = api.group_text(text, chat_id=GROUP, user_id=222)
    sent = await api.wait_sent(1, GROUP)
    request = core.requests[-1]
    assert (request.chat_id, request.user_id, request.chat_kind) == (str(GROUP), "222", "group")
    assert (request.command, request.args) == (command, args)
    check_messages(sent)
    assert sent[0].params["reply_parameters"] == {
        "message_id": message["message_id"],
        "allow_sending_without_reply": True,
    }


async def test_a_command_addressed_to_this_bot_is_answered(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore
) -> None:
    api.group_text(f"/ask@{BOT_USERNAME} why will pre-training end?")
    await api.wait_sent(1, GROUP)
    assert (core.requests[0].command, core.requests[0].args) == ("ask", "why will pre-training end?")


@pytest.mark.parametrize("chat_id", [GROUP, USER])
async def test_commands_for_other_bots_are_ignored(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore, chat_id: int
) -> None:
    for text in ("/ask@OtherBot why?", "/frobnicate@OtherBot"):
        if chat_id > 0:
            api.private_text(text, user_id=chat_id)
        else:
            api.group_text(text, chat_id=chat_id)
    await probe(api, chat_id)
    assert [r.command for r in core.requests] == ["help"]
    assert len(api.sent()) == 1


async def test_unknown_commands_are_answered_in_private_and_when_addressed_in_groups(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore
) -> None:
    api.private_text("/frobnicate now", user_id=USER)
    sent = await api.wait_sent(1, USER)
    assert "/help" in visible_text(sent[0].params["text"])
    api.group_text("/frobnicate")  # not addressed: another bot's command, maybe
    await probe(api)
    api.group_text(f"/frobnicate@{BOT_USERNAME}")
    await api.wait_sent(2, GROUP)
    assert [r.command for r in core.requests] == ["frobnicate", "help", "frobnicate"]


async def test_plain_text_in_private_is_a_question_and_ignored_in_groups(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore
) -> None:
    api.private_text("  why will pre-training end?  ", user_id=USER)
    sent = await api.wait_sent(1, USER)
    assert (core.requests[0].command, core.requests[0].args) == ("ask", "why will pre-training end?")
    check_messages(sent)
    api.group_text("just chatting about pre-training")
    await probe(api)
    assert [r.command for r in core.requests] == ["ask", "help"]


async def test_forum_topic_messages_are_answered_in_the_topic(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore
) -> None:
    api.group_text("/quote", thread_id=77)
    sent = await api.wait_sent(1, GROUP)
    assert core.requests[0].thread_id == "77"
    assert sent[0].params["message_thread_id"] == 77


async def test_channel_posts_are_answered(bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore) -> None:
    api.channel_post("/quote", chat_id=-1009876543210)
    sent = await api.wait_sent(1, -1009876543210)
    assert core.requests[0].chat_kind == "channel"
    check_messages(sent)


def check_inline(call: Call) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = call.params["results"]
    assert 1 <= len(results) <= 10
    assert len({r["id"] for r in results}) == len(results)
    for result in results:
        assert result["type"] == "article" and result["title"] and len(result["id"].encode()) <= 64
        content = result["input_message_content"]
        assert content["parse_mode"] == "HTML"
        assert_valid_telegram_html(content["message_text"])
    assert call.params["is_personal"] is False and call.params["cache_time"] <= 60
    return results


async def test_inline_query_offers_matching_passages(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore
) -> None:
    query_id = api.inline("pre-training")
    (call,) = await api.wait_for("answerInlineQuery")
    assert call.params["inline_query_id"] == query_id
    check_inline(call)
    request = core.suggest_requests[0]
    assert (request.command, request.args, request.user_id) == ("inline", "pre-training", str(USER))


async def test_empty_inline_query_offers_todays_picks(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore
) -> None:
    api.inline("")
    (call,) = await api.wait_for("answerInlineQuery")
    check_inline(call)
    assert core.suggest_requests[0].args == ""


async def test_buttons_context_more_and_link(bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore) -> None:
    api.group_text("/ask why will pre-training end?")
    (answer,) = await api.wait_sent(1, GROUP)
    found = {b.get("callback_data", "").split(":")[0] or "url": b for b in buttons(answer)}
    assert {"more", "context", "url"} <= set(found)
    assert found["url"]["url"].startswith("https://")
    bot_message = answer.result
    await flush(core)
    for n, name in enumerate(("context", "more"), start=1):
        api.press(found[name]["callback_data"], bot_message, user_id=333)
        answered = await api.wait_for("answerCallbackQuery", n)
        assert "text" not in answered[-1].params
        sent = api.sent(GROUP)
        assert len(sent) == n + 1
        assert sent[-1].params["reply_parameters"]["message_id"] == bot_message["message_id"]
        check_messages(sent)
        assert (core.requests[-1].command, core.requests[-1].user_id) == (name, "333")


@pytest.mark.parametrize(
    ("data", "language", "core_asked"),
    [
        ("more:0000000000000000 3", "en", True),  # the stored question is gone
        ("context:no-such-talk/9", "zh-hans", True),
        ("garbage", "en", False),  # not ours at all
        ("x" * 64, None, False),
    ],
)
async def test_stale_buttons_get_a_polite_answer(
    bot: TelegramAdapter,
    api: FakeTelegramAPI,
    core: RecordingCore,
    data: str,
    language: str | None,
    core_asked: bool,
) -> None:
    message = api.group_text("old message")
    api.press(data, message, user_id=444, language_code=language)
    (answered,) = await api.wait_for("answerCallbackQuery")
    expected = t("zh" if language == "zh-hans" else "en", "stale_button")
    assert answered.params["text"] == expected
    assert api.sent() == []
    assert bool(core.requests) is core_asked


HOSTILE = [
    "<b>bold</b> question",
    "&amp; &lt; & < >",
    "<script>alert('x')</script>",
    '<a href="https://evil.example">click me</a>',
]


@pytest.mark.parametrize("question", HOSTILE)
async def test_html_looking_questions_are_escaped(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore, question: str
) -> None:
    api.private_text(f"/ask {question}", user_id=USER)
    sent = await api.wait_sent(1, USER)
    assert core.requests[0].args == question
    check_messages(sent)
    for call in sent:
        assert "<script>" not in call.params["text"] and "evil.example" not in call.params["text"].split("href=")[0]


async def test_a_very_long_question(bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore) -> None:
    question = ("Why will pre-training as we know it end, and what comes after it? " * 140)[:9000]
    api.group_text(f"/ask {question}")
    sent = await api.wait_sent(1, GROUP)
    assert len(core.requests[0].args) == len(question.strip())
    check_messages(sent)


async def test_many_users_at_once(bot: TelegramAdapter, api: FakeTelegramAPI, core: RecordingCore) -> None:
    for user in range(1, 21):
        api.private_text("/quote", user_id=1000 + user)
    await api.wait_sent(20)
    assert {c.params["chat_id"] for c in api.sent()} == {1000 + u for u in range(1, 21)}
