"""Stopping and crashing: SIGTERM drains and exits 0 with every answered command logged; SIGKILL loses nothing
that was reported committed and leaves a sound database."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from bot.core.types import Block, Reply, Request, Target
from bot.runtime import DaemonExecutor, DrainingCore, _stop_adapters

from .conftest import REPO
from .pipes import Collector

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")

COMMANDS = ("/ask why will pre-training end", "/quote", "/summary", "/ask 化石燃料", "/quote superintelligence",
            "/ask what is the long-term future of AI", "/ask 为什么只用10层的网络")
REPLY_MARK = "[Watch the talk: "  # the button line every one of these replies ends with


def clean_env(database: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_", "DISCORD_"))}
    env.update({"BOT_DATABASE": str(database), "BOT_LANGUAGE": "en", "BOT_HASH_SALT": "shutdown-salt-0123456789"})
    return env


def test_sigterm_drains_logs_every_answered_command_and_exits_0(tmp_path: Path) -> None:
    database = tmp_path / "data" / "bot.sqlite3"
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=REPO, env=clean_env(database),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8")
    assert proc.stdin is not None
    out, err = Collector(proc.stdout), Collector(proc.stderr)
    out.start()
    err.start()
    try:
        # far more commands than can be answered before the signal; the pipe stays open afterwards
        lines = [random.Random(i).choice(COMMANDS) for i in range(3000)]
        proc.stdin.write("\n".join(lines) + "\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 30
        while out.text.count(REPLY_MARK) < 50 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.01)
        assert out.text.count(REPLY_MARK) >= 50, err.text
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdin.close()
    out.join(5)
    err.join(5)
    assert code == 0, err.text
    assert elapsed < 10
    answered = out.text.count(REPLY_MARK)
    assert answered < len(lines)  # it really was stopped part-way
    rows = sqlite3.connect(database).execute("SELECT COUNT(*) FROM usage").fetchone()[0]
    assert rows == answered, f"{answered} replies printed, {rows} usage rows"
    assert "SIGTERM received" in err.text and "usage log flushed, database closed" in err.text
    assert "Traceback" not in err.text


def test_sigterm_on_an_idle_console_with_open_stdin(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=REPO, env=clean_env(database),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("/quote\n")
        proc.stdin.flush()
        while REPLY_MARK not in (proc.stdout.readline() or REPLY_MARK):
            pass
        time.sleep(0.2)  # the console is now blocked reading the pipe
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert sqlite3.connect(database).execute("SELECT COUNT(*) FROM usage").fetchone() == (1,)


# ----- the pieces run_bot uses ----------------------------------------------------------------------


class SlowApp:
    """A core whose answers take a while."""

    default_language = "en"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started: list[str] = []
        self.answered: list[str] = []
        self.second = asyncio.Event()

    async def handle(self, request: Request) -> Reply:
        self.started.append(request.args)
        if len(self.started) == 2:
            self.second.set()
        await asyncio.sleep(self.seconds)
        self.answered.append(request.args)
        return Reply((Block("text", request.args),))

    async def suggest(self, request: Request, limit: int) -> list[object]:
        return []

    def commands(self) -> list[object]:
        return []

    async def chat_migrated(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        return None

    def register(self, adapter: object) -> None:
        return None


class FakeConsole:
    platform = "console"

    def __init__(self, core: DrainingCore) -> None:
        self.core = core
        self.printed: list[str] = []
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        async def loop() -> None:
            for n in range(100):
                reply = await self.core.handle(Request("console", "c", "u", "ask", str(n)))
                self.printed.append(reply.plain_text)
        self.task = asyncio.create_task(loop())

    async def stop(self) -> None:
        assert self.task is not None
        self.task.cancel()

    async def send(self, target: Target, reply: Reply) -> None:
        return None

    def is_connected(self) -> bool:
        return True


class StuckAdapter:
    platform = "stuck"

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        await asyncio.sleep(3600)

    async def send(self, target: Target, reply: Reply) -> None:
        return None

    def is_connected(self) -> bool:
        return True


async def test_in_flight_console_command_finishes_and_no_new_one_starts() -> None:
    app = SlowApp(0.3)
    gate = DrainingCore(app)  # type: ignore[arg-type]
    console = FakeConsole(gate)
    await console.start()
    await asyncio.wait_for(app.second.wait(), 5)  # the second command is in flight
    started = time.monotonic()
    await _stop_adapters([console], console, gate, seconds=5)
    assert time.monotonic() - started < 1.0
    assert app.answered == ["0", "1"] and console.printed == ["0", "1"]
    await asyncio.sleep(0.4)
    assert app.started == app.answered == ["0", "1"]


async def test_stopping_is_bounded_by_one_deadline() -> None:
    app = SlowApp(10)
    gate = DrainingCore(app)  # type: ignore[arg-type]
    console = FakeConsole(gate)
    await console.start()
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await _stop_adapters([StuckAdapter(), console], console, gate, seconds=0.5)
    assert time.monotonic() - started < 2.0
    assert app.answered == []


def test_daemon_executor_does_not_wait_for_a_blocked_read() -> None:
    executor = DaemonExecutor()
    read, write = os.pipe()
    try:
        blocked = executor.submit(os.read, read, 1)
        quick = executor.submit(sum, [1, 2, 3])
        assert quick.result(timeout=5) == 6
        started = time.monotonic()
        executor.shutdown(wait=True)
        assert time.monotonic() - started < DaemonExecutor.JOIN_SECONDS + 0.5
        assert not blocked.done()
    finally:
        os.write(write, b"x")
        os.close(write)
    assert blocked.result(timeout=5) == b"x"
    os.close(read)


# ----- crash safety --------------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import asyncio, logging, sys, time
    from pathlib import Path
    from bot.logs import setup_logging
    from bot.storage.store import Store, UsageEvent

    async def main():
        setup_logging("DEBUG")
        store = await Store.open(Path(sys.argv[1]), "crash-salt-0123456789")
        start = int(sys.argv[2])
        n = 0
        while True:
            for _ in range(250):
                n += 1
                store.log(UsageEvent(time.time(), "console", "c", "u", "ask", f"query {start + n} " + "x" * 200,
                                     "t", 1, "t/1", 0.5, "ok"))
            async def beat(db, n=n):
                await db.execute("INSERT OR REPLACE INTO heartbeat (component, ts, connected) VALUES "
                                 "('core', ?, 1)", (float(n),))
            store.submit(beat)
            await asyncio.sleep(0)
            if n % 2000 == 0:
                await store.flush()
                print(start + n, flush=True)  # everything up to here is committed
                logging.getLogger("crash").debug("committed %d", start + n)

    asyncio.run(main())
""")


def test_sigkill_mid_write_keeps_every_committed_row(tmp_path: Path) -> None:
    database = tmp_path / "crash.sqlite3"
    env = clean_env(database)
    rng = random.Random(1)
    committed = 0
    for _round in range(3):  # kill, reopen (WAL recovery), kill again
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(database), str(committed)], cwd=REPO, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert proc.stdout is not None
        target = committed + rng.randrange(6000, 20000)
        reported = committed
        try:
            for line in proc.stdout:
                reported = int(line)
                if reported >= target:
                    break
            time.sleep(rng.uniform(0, 0.05))  # somewhere inside the next batches
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == -signal.SIGKILL
        assert reported > committed
        db = sqlite3.connect(database)
        try:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            count = db.execute("SELECT COUNT(*) FROM usage").fetchone()[0]
            assert count >= reported, f"{reported} reported committed, {count} in the database"
            numbers = {int(q.split()[1]) for (q,) in db.execute("SELECT query FROM usage")}
            assert set(range(1, reported + 1)) <= numbers
        finally:
            db.close()
        committed = count


class HangingStart(StuckAdapter):
    platform = "hanging"

    def __init__(self) -> None:
        self.cancelled = False

    async def start(self) -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            self.cancelled = True
            raise


async def test_a_stop_signal_while_an_adapter_is_connecting_abandons_the_start() -> None:
    from bot.runtime import _start_unless_stopped

    stop = asyncio.Event()
    adapter = HangingStart()
    loop = asyncio.get_running_loop()
    loop.call_later(0.1, stop.set)
    started = time.monotonic()
    assert await _start_unless_stopped(adapter, stop) is False
    assert adapter.cancelled and time.monotonic() - started < 2
    assert await _start_unless_stopped(StuckAdapter(), asyncio.Event()) is True
