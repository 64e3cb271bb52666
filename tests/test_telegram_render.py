"""Rendering replies as Telegram HTML, keyboards, and the adapter's small translation helpers."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut

from bot.adapters.telegram_errors import delivery_error, may_retry
from bot.adapters.telegram_render import (
    MESSAGE_LIMIT,
    callback_data,
    citation_line,
    keyboard,
    parse_callback,
    render_reply,
    strip_html,
    tg_len,
)
from bot.adapters.telegram_updates import chat_kind, chat_ref, command_of, result_id
from bot.core.i18n import language_of as language
from bot.core.types import Block, Button, Citation, DeliveryFailure, Reply
from tests.fakes.telegram_api import assert_valid_telegram_html, telegram_html_errors, visible_text

# PTB's own RetryAfter constructor reads its deprecated int-valued attribute.
PTB_RETRY_AFTER_WARNING = "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
CITE = Citation("t1", "Seq2seq <ten> years & on", "Q&A", 7, "Ilya <S>", "https://example.org/v?a=1&b=2")
HOSTILE = [
    "<b>bold</b>",
    "&amp; and & and &lt;",
    "<script>alert(1)</script>",
    '<a href="https://evil.example">click</a>',
    "a < b > c",
    "\"quotes\" and 'apostrophes'",
]


def _all_valid(messages: list[str]) -> None:
    assert messages
    for message in messages:
        assert_valid_telegram_html(message)
        assert tg_len(message) <= MESSAGE_LIMIT


@pytest.mark.parametrize("text", HOSTILE)
def test_user_text_is_escaped_and_shown_literally(text: str) -> None:
    reply = Reply((Block("title", text), Block("passage", text, CITE), Block("item", text), Block("hint", text)))
    messages = render_reply(reply)
    _all_valid(messages)
    assert visible_text(messages[0]).count(text) == 4
    assert "<script>" not in messages[0] and 'evil.example">' not in messages[0]


def test_block_styles() -> None:
    reply = Reply(
        (
            Block("title", "Key points"),
            Block("item", "one"),
            Block("item", "two"),
            Block("quote", "A line.", CITE),
            Block("error", "Oops"),
        )
    )
    (message,) = render_reply(reply)
    assert message.startswith("<b>Key points</b>\n\n• one\n• two\n\n<blockquote>A line.</blockquote>\n<i>— ")
    assert message.endswith("</i>\n\nOops")
    assert_valid_telegram_html(message)


def test_citation_links_the_title_and_escapes_every_field() -> None:
    line = citation_line(CITE)
    assert line == (
        '<i>— Ilya &lt;S&gt;, <a href="https://example.org/v?a=1&amp;b=2">Seq2seq &lt;ten&gt; years &amp; on</a>'
        " · Q&amp;A ¶7</i>"
    )
    assert_valid_telegram_html(line)


@pytest.mark.parametrize("url", [None, "javascript:alert(1)", "ftp://x.example/a", "not a url"])
def test_citation_without_a_web_link_is_not_linked(url: str | None) -> None:
    line = citation_line(Citation("t1", "Title", "", 0, "Speaker", url))
    assert line == "<i>— Speaker, Title</i>"


def test_long_english_passage_is_split_at_sentences_under_the_limit() -> None:
    sentence = "Pre-training as we know it will unquestionably end & data is the fossil fuel of AI. "
    text = (sentence * 110).strip()  # about 9,200 characters
    messages = render_reply(Reply((Block("passage", text, CITE),)))
    _all_valid(messages)
    assert len(messages) == 3
    for message in messages[:-1]:
        assert visible_text(message).endswith("AI.")  # cut between sentences
    assert "<i>— Ilya" in messages[-1] and "<i>" not in messages[0]
    joined = " ".join(visible_text(m) for m in messages)
    assert joined.count("fossil fuel") == 110


def test_long_chinese_text_is_split_at_sentence_ends() -> None:
    text = "预训练时代无疑会结束，因为数据不会增长。" * 500
    messages = render_reply(Reply((Block("quote", text, CITE),)))
    _all_valid(messages)
    assert len(messages) >= 3
    for message in messages[:-1]:
        assert message.endswith("。</blockquote>")


def test_escaping_that_grows_the_text_still_fits() -> None:
    messages = render_reply(Reply((Block("text", "&<>" * 3000),)))
    _all_valid(messages)
    assert "".join(strip_html(m) for m in messages) == "&<>" * 3000


def test_astral_characters_count_twice() -> None:
    messages = render_reply(Reply((Block("text", "😀" * 3000),)))
    _all_valid(messages)
    assert len(messages) == 2


def test_many_blocks_are_packed_and_never_split_inside_a_block() -> None:
    blocks = tuple(Block("passage", f"Passage {i}: " + "word " * 150, CITE) for i in range(20))
    messages = render_reply(Reply(blocks))
    _all_valid(messages)
    assert 4 <= len(messages) <= 6
    assert sum(m.count("<i>— ") for m in messages) == 20


def test_empty_blocks_are_skipped() -> None:
    assert render_reply(Reply((Block("text", "  "),))) == []
    assert render_reply(Reply((Block("text", ""), Block("hint", "hi")))) == ["hi"]


def test_keyboard_has_links_and_callbacks_and_skips_bad_buttons() -> None:
    markup = keyboard(
        (
            Button("More", "more", "272637ff9f211edf 3"),
            Button("Context", "context", "ilya-neurips-2024/35"),
            Button("Watch", url="https://www.youtube.com/watch?v=x"),
            Button("Too long", "more", "x" * 80),
            Button("Bad link", url="javascript:alert(1)"),
            Button("Bad command", "Not A Command", ""),
            Button("", "help", ""),
        )
    )
    assert markup is not None
    rows = markup.inline_keyboard
    flat = [b for row in rows for b in row]
    assert [b.text for b in flat] == ["More", "Context", "Watch"]
    assert flat[0].callback_data == "more:272637ff9f211edf 3"
    assert flat[2].url == "https://www.youtube.com/watch?v=x"
    assert all(len(row) <= 2 for row in rows)
    assert keyboard(()) is None


def test_callback_data_round_trip_and_limit() -> None:
    assert callback_data(Button("x", "context", "a/1")) == "context:a/1"
    assert parse_callback("context:a/1") == ("context", "a/1")
    assert parse_callback("more:k 3:extra") == ("more", "k 3:extra")
    assert callback_data(Button("x", "more", "é" * 30)) is None  # 64 bytes, not characters
    for stale in (None, "", "garbage", "Bad Command:x", ":x"):
        assert parse_callback(stale) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<script>x</script>", "not allowed"),
        ("<b>open", "unclosed"),
        ("<b><i>x</b></i>", "does not close"),
        ("a & b", "entity"),
        ("&nbsp;", "entity"),
        ("<a>x</a>", "href"),
        ('<span class="x">y</span>', "tg-spoiler"),
        ("x" * 4097, "too long"),
        ("   ", "empty"),
    ],
)
def test_the_html_checker_catches_what_telegram_rejects(text: str, problem: str) -> None:
    assert any(problem in e for e in telegram_html_errors(text))


def test_the_html_checker_accepts_telegram_html() -> None:
    assert_valid_telegram_html(
        '<b>b</b> <i>i</i> <u>u</u> <s>s</s> <tg-spoiler>x</tg-spoiler> <span class="tg-spoiler">y</span> '
        '<a href="https://x.example/?a=1&amp;b=2">l</a> <code>c</code> <pre><code class="language-py">p</code></pre> '
        "<blockquote>q</blockquote> &lt;&gt;&amp;&quot;&#39;&#x41;"
    )


def test_command_parsing() -> None:
    assert command_of("/ask why?") == ("ask", None, "why?")
    assert command_of("/Ask@TranscriptTestBot  why\nnot?") == ("ask", "TranscriptTestBot", "why\nnot?")
    assert command_of("/quote\nscaling laws") == ("quote", None, "scaling laws")
    assert command_of("/help") == ("help", None, "")


def test_small_translations() -> None:
    assert [chat_kind(t) for t in ("private", "group", "supergroup", "channel", "sender")] == [
        "private", "group", "group", "channel", "private",
    ]  # fmt: skip
    assert chat_ref("-1001234") == -1001234 and chat_ref("@news") == "@news"
    assert language("zh-hans", "en") == "zh" and language("pt-br", "zh") == "en" and language(None, "zh") == "zh"
    assert len(result_id("¶ilya-neurips-2024/35")) <= 64 and result_id("a") == result_id("a") != result_id("b")


def _caused(exc: TelegramError, cause: BaseException | None) -> TelegramError:
    exc.__cause__ = cause
    return exc


@pytest.mark.filterwarnings(PTB_RETRY_AFTER_WARNING)
def test_only_safe_calls_are_retried() -> None:
    request = httpx.Request("POST", "http://127.0.0.1/")
    server_5xx = NetworkError("Bad Gateway")
    unsent = _caused(NetworkError("httpx.ConnectError"), httpx.ConnectError("refused", request=request))
    read_timeout = _caused(TimedOut(), httpx.ReadTimeout("slow", request=request))
    pool_timeout = _caused(TimedOut(), httpx.PoolTimeout("busy", request=request))
    dropped = _caused(NetworkError("httpx.RemoteProtocolError"), httpx.RemoteProtocolError("eof", request=request))
    for exc in (server_5xx, unsent, pool_timeout):
        assert may_retry(exc, idempotent=False)
    for exc in (read_timeout, dropped):  # the message may have gone out: never post it twice
        assert not may_retry(exc, idempotent=False) and may_retry(exc, idempotent=True)
    for exc in (
        BadRequest("chat not found"),
        Forbidden("blocked"),
        RetryAfter(timedelta(seconds=3)),
        ChatMigrated(-100),
    ):
        assert not may_retry(exc, idempotent=True)


@pytest.mark.filterwarnings(PTB_RETRY_AFTER_WARNING)
def test_send_errors_map_to_delivery_failures() -> None:
    assert delivery_error(Forbidden("Forbidden: bot was blocked by the user")).failure is DeliveryFailure.GONE
    assert delivery_error(BadRequest("Bad Request: chat not found")).failure is DeliveryFailure.GONE
    migrated = delivery_error(ChatMigrated(-1009))
    assert migrated.failure is DeliveryFailure.MIGRATED and migrated.new_chat_id == "-1009"
    assert "-1009" not in migrated.reason
    for exc in (
        RetryAfter(timedelta(seconds=5)),
        NetworkError("Bad Gateway"),
        BadRequest("Bad Request: message is too long"),
    ):
        assert delivery_error(exc).failure is DeliveryFailure.TRANSIENT
    assert delivery_error(TimedOut()).failure is DeliveryFailure.UNCERTAIN  # it may have been posted
