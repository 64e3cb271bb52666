"""Command-line and chat input that used to end in a traceback, a wrong answer or a misleading message."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pytest

from bot.app import App
from bot.config import Settings
from bot.content.loader import load_library
from bot.core.types import Request
from bot.daily.command import Choice, Problem, parse_args
from bot.search.engine import SearchEngine
from bot.storage.usage import BUTTON_DAYS

from .conftest import REPO, SEED_TALK

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX bytes in arguments and devices")


def run(tmp_path: Path, *args: str | bytes, stdin: int | None = subprocess.DEVNULL, env: dict[str, str] | None = None,
        stdout: int | IO[Any] | None = subprocess.PIPE) -> subprocess.CompletedProcess[bytes]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DISCORD_"))}
    environment.update({"BOT_DATABASE": str(tmp_path / "data" / "bot.sqlite3"), "BOT_INDEX_DIR": str(tmp_path / "ix"),
                        "BOT_CONTENT_DIR": str(SEED_TALK.parent), "LC_ALL": "C.UTF-8", **(env or {})})
    return subprocess.run([sys.executable, "-m", "bot", *args], stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                          cwd=REPO, env=environment, timeout=60)


def one_line_error(result: subprocess.CompletedProcess[bytes]) -> str:
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode != 0 and "Traceback" not in err, err
    assert err.startswith("transcript-bot: ") and err.count("\n") == 1, err
    return err


@pytest.mark.parametrize("args", [
    (b"search", b"\xff\xe9\xa2\x84\xe8\xae\xad\xe7\xbb\x83"),
    (b"search", b"--json", b"x\xff"),
    (b"forget", b"--platform", b"telegram", b"--user", b"\xff"),
    (b"stats", b"--days", b"99999999999999999999"),
    (b"stats", b"--days", b"-3"),
    (b"search", b"--limit", b"99999999999999999999", b"x"),
    (b"health", b"--max-age", b"nan"),
])
def test_bad_arguments_end_in_one_line_and_a_non_zero_exit(tmp_path: Path, args: tuple[bytes, ...]) -> None:
    result = run(tmp_path, *args)
    one_line_error(result)
    assert b"\xff" not in result.stdout + result.stderr


def test_output_to_a_full_disk_is_one_line(tmp_path: Path) -> None:
    queries = tmp_path / "queries.txt"
    queries.write_text("预训练\n")
    with open("/dev/full", "wb") as full, queries.open("rb") as source:
        result = run(tmp_path, "search", "--batch", stdin=source.fileno(), stdout=full)
    assert "No space left" in one_line_error(result)


def test_run_with_stdin_closed_ends_at_once(tmp_path: Path) -> None:
    result = subprocess.run(
        ["sh", "-c", 'exec "$0" -m bot run <&-', sys.executable],
        capture_output=True, cwd=REPO, timeout=60, env={**os.environ, "BOT_DATABASE": str(tmp_path / "b.sqlite3"),
                                                         "BOT_HASH_SALT": "x" * 20})
    assert result.returncode == 2 and b"Traceback" not in result.stderr
    assert b"standard input and output" in result.stderr
    batch = subprocess.run(["sh", "-c", 'exec "$0" -m bot search --batch <&-', sys.executable],
                           capture_output=True, cwd=REPO, timeout=60, env=os.environ.copy())
    assert batch.returncode == 2 and batch.stderr.count(b"\n") == 1 and b"standard input is closed" in batch.stderr


def test_a_database_that_is_a_device_is_named_as_such(tmp_path: Path) -> None:
    for command in (("stats",), ("backup", str(tmp_path / "b.sqlite3")), ("forget", "--platform", "console",
                                                                           "--user", "a")):
        assert "not a SQLite file" in one_line_error(run(tmp_path, *command, env={"BOT_DATABASE": "/dev/null"}))
    result = run(tmp_path, "run", env={"BOT_DATABASE": "/dev/null"})
    assert "not a regular file" in one_line_error(result) and "rollback" not in result.stderr.decode()


def test_an_undecodable_login_name_keeps_usage_rows_and_daily(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"], input=b"/daily 08:30 UTC\n/ask \xe9\xa2\x84\xe8\xae\xad\xe7\xbb\x83\n",
        capture_output=True, cwd=REPO, timeout=60,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("BOT_")}, "LOGNAME": "\udcff",
             "USER": "\udcff", "LC_ALL": "C.UTF-8", "BOT_LANGUAGE": "en",
             "BOT_DATABASE": str(tmp_path / "bot.sqlite3"), "BOT_HASH_SALT": "x" * 20})
    assert result.returncode == 0, result.stderr
    assert b"Every day at 08:30" in result.stdout or b"every day at 08:30" in result.stdout
    assert b"could not be queued" not in result.stderr
    rows = sqlite3.connect(tmp_path / "bot.sqlite3").execute("SELECT command, outcome FROM usage").fetchall()
    assert sorted(rows) == [("ask", "ok"), ("daily", "ok")]


# ----- chat input --------------------------------------------------------------------------------------

async def test_more_with_a_unicode_digit_is_bad_input(app: App) -> None:
    reply = await app.handle(Request("telegram", "1", "2", "more", "a79ad3e9b11c6260 ²", chat_kind="private"))
    assert reply.outcome == "bad_input"


async def test_button_state_is_pruned_at_30_days_even_when_usage_is_kept(app: App) -> None:
    assert app.settings.log_retention_days >= 0
    now = app.ctx.clock().timestamp()
    old, fresh = now - (BUTTON_DAYS + 1) * 86400, now
    for key, created in (("old", old), ("fresh", fresh)):
        app.store.submit_row("INSERT INTO button_queries (key, query, talk, created) VALUES (?, 'q', NULL, ?)",
                             (key, created))
    import dataclasses

    app.settings = dataclasses.replace(app.settings, log_retention_days=0)
    await app.prune_usage()
    assert await app.store.read("SELECT key FROM button_queries") == [("fresh",)]


async def test_a_huge_passage_is_shown_cut_with_a_context_button(settings: Settings, tmp_path: Path) -> None:
    import dataclasses

    from bot.adapters.discord_render import render as discord_render
    from bot.adapters.telegram_render import render_reply
    from bot.content.loader import LONG_PARAGRAPH_CHARS

    from .test_content import BODY, HEADER

    folder = tmp_path / "talks"
    folder.mkdir()
    huge = "Gradient descent keeps going. " * 600  # 18,000 characters, under the maximum
    (folder / "t.md").write_text(HEADER + BODY.replace("First paragraph of the talk.", huge), encoding="utf-8")
    app = await App.create(dataclasses.replace(settings, content_dir=folder))
    try:
        for reply in (await app.handle(Request("console", "c", "u", "ask", "gradient descent")),
                      await app.handle(Request("console", "c", "u", "context", "demo/1"))):
            cut = [b for b in reply.blocks if b.text.endswith("…")]
            assert cut and all(len(b.text) <= LONG_PARAGRAPH_CHARS for b in reply.blocks)
            assert len(render_reply(reply)) <= 3 and len(discord_render(reply)) <= 3
        ask = await app.handle(Request("console", "c", "u", "ask", "gradient descent"))
        assert any(b.command == "context" and b.args == "demo/1" for b in ask.buttons)
    finally:
        await app.close()


def test_check_content_warns_about_long_paragraphs_and_refuses_huge_ones(tmp_path: Path) -> None:
    from .test_content import BODY, HEADER

    (tmp_path / "t.md").write_text(HEADER + BODY.replace("First paragraph of the talk.", "Words here. " * 300))
    result = run(tmp_path, "check-content", str(tmp_path))
    assert result.returncode == 0 and b"t.md:17: warning: paragraph of 3,6" in result.stderr
    (tmp_path / "t.md").write_text(HEADER + BODY.replace("First paragraph of the talk.", "Words here. " * 200_000))
    assert "t.md:17: the paragraph starting here has" in one_line_error(run(tmp_path, "check-content", str(tmp_path)))


# ----- /daily: the zone before the talk --------------------------------------------------------------

def test_daily_reads_a_zone_before_a_talk_alias_and_names_a_second_zone(tmp_path: Path) -> None:
    from .test_content import BODY, HEADER

    (tmp_path / "t.md").write_text(HEADER.replace("id: demo", "id: demo\naliases: shanghai") + BODY)
    library = load_library(tmp_path)  # without the check, as an older content folder may hold it
    assert parse_args("08:30 Shanghai", library) == Choice(510, "Asia/Shanghai", None)
    assert parse_args("08:30 UTC demo", library) == Choice(510, "UTC", "demo")
    twice = parse_args("08:30 UTC UTC", library)
    assert isinstance(twice, Problem) and twice.key == "daily_two_zones"
    bad = parse_args("08:30 UTC Mars/Olympus", library)
    assert isinstance(bad, Problem) and bad.key == "daily_bad_zone"


async def test_daily_twice_a_zone_says_so(app: App) -> None:
    reply = await app.handle(Request("telegram", "5", "5", "daily", "08:30 UTC UTC", locale="en",
                                     chat_kind="private", can_manage_chat=True))
    assert reply.outcome == "bad_input" and "one time zone" in reply.plain_text
    assert "not a time zone I know" not in reply.plain_text


# ----- search edges ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def engine() -> SearchEngine:
    return SearchEngine(load_library(SEED_TALK.parent))


@pytest.mark.parametrize("noisy", ["预训练 谢谢", "预训练 pls", "预训练 7", "预训练是什么意思啊", "预训练 😀",
                                   "@everyone 预训练", "预训练到底是什么呀"])
def test_filler_emoji_numbers_and_particles_keep_a_good_question(engine: SearchEngine, noisy: str) -> None:
    plain = [h.passage.key for h in engine.search("预训练")]
    assert plain and [h.passage.key for h in engine.search(noisy)][:1] == plain[:1]


@pytest.mark.parametrize("junk", ["1", "1=1", "42", "@everyone", "<@123456789>", "SELECT * FROM users",
                                  "drop table usage;", "' OR '1'='1", "3.5", "hi", "谢谢"])
def test_junk_with_no_content_words_finds_nothing(engine: SearchEngine, junk: str) -> None:
    assert engine.search(junk) == []


def test_numbers_with_content_still_count(engine: SearchEngine) -> None:
    hits = engine.search("为什么当时只用10层的网络")
    assert hits and "10 层" in hits[0].passage.text
    assert engine.search("o1")


# ----- stopping: SIGTERM always ends the process in time ---------------------------------------------

def test_the_guard_forces_the_exit_at_its_deadline() -> None:
    import threading

    from bot.shutdown import FORCED_EXIT, ShutdownGuard

    exits: list[int] = []
    fired = threading.Event()

    def exit_fn(code: int) -> None:
        exits.append(code)
        fired.set()

    guard = ShutdownGuard(0.05, exit_fn)
    guard.arm()
    guard.arm()  # a second arm keeps the first deadline
    assert fired.wait(10) and exits == [FORCED_EXIT]


async def test_a_stuck_shutdown_step_is_abandoned_within_the_deadline(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio
    import contextlib
    import dataclasses
    import signal
    import threading

    from bot import runtime
    from bot.daily.scheduler import DailyScheduler
    from bot.shutdown import FORCED_EXIT, ShutdownGuard

    release = asyncio.Event()
    started = asyncio.Event()
    forced: list[int] = []
    fired = threading.Event()
    apps: list[App] = []

    class Idle:
        platform = "telegram"

        async def start(self) -> None:
            started.set()

        async def stop(self) -> None:
            return None

        async def send(self, target: object, reply: object) -> None:
            return None

        def is_connected(self) -> bool:
            return True

    async def stuck(self: DailyScheduler) -> None:
        while not release.is_set():  # ignores cancellation until the test lets it go
            with contextlib.suppress(asyncio.CancelledError):
                await release.wait()

    create = App.create

    async def recording_create(*args: Any, **kwargs: Any) -> App:
        apps.append(await create(*args, **kwargs))
        return apps[-1]

    monkeypatch.setattr(runtime, "platform_adapters", lambda settings, app: [Idle()])
    monkeypatch.setattr(DailyScheduler, "stop", stuck)
    monkeypatch.setattr(App, "create", recording_create)

    def exit_fn(code: int) -> None:
        forced.append(code)
        fired.set()

    guard = ShutdownGuard(3.0, exit_fn)
    running = asyncio.create_task(runtime.run_bot(dataclasses.replace(settings, console=False), guard))
    try:
        await asyncio.wait_for(started.wait(), 30)
        signal.raise_signal(signal.SIGTERM)
        assert await asyncio.wait_for(running, 30) == 0  # the stuck steps were left behind
        assert fired.wait(10) and forced == [FORCED_EXIT]  # and a process still alive is ended at the deadline
    finally:
        guard.cancel()
        release.set()
        for app in apps:
            await app.close()


def test_a_signal_delivered_twice_still_stops_cleanly(tmp_path: Path) -> None:
    import signal

    environment = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DISCORD_"))}
    environment.update({"BOT_DATABASE": str(tmp_path / "bot.sqlite3"), "BOT_HASH_SALT": "x" * 20})
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=REPO, env=environment, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(b"/quote\n")
        proc.stdin.flush()
        proc.stdout.readline()  # the console answers: it is running
        proc.send_signal(signal.SIGTERM)
        proc.send_signal(signal.SIGTERM)  # one signal delivered twice (as timeout(1) does): still a clean stop
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
