"""Adapter behaviour with a predictable stand-in core: splitting, permissions, migration, buttons, inline mode."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.adapters.telegram import TelegramAdapter
from bot.core.types import Block, Button, Reply, Request, Suggestion
from tests.fakes.telegram_api import (
    FakeTelegramAPI,
    StubCore,
    assert_valid_telegram_html,
    running_adapter,
    visible_text,
)

GROUP = -1001234567890
BASIC_GROUP = -4321
USER = 111


@pytest.fixture
def core() -> StubCore:
    return StubCore()


@pytest.fixture
async def bot(core: StubCore, api: FakeTelegramAPI) -> AsyncIterator[TelegramAdapter]:
    async with running_adapter(core, api) as adapter:
        yield adapter


@pytest.mark.parametrize(
    "question",
    ["<b>bold</b>", "&amp; & &lt;", "<script>alert(1)</script>", '<a href="https://evil.example">x</a>', "a<b>c"],
)
async def test_questions_are_shown_exactly_as_typed(bot: TelegramAdapter, api: FakeTelegramAPI, question: str) -> None:
    api.private_text(f"/ask {question}")
    (sent,) = await api.wait_sent(1)
    assert_valid_telegram_html(sent.params["text"])
    assert f"You asked: {question}" in visible_text(sent.params["text"])


async def test_a_long_reply_is_split_with_the_buttons_under_the_last_message(
    bot: TelegramAdapter, api: FakeTelegramAPI
) -> None:
    question = " ".join(f"Sentence {i} asks about scaling & <data>." for i in range(230))
    assert len(question) > 9000
    message = api.group_text(f"/ask {question}")
    await api.wait_for("sendMessage", 1, lambda c: "reply_markup" in c.params)  # the last one
    sent = api.sent(GROUP)
    assert len(sent) == 3
    for call in sent:
        assert_valid_telegram_html(call.params["text"])
    assert sent[0].params["reply_parameters"]["message_id"] == message["message_id"]
    assert all("reply_parameters" not in c.params for c in sent[1:])
    assert [("reply_markup" in c.params) for c in sent] == [False, False, True]
    shown = " ".join(visible_text(c.params["text"]) for c in sent)
    assert all(f"Sentence {i} asks about scaling & <data>." in shown for i in range(230))


@pytest.mark.parametrize(
    ("status", "expected"), [("member", False), ("restricted", False), ("administrator", True), ("creator", True)]
)
async def test_daily_settings_in_groups_need_an_admin(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: StubCore, status: str, expected: bool
) -> None:
    api.members[(GROUP, 222)] = status
    api.group_text("/daily 08:00 Asia/Shanghai", user_id=222)
    await api.wait_sent(1, GROUP)
    (check,) = api.calls_to("getChatMember")
    assert (check.params["chat_id"], check.params["user_id"]) == (GROUP, 222)
    assert core.requests[0].can_manage_chat is expected


async def test_anonymous_admins_may_change_daily(bot: TelegramAdapter, api: FakeTelegramAPI, core: StubCore) -> None:
    api.group_text("/daily off", anonymous_admin=True)
    await api.wait_sent(1, GROUP)
    assert core.requests[0].can_manage_chat and not api.calls_to("getChatMember")


@pytest.mark.parametrize("text", ["/daily", "/quote scaling"])
async def test_rights_are_only_checked_for_daily_with_arguments(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: StubCore, text: str
) -> None:
    api.group_text(text)
    api.private_text("/daily 08:00")
    await api.wait_sent(2)
    assert all(r.can_manage_chat for r in core.requests) and not api.calls_to("getChatMember")


async def test_rights_unknown_means_no(bot: TelegramAdapter, api: FakeTelegramAPI, core: StubCore) -> None:
    api.fail("getChatMember", 400, "Bad Request: user not found")
    api.group_text("/daily 08:00")
    await api.wait_sent(1, GROUP)
    assert core.requests[0].can_manage_chat is False


async def test_a_daily_button_checks_the_presser(bot: TelegramAdapter, api: FakeTelegramAPI, core: StubCore) -> None:
    message = api.group_text("anything")
    api.members[(GROUP, 555)] = "administrator"
    api.press("daily:off", message, user_id=555)
    await api.wait_for("answerCallbackQuery")
    assert (core.requests[0].command, core.requests[0].args, core.requests[0].can_manage_chat) == ("daily", "off", True)


async def test_a_group_that_became_a_supergroup_is_followed(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: StubCore
) -> None:
    api.migrate("sendMessage", new_chat_id=-1005550000, chat_id=BASIC_GROUP)
    api.group_text("/quote", chat_id=BASIC_GROUP, chat_type="group")
    (sent,) = await api.wait_sent(1, -1005550000)
    assert core.migrations == [("telegram", str(BASIC_GROUP), "-1005550000")]
    assert "reply_parameters" not in sent.params


async def test_migration_service_messages_tell_the_core(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: StubCore
) -> None:
    old = api.chat(BASIC_GROUP, "group")
    api.push("message", {**api.message("", old, api.user()), "migrate_to_chat_id": -1005550000})
    new = api.chat(-1005550000, "supergroup")
    api.push("message", {**api.message("", new, api.user()), "migrate_from_chat_id": BASIC_GROUP})
    await probe_private(api)
    assert core.migrations == [("telegram", str(BASIC_GROUP), "-1005550000")] * 2


async def probe_private(api: FakeTelegramAPI) -> None:
    """Wait until updates queued so far have been dealt with."""
    before = len(api.sent(999))
    api.private_text("/help", user_id=999)
    await api.wait_sent(before + 1, 999)


async def test_a_slow_answer_shows_typing(bot: TelegramAdapter, api: FakeTelegramAPI, core: StubCore) -> None:
    core.gate = asyncio.Event()
    api.group_text("/quote", thread_id=5)
    (typing,) = await api.wait_for("sendChatAction")
    assert (typing.params["action"], typing.params["message_thread_id"]) == ("typing", 5)
    core.gate.set()
    await api.wait_sent(1, GROUP)


class GenerousCore(StubCore):
    """Ignores the limit and repeats results, as a careless core might."""

    async def suggest(self, request: Request, limit: int) -> list[Suggestion]:
        reply = Reply((Block("passage", "x" * 6000),))
        return [Suggestion(f"v{i % 40}", f"t{i}", "d", reply) for i in range(60)]


class BrokenCore(StubCore):
    """Its suggestions fail."""

    async def suggest(self, request: Request, limit: int) -> list[Suggestion]:
        raise RuntimeError("index missing")


@pytest.mark.parametrize(("core_class", "count"), [(GenerousCore, 10), (BrokenCore, 0)])
async def test_inline_answers_are_capped_and_always_sent(
    api: FakeTelegramAPI, core_class: type[StubCore], count: int
) -> None:
    async with running_adapter(core_class(), api):
        api.inline("scaling")
        (call,) = await api.wait_for("answerInlineQuery")
    results = call.params["results"]
    assert len(results) == count and len({r["id"] for r in results}) == count
    for result in results:
        assert_valid_telegram_html(result["input_message_content"]["message_text"])


class ButtonCore(StubCore):
    """Answers with buttons Telegram could not take next to good ones."""

    def answer(self, request: Request) -> Reply:
        return Reply(
            (Block("text", "Pick one"),),
            buttons=(Button("Good", "context", "t/1"), Button("Too long", "more", "k" * 70), Button("Bad", url="x:y")),
        )


async def test_bad_buttons_are_skipped_not_fatal(api: FakeTelegramAPI) -> None:
    async with running_adapter(ButtonCore(), api):
        api.private_text("/ask anything")
        (sent,) = await api.wait_sent(1)
    assert sent.params["reply_markup"] == {"inline_keyboard": [[{"text": "Good", "callback_data": "context:t/1"}]]}


async def test_a_button_press_in_private_posts_a_new_message(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: StubCore
) -> None:
    api.private_text("/ask scaling")
    (first,) = await api.wait_sent(1)
    api.press("context:ilya-neurips-2024:3", first.result)
    (answered,) = await api.wait_for("answerCallbackQuery")
    assert "text" not in answered.params
    sent = api.sent()
    assert len(sent) == 2 and "A context passage" in visible_text(sent[1].params["text"])
    assert sent[0].result["message_id"] != sent[1].result["message_id"]


async def test_inline_results_posted_in_the_bots_own_chat_are_not_questions(
    bot: TelegramAdapter, api: FakeTelegramAPI, core: StubCore
) -> None:
    posted = api.message("Passage 0 about <today>", api.chat(USER), api.user(USER))
    api.push("message", {**posted, "via_bot": api.bot_user()})
    await probe_private(api)
    assert [r.command for r in core.requests] == ["help"]
