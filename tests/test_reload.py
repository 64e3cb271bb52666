"""Live content: added, changed and removed talk files go live in a running bot without a restart."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings, load_settings
from bot.content.model import TalkHeader
from bot.core.types import Request, Target
from bot.daily import store as subs
from bot.importers.command import import_file

from .conftest import REPO, SEED_TALK
from .pipes import Collector

FIXTURES = Path(__file__).parent / "fixtures"
QUESTION = "how did the daughter learn to read in winter"


def import_lighthouse(folder: Path) -> None:
    """What `transcript-bot import` does (called directly: main() would set up the process's logging)."""
    header = TalkHeader("lighthouse", "Gull Point", "Margaret Hale", "not given", "2024-05-01", "",
                        "https://youtu.be/lh1")
    import_file(FIXTURES / "lighthouse.srt", header, folder)


@pytest.fixture
def live_settings(tmp_path: Path) -> Settings:
    content = tmp_path / "talks"
    content.mkdir()
    shutil.copy(SEED_TALK, content / SEED_TALK.name)
    return load_settings({
        "BOT_CONTENT_DIR": str(content), "BOT_DATABASE": str(tmp_path / "bot.sqlite3"),
        "BOT_INDEX_DIR": str(tmp_path / "index"), "BOT_LANGUAGE": "en", "BOT_HASH_SALT": "test-salt-0123456789",
        "BOT_RELOAD_SECONDS": "3600"})


@pytest.fixture
async def live(live_settings: Settings) -> AsyncIterator[App]:
    core = await App.create(live_settings)
    yield core
    await core.close()


async def ask(app: App, question: str) -> str:
    reply = await app.handle(Request("console", "c", "u", "ask", question))
    return reply.plain_text


async def test_an_imported_file_is_answered_after_a_requested_reload(live: App, live_settings: Settings) -> None:
    assert "tide table" not in await ask(live, QUESTION)
    live.start_background()
    import_lighthouse(live_settings.content_dir)
    live.reloader.request()  # what SIGHUP does; without it the folder is looked at every BOT_RELOAD_SECONDS
    await asyncio.wait_for(live.reloader.reloaded.wait(), 30)
    assert "tide table" in await ask(live, QUESTION)
    assert live.catalog.talk("lighthouse") is not None and live.catalog.talk("ilya") is not None


async def test_unchanged_folder_is_not_rebuilt(live: App) -> None:
    engine = live.ctx.engine
    assert await live.reloader.reload() is False
    assert live.ctx.engine is engine


async def test_broken_files_are_logged_and_skipped_while_the_others_stay(
        live: App, live_settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    folder = live_settings.content_dir
    (folder / "broken.md").write_text("---\nid: broken\n", encoding="utf-8")
    import_lighthouse(folder)
    with caplog.at_level(logging.ERROR, logger="bot.reload"):
        assert await live.reloader.reload() is True
    assert any("broken.md" in r.getMessage() and "skipped" in r.getMessage() for r in caplog.records)
    assert {t.id for t in live.catalog.talks} == {"ilya-neurips-2024", "lighthouse"}
    # a loaded talk that breaks keeps its last good version
    path = folder / "lighthouse.md"
    path.write_text(path.read_text(encoding="utf-8").replace("[0:31]", "[0:01]"), encoding="utf-8")
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="bot.reload"):
        await live.reloader.reload()
    assert any("keeping the version loaded before" in r.getMessage() for r in caplog.records)
    assert "tide table" in await ask(live, QUESTION)
    assert await live.reloader.reload() is False  # not retried until the file changes again


async def test_buttons_keys_and_subscriptions_survive_a_reload(
        live: App, live_settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    import_lighthouse(live_settings.content_dir)
    await live.reloader.reload()
    reply = await live.handle(Request("console", "c", "u", "ask", "pre-training will end"))
    context_key = next(b.args for b in reply.buttons if b.command == "context")
    seed_key = reply.top_passage
    now = live.ctx.clock()
    await subs.save(live.store, Target("console", "room"), "owner", "en", 9 * 60, "UTC", "lighthouse", now)
    # change the lighthouse talk (a new paragraph time) and reload: the seed talk's keys are untouched
    path = live_settings.content_dir / "lighthouse.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n[1:58] One more closing line from the keeper.\n",
                    encoding="utf-8")
    assert await live.reloader.reload() is True
    again = await live.handle(Request("console", "c", "u", "context", context_key))
    assert again.outcome == "ok" and again.top_passage == context_key
    assert live.catalog.passage(seed_key or "") is not None
    path.unlink()
    with caplog.at_level(logging.WARNING, logger="bot.reload"):
        assert await live.reloader.reload() is True
    assert any("'lighthouse' was removed" in r.getMessage() and "every talk" in r.getMessage()
               for r in caplog.records)
    assert live.catalog.talk("lighthouse") is None


def _wait_for(collector: Collector, needle: str, seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while needle not in collector.text:
        assert time.monotonic() < deadline, f"{needle!r} never came: {collector.text[-2000:]}"
        time.sleep(0.05)  # polling another process's output: there is nothing to await


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sighup_makes_a_running_bot_answer_from_a_file_imported_into_its_folder(tmp_path: Path) -> None:
    content = tmp_path / "talks"
    content.mkdir()
    shutil.copy(SEED_TALK, content / SEED_TALK.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DISCORD_"))}
    env.update({"BOT_DATABASE": str(tmp_path / "data" / "bot.sqlite3"), "BOT_LANGUAGE": "en",
                "BOT_HASH_SALT": "reload-salt-0123456789", "BOT_CONTENT_DIR": str(content),
                "BOT_RELOAD_SECONDS": "0"})
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=REPO, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    assert proc.stdin is not None
    out, err = Collector(proc.stdout), Collector(proc.stderr)
    out.start()
    err.start()
    try:
        proc.stdin.write("/help\n")
        proc.stdin.flush()
        _wait_for(out, "/ask")
        imported = subprocess.run(
            [sys.executable, "-m", "bot", "import", str(FIXTURES / "lighthouse.srt"), "--id", "lighthouse",
             "--title", "Gull Point", "--speaker", "Margaret Hale", "--source", "https://youtu.be/lh1", "--out",
             str(content)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert imported.returncode == 0, imported.stderr
        os.kill(proc.pid, signal.SIGHUP)
        _wait_for(err, "content reloaded")
        proc.stdin.write(f"/ask {QUESTION}\n")
        proc.stdin.flush()
        _wait_for(out, "tide table")
        assert "https://youtu.be/lh1?t=29" in out.text
    finally:
        proc.stdin.close()
        proc.wait(timeout=60)
    assert proc.returncode == 0


async def test_a_large_index_is_built_in_a_child_process(live: App, live_settings: Settings,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr("bot.reload.CHILD_BUILD_PASSAGES", 0)
    built: list[list[str]] = []
    original = live.reloader._build_in_child

    def spy(paths: list[str]) -> None:
        built.append(paths)
        original(paths)

    monkeypatch.setattr(live.reloader, "_build_in_child", spy)
    import_lighthouse(live_settings.content_dir)
    with caplog.at_level(logging.INFO):
        assert await live.reloader.reload() is True
    assert built and len(built[0]) == 2
    assert not any("child process" in r.getMessage() or "rebuilding" in r.getMessage() for r in caplog.records)
    assert (live_settings.index_path / "index.npz").exists()
    assert "tide table" in await ask(live, QUESTION)
