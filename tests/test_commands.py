"""Every command through the real core: replies, citations, buttons, bad input, and the usage row each leaves."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace

import pytest

from bot.app import App
from bot.core.types import Reply, Request


def req(command: str, args: str = "", locale: str | None = "en", user: str = "42", chat: str = "-1001") -> Request:
    return Request("telegram", chat, user, command, args, locale=locale, chat_kind="group")


async def usage_rows(app: App) -> list[dict[str, object]]:
    await app.store.flush()
    cols = ["platform", "chat_hash", "user_hash", "command", "query", "talk", "result_count", "top_passage",
            "latency_ms", "outcome"]
    rows = await app.store.read(f"SELECT {', '.join(cols)} FROM usage ORDER BY id")
    return [dict(zip(cols, row, strict=True)) for row in rows]


async def test_ask_returns_the_one_internet_passage_with_citation_and_buttons(app: App) -> None:
    reply = await app.handle(req("ask", "为什么预训练会结束"))
    assert reply.outcome == "ok"
    first = reply.blocks[0]
    assert "我们只有一个互联网" in first.text
    assert first.citation is not None
    assert first.citation.talk_id == "ilya-neurips-2024"
    assert first.citation.section == "Talk"
    assert first.citation.speaker == "Ilya Sutskever"
    assert first.citation.url == "https://www.youtube.com/watch?v=WQQdd6qGxNs"
    assert 1 <= reply.result_count <= 3
    labels = {b.command or "url" for b in reply.buttons}
    assert {"context", "url"} <= labels
    for button in reply.buttons:
        assert len(f"{button.command}:{button.args}".encode()) <= 64


async def test_more_button_pages_and_stale_button_answers_politely(app: App) -> None:
    reply = await app.handle(req("ask", "神经网络"))
    more = next(b for b in reply.buttons if b.command == "more")
    page = await app.handle(req(more.command, more.args))
    assert page.outcome == "ok"
    first_keys = {b.citation.paragraph for b in reply.blocks if b.citation}
    page_keys = {b.citation.paragraph for b in page.blocks if b.citation}
    assert page_keys and not first_keys & page_keys
    stale = await app.handle(req("more", "0123456789abcdef 3"))
    assert stale.outcome == "bad_input" and "expired" in stale.plain_text
    garbage = await app.handle(req("context", "../../etc/passwd"))
    assert "expired" in garbage.plain_text


async def test_context_shows_neighbouring_paragraphs(app: App) -> None:
    reply = await app.handle(req("context", "ilya-neurips-2024/36"))
    numbers = [b.citation.paragraph for b in reply.blocks if b.citation]
    assert numbers == [35, 36, 37]


async def test_ask_with_a_passage_value_answers_that_passage(app: App) -> None:
    reply = await app.handle(req("ask", "¶ilya-neurips-2024/5"))
    assert reply.top_passage == "ilya-neurips-2024/5"
    assert reply.result_count == 1


async def test_off_topic_question_gets_no_passage_and_a_hint(app: App) -> None:
    reply = await app.handle(req("ask", "怎么做红烧肉"))
    assert reply.outcome == "no_match"
    assert reply.result_count == 0
    assert all(b.citation is None for b in reply.blocks)
    assert "covers" in reply.plain_text


async def test_quote_random_is_the_speakers_sentence_with_attribution(app: App) -> None:
    texts = set()
    for _ in range(5):
        reply = await app.handle(req("quote"))
        block = reply.blocks[-1]
        assert block.kind == "quote"
        assert block.citation is not None and block.citation.speaker == "Ilya Sutskever"
        passage = app.catalog.passage(reply.top_passage or "")
        assert passage is not None and passage.role == "speaker" and block.text in passage.text
        texts.add(block.text)
    assert len(texts) > 1


async def test_quote_with_keywords_matches_and_falls_back_clearly(app: App) -> None:
    reply = await app.handle(req("quote", "化石燃料"))
    assert "化石燃料" in reply.blocks[-1].text
    assert reply.outcome == "ok"
    miss = await app.handle(req("quote", "basketball scores"))
    assert miss.outcome == "no_match"
    assert "No line of the speaker matches" in miss.blocks[0].text
    assert miss.blocks[-1].kind == "quote"


async def test_summary_about_help_start_stats(app: App) -> None:
    summary = await app.handle(req("summary"))
    assert sum(b.kind == "item" for b in summary.blocks) == 5
    assert "https://www.youtube.com/watch?v=WQQdd6qGxNs" in summary.plain_text
    assert (await app.handle(req("summary", "ilya"))).plain_text == summary.plain_text
    unknown = await app.handle(req("summary", "no-such-talk"))
    assert unknown.outcome == "bad_input" and "ilya-neurips-2024" in unknown.plain_text
    about = await app.handle(req("about"))
    assert "APPSO" in about.plain_text and "1 talk" in about.plain_text
    help_text = (await app.handle(req("help"))).plain_text
    for name in ("/ask", "/quote", "/summary", "/about", "/stats"):
        assert name in help_text
    assert "/help" in (await app.handle(req("start"))).plain_text
    stats = await app.handle(req("stats"))
    assert "requests in all" in stats.plain_text


@pytest.mark.parametrize(("locale", "word"), [("zh-hans", "命令"), ("zh-TW", "命令"), ("en-US", "Commands"),
                                               ("de", "Commands")])
async def test_language_follows_the_locale(app: App, locale: str, word: str) -> None:
    assert word in (await app.handle(req("help", locale=locale))).plain_text


async def test_default_language_applies_without_locale(app: App) -> None:
    assert "Commands" in (await app.handle(req("help", locale=None))).plain_text


@pytest.mark.parametrize("args", [
    "", "   ", "\n\t", "😀😀😀", "a" * 100_000, "\x00\x01\x1b[31m预训练\x7f", "'; DROP TABLE usage; --",
    "<b>bold</b> <script>alert(1)</script> &amp;", "**预训练** _italic_ `code` [link](http://x)",
    "@everyone <@123> <@&456>", "‮reversed‬ text", "预训练" * 5000,
])
async def test_bad_input_gets_a_clear_answer_and_a_usage_row(app: App, args: str) -> None:
    reply = await app.handle(req("ask", args))
    assert isinstance(reply, Reply)
    assert reply.blocks and all(b.text for b in reply.blocks)
    assert "Traceback" not in reply.plain_text
    assert reply.outcome in ("ok", "no_match", "bad_input")
    rows = await usage_rows(app)
    assert len(rows) == 1 and rows[0]["command"] == "ask"
    assert len(str(rows[0]["query"])) <= 1000
    assert (await app.store.read("SELECT COUNT(*) FROM usage"))[0][0] == 1  # the table survived


async def test_unknown_command_and_odd_command_names(app: App) -> None:
    for command in ("foo", "ASK@OtherBot", "x" * 500, "ask; drop", ""):
        reply = await app.handle(req(command, "预训练"))
        assert reply.blocks
    rows = await usage_rows(app)
    assert [r["outcome"] for r in rows] == ["bad_input", "ok", "bad_input", "bad_input", "bad_input"]
    assert all(len(str(r["command"])) <= 32 for r in rows)


async def test_usage_row_fields_and_hashing(app: App) -> None:
    await app.handle(req("ask", "为什么预训练会结束", user="987654321", chat="-100555"))
    await app.handle(req("ask", "what's the weather in Beijing", user="987654321", chat="-100555"))
    rows = await usage_rows(app)
    ok, miss = rows
    assert ok["platform"] == "telegram" and ok["command"] == "ask" and ok["outcome"] == "ok"
    assert ok["query"] == "为什么预训练会结束" and ok["talk"] == "ilya-neurips-2024"
    assert ok["top_passage"] == "ilya-neurips-2024/36" and int(str(ok["result_count"])) >= 1
    assert float(str(ok["latency_ms"])) > 0
    assert miss["outcome"] == "no_match" and miss["result_count"] == 0 and miss["top_passage"] is None
    expected = hmac.new(b"test-salt-0123456789", b"telegram:987654321", hashlib.sha256).hexdigest()[:24]
    assert ok["user_hash"] == expected
    assert ok["chat_hash"] != ok["user_hash"]
    # raw ids appear nowhere in the database
    dump = "\n".join(str(r) for r in await app.store.read("SELECT * FROM usage"))
    assert "987654321" not in dump and "100555" not in dump


async def test_handler_crash_becomes_an_apology_and_is_logged(app: App) -> None:
    async def broken(ctx: object, request: Request) -> Reply:
        raise RuntimeError("boom")

    app.router.add(replace(app.router.table["ask"], handler=broken))
    reply = await app.handle(req("ask", "x"))
    assert reply.outcome == "error" and "went wrong" in reply.plain_text
    assert "boom" not in reply.plain_text
    assert (await usage_rows(app))[0]["outcome"] == "error"


async def test_suggest_for_inline_and_autocomplete(app: App) -> None:
    found = await app.suggest(req("inline", "化石燃料"), limit=10)
    assert found and len(found) <= 10
    assert any("化石燃料" in s.reply.plain_text for s in found)
    for s in found:
        assert 1 <= len(s.title) <= 100 and len(s.value) <= 100
        chosen = await app.handle(req("ask", s.value))
        assert chosen.top_passage == s.value[1:]
    today = await app.suggest(req("inline", ""), limit=10)
    assert 1 <= len(today) <= 5 and today[0].title.startswith("Quote of the day")
    assert await app.suggest(req("autocomplete", "NBA 总决赛比分"), limit=25) == []
    assert len(await app.suggest(req("autocomplete", "的"), limit=500)) <= 50
    rows = await usage_rows(app)
    assert [r["command"] for r in rows][:2] == ["inline", "ask"]


def test_commands_metadata_for_menus(app: App) -> None:
    names = [c.name for c in app.commands()]
    assert {"ask", "quote", "summary", "help", "about", "stats", "start"} <= set(names)
    for info in app.commands():
        assert 1 <= len(info.help_en) <= 100 and 1 <= len(info.help_zh) <= 100


async def test_help_and_usage_examples_come_from_the_loaded_talks(app: App) -> None:
    topics = app.ctx.topics_of(None, "en")
    assert topics
    assert f"/ask what is said about {topics[0]}?" in (await app.handle(req("help"))).plain_text
    usage = (await app.handle(req("ask", "", locale="zh"))).plain_text
    assert f"/ask {app.ctx.topics_of(None, 'zh')[0]}是什么" in usage


async def test_the_no_match_hint_names_topics_in_the_language_of_the_question(app: App) -> None:
    english = (await app.handle(req("ask", "what is the best pizza topping", locale="zh"))).plain_text
    assert any(topic in english for topic in app.ctx.topics_of(None, "en"))
    chinese = (await app.handle(req("ask", "今晚吃什么好", locale="en"))).plain_text
    assert any(topic in chinese for topic in app.ctx.topics_of(None, "zh"))
