"""The embedded default: `transcript-bot run` with no token is a console reading commands from stdin."""

from __future__ import annotations

import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.adapters.console import ConsoleAdapter, parse_line, render
from bot.app import App
from bot.core.types import Request

from .conftest import REPO


def run_cli(
    tmp_path: Path, stdin: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DISCORD_"))}
    environment.update({"BOT_DATABASE": str(tmp_path / "data" / "bot.sqlite3"), **(env or {})})
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          cwd=REPO, env=environment, timeout=60)


def test_piped_commands_print_passage_quote_and_key_points(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "/ask 为什么预训练会结束\n/quote\n/summary\n", "run")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "我们只有一个互联网" in out
    assert "Ilya Sutskever" in out and "¶36" in out and "https://www.youtube.com/watch?v=WQQdd6qGxNs" in out
    assert out.count("“") >= 1  # the quote
    assert "Ilya 认为,互联网数据资源就像化石燃料般正在逐渐枯竭" in out  # first key point
    assert "Traceback" not in out + result.stderr
    rows = sqlite3.connect(tmp_path / "data" / "bot.sqlite3").execute("SELECT command FROM usage").fetchall()
    assert [r[0] for r in rows] == ["ask", "quote", "summary"]


def test_plain_text_is_a_question_and_bad_lines_are_answered(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "化石燃料\n\n/nope\n\x00\x01\n/ask <b>x</b>\n", "run",
                     env={"BOT_LANGUAGE": "en"})
    assert result.returncode == 0, result.stderr
    assert "化石燃料" in result.stdout
    assert "I don't know the command /nope" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_malformed_content_stops_startup_naming_file_and_line(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "broken.md").write_text("---\nid: x\n", encoding="utf-8")
    result = run_cli(tmp_path, "", "run", env={"BOT_CONTENT_DIR": str(content)})
    assert result.returncode == 2
    assert "broken.md:1: the header opened with '---' is never closed" in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_database_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = run_cli(tmp_path, "/help\n", "run", env={"BOT_DATABASE": str(blocker / "db.sqlite3")})
    assert result.returncode == 2
    assert "BOT_DATABASE" in result.stderr and "Traceback" not in result.stderr


def test_check_content_reports_ok(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "", "check-content")
    assert result.returncode == 0 and result.stdout.startswith("OK: 1 talk(s)")


def test_parse_and_render() -> None:
    assert parse_line("/ask 为什么") == ("ask", "为什么")
    assert parse_line("just text") == ("ask", "just text")


async def test_console_adapter_in_process(app: App) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(app, stdin=io.StringIO("/help\n/quote 超级智能\n"), stdout=out)
    await console.start()
    await console.done.wait()
    assert "/ask" in out.getvalue() and "超级智能" in out.getvalue()
    reply = await app.handle(Request("console", "console", "me", "summary"))
    assert "Key points" in render(reply)
