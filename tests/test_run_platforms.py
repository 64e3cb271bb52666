"""`transcript-bot run` as a real process against the fake Telegram Bot API and the fake Discord.

These play what an operator's smoke test would: commands in private and group chats, look-ups as you type,
hostile and huge input, a rate limit, then SIGTERM; and check the replies, the logs for the token, the
database for raw ids, and the exit.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from tests.conftest import REPO
from tests.fakes.discord_api import DIRECT, GUILD_MEMBER, FakeDiscord, assert_valid_message, text_of
from tests.fakes.telegram_api import FakeTelegramAPI, assert_valid_telegram_html

DISCORD_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"


@asynccontextmanager
async def bot_process(tmp_path: Path, env: dict[str, str]) -> AsyncIterator[asyncio.subprocess.Process]:
    """The bot as a child process, logging at DEBUG to tmp_path/bot.log; killed if a test leaves it running."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DISCORD_"))}
    environment.update({
        "BOT_DATABASE": str(tmp_path / "data" / "bot.sqlite3"),
        "BOT_INDEX_DIR": str(tmp_path / "index"),
        "BOT_LOG_LEVEL": "DEBUG",
        **env,
    })
    log = (tmp_path / "bot.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=REPO, env=environment,
        stdin=asyncio.subprocess.DEVNULL, stdout=log, stderr=log,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        log.close()


async def stop(process: asyncio.subprocess.Process) -> float:
    """SIGTERM the bot; return how long it took to exit (it must exit 0)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(process.wait(), 15)
    assert code == 0
    return loop.time() - started


def database_text(path: Path) -> str:
    """Every value of every table, as text (to look for raw ids)."""
    db = sqlite3.connect(path)
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    dump = [json.dumps(row, ensure_ascii=False, default=str)
            for table in tables for row in db.execute(f"SELECT * FROM {table}")]
    db.close()
    return "\n".join(dump)


async def test_telegram_run_end_to_end(tmp_path: Path) -> None:
    async with FakeTelegramAPI() as fake, bot_process(
        tmp_path, {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.base_url}
    ) as process:
        await fake.wait_for("getUpdates", within=60)
        assert fake.calls_to("setMyCommands")

        fake.rate_limit("sendMessage", retry_after=1)
        fake.private_text("/ask 为什么预训练会结束", user_id=7001001)
        (answer,) = await fake.wait_sent(1, chat_id=7001001, within=20)
        assert "我们只有一个互联网" in answer.params["text"] and answer.params["parse_mode"] == "HTML"
        assert len(fake.calls_to("sendMessage", lambda c: not c.ok)) == 1  # the 429, retried once

        group = fake.group_text("/ask@TranscriptTestBot 化石燃料", chat_id=-1007002002, user_id=7002002)
        (in_group,) = await fake.wait_sent(1, chat_id=-1007002002, within=10)
        assert "化石燃料" in in_group.params["text"]
        assert json.dumps(in_group.params).count(str(group["message_id"])) >= 1  # a reply to the command
        fake.group_text("/ask@SomeOtherBot 化石燃料", chat_id=-1007002002, user_id=7002002)

        fake.private_text("/ask <b>预训练</b> & <script>alert(1)</script> <a href='x'>", user_id=7003003)
        fake.private_text("/ask " + "为什么预训练会结束" * 1000, user_id=7004004)
        fake.inline("化石燃料", user_id=7005005)
        for chat in (7003003, 7004004):
            for call in await fake.wait_sent(1, chat_id=chat, within=10):
                assert_valid_telegram_html(call.params["text"])
        (inline,) = await fake.wait_for("answerInlineQuery", within=10)
        results = json.loads(inline.params["results"]) if isinstance(inline.params["results"], str) else \
            inline.params["results"]
        assert 1 <= len(results) <= 10
        assert len(fake.sent(chat_id=-1007002002)) == 1  # the other bot's command got nothing

        assert await stop(process) < 10
    log = (tmp_path / "bot.log").read_text(encoding="utf-8", errors="replace")
    assert fake.token not in log and fake.token.split(":")[1] not in log
    assert "Traceback" not in log
    stored = database_text(tmp_path / "data" / "bot.sqlite3")
    for raw in ("7001001", "7002002", "1007002002", "7003003", "7004004", "7005005"):
        assert raw not in stored
    db = sqlite3.connect(tmp_path / "data" / "bot.sqlite3")
    commands = [r[0] for r in db.execute("SELECT command FROM usage ORDER BY id")]
    assert commands.count("ask") == 4 and "inline" in commands


async def test_discord_run_end_to_end(tmp_path: Path) -> None:
    fake = FakeDiscord(DISCORD_TOKEN)
    await fake.start()
    try:
        async with bot_process(tmp_path, {
            "DISCORD_BOT_TOKEN": DISCORD_TOKEN, "DISCORD_API_BASE_URL": fake.base_url,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
        }) as process:
            await fake.wait_connected(within=60)
            await fake.wait_for(lambda: None in fake.commands, within=30)
            names = {c["name"] for c in fake.commands[None]}
            assert {"ask", "quote", "summary", "help", "about", "stats", "daily"} <= names

            fake.fail("POST", r"/interactions/\d+/[^/]+/callback", 429, retry_after=0.5)
            asked = await fake.slash("ask", {"question": "为什么预训练会结束"})
            await fake.wait_for(lambda: fake.replies(asked), within=20)
            assert "我们只有一个互联网" in text_of(fake.replies(asked))

            typing = await fake.autocomplete("ask", "question", "化石燃料")
            await fake.wait_for(lambda: typing.responded, within=10)
            choices = fake.callbacks(typing)[-1].json["data"]["choices"]
            assert 1 <= len(choices) <= 25 and all(1 <= len(c["name"]) <= 100 for c in choices)
            chosen = await fake.slash("ask", {"question": choices[0]["value"]}, where=DIRECT)
            await fake.wait_for(lambda: fake.replies(chosen), within=10)

            loud = await fake.slash("ask", {"question": "@everyone <@123> 化石燃料 " + "超级智能" * 1500},
                                    where=GUILD_MEMBER)
            await fake.wait_for(lambda: fake.replies(loud), within=20)
            for payload in fake.message_payloads():
                assert_valid_message(payload)

            assert await stop(process) < 10
    finally:
        await fake.close()
    log = (tmp_path / "bot.log").read_text(encoding="utf-8", errors="replace")
    assert DISCORD_TOKEN not in log and "Traceback" not in log
    stored = database_text(tmp_path / "data" / "bot.sqlite3")
    for raw in (GUILD_MEMBER.user_id, GUILD_MEMBER.channel_id, DIRECT.channel_id):
        assert raw not in stored
