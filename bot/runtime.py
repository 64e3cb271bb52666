"""The running bot: builds the configured adapters and runs the lifecycle (start, heartbeats, SIGTERM, drain)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TextIO, TypeVar

from bot.adapters.console import ConsoleAdapter
from bot.app import App
from bot.config import Settings
from bot.core.types import Adapter, CommandInfo, Core, Reply, Request, Suggestion
from bot.daily.deliveries import TickReport
from bot.logs import protect_handlers
from bot.storage import heartbeat

P = ParamSpec("P")
T = TypeVar("T")

log = logging.getLogger("bot")
STOP_SECONDS = 9.0
RUNNING_SECONDS = 60.0  # a core heartbeat younger than this means the bot is running (it beats every 15 s)


def platform_adapters(settings: Settings, core: Core) -> list[Adapter]:
    """The adapters of the configured platforms (not started; each platform library loaded only if used)."""
    adapters: list[Adapter] = []
    if settings.telegram is not None:
        from bot.adapters.telegram import TelegramAdapter

        adapters.append(TelegramAdapter(core, settings.telegram))
    if settings.discord is not None:
        from bot.adapters.discord import DiscordAdapter

        adapters.append(DiscordAdapter(core, settings.discord))
    return adapters


class DaemonExecutor(ThreadPoolExecutor):
    """The loop's default executor, on daemon threads that shutdown does not wait for.

    The console reads stdin with a blocking readline() in an executor thread; with the standard executor a
    pipe that stays open would keep the process alive after SIGTERM (asyncio.run and interpreter exit both
    join that thread). Short jobs (DNS lookups) still finish: shutdown waits for them up to a bound.
    """

    JOIN_SECONDS = 1.0

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="bot-io")
        self._live: set[threading.Thread] = set()
        self._guard = threading.Lock()

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        future: Future[T] = Future()

        def work() -> None:
            try:
                if future.set_running_or_notify_cancel():
                    try:
                        result = fn(*args, **kwargs)
                    except BaseException as exc:
                        future.set_exception(exc)
                    else:
                        future.set_result(result)
            finally:
                with self._guard:
                    self._live.discard(thread)

        thread = threading.Thread(target=work, name="bot-io", daemon=True)
        with self._guard:
            self._live.add(thread)
        thread.start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        if wait:
            deadline = time.monotonic() + self.JOIN_SECONDS
            with self._guard:
                live = list(self._live)
            for thread in live:
                thread.join(max(0.0, deadline - time.monotonic()))
        super().shutdown(wait=False, cancel_futures=cancel_futures)


class DrainingCore:
    """The core as the console sees it: counts requests in flight; once closed, new ones wait forever
    (they are cancelled unanswered when the console stops) while those already running finish."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.default_language = app.default_language
        self._open = True
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def _gate(self) -> None:
        if not self._open:
            await asyncio.Event().wait()
        self._inflight += 1
        self._idle.clear()

    def _leave(self) -> None:
        self._inflight -= 1
        if self._inflight == 0:
            self._idle.set()

    async def handle(self, request: Request) -> Reply:
        await self._gate()
        try:
            return await self.app.handle(request)
        finally:
            self._leave()

    async def suggest(self, request: Request, limit: int) -> list[Suggestion]:
        await self._gate()
        try:
            return await self.app.suggest(request, limit)
        finally:
            self._leave()

    def commands(self) -> list[CommandInfo]:
        return self.app.commands()

    async def chat_migrated(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        await self.app.chat_migrated(platform, old_chat_id, new_chat_id)

    def register(self, adapter: Adapter) -> None:
        self.app.register(adapter)

    async def drain(self) -> None:
        """Take no new requests; return when those in flight have been answered."""
        self._open = False
        await self._idle.wait()


async def _stop_adapters(adapters: list[Adapter], console: Adapter | None, gate: DrainingCore | None,
                         seconds: float) -> None:
    """Stop every adapter at once (each stops taking updates and finishes its in-flight replies), all within
    one deadline; the console first lets its in-flight command finish."""

    async def stop_console() -> None:
        assert console is not None and gate is not None
        try:
            await asyncio.wait_for(gate.drain(), seconds)
        except TimeoutError:
            log.warning("console: a command still running at shutdown is abandoned")
        await console.stop()

    async def stop(adapter: Adapter) -> None:
        try:
            await (stop_console() if adapter is console else adapter.stop())
        except Exception as exc:
            log.warning("%s adapter did not stop cleanly: %s", adapter.platform, exc)

    tasks = [asyncio.create_task(stop(adapter), name=f"stop-{adapter.platform}") for adapter in adapters]
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=seconds)
    for task in pending:
        log.warning("%s adapter did not stop within %.0f s", task.get_name().removeprefix("stop-"), seconds)
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=1.0)


async def _start_unless_stopped(adapter: Adapter, stop: asyncio.Event) -> bool:
    """Start an adapter; a stop signal while it is still connecting abandons the start (False)."""
    starting = asyncio.create_task(adapter.start(), name=f"start-{adapter.platform}")
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({starting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if starting.done():
        starting.result()  # a failed start raises here
        return True
    log.info("%s adapter: start abandoned, the bot is stopping", adapter.platform)
    starting.cancel()
    await asyncio.wait({starting}, timeout=STOP_SECONDS / 3)
    return False


async def run_bot(settings: Settings) -> int:
    """Start every configured adapter (the console when no token is set) and serve until told to stop.

    SIGTERM or SIGINT: the daily scheduler stops (its pending deliveries released, sends under way finished
    briefly), adapters stop taking updates and finish in-flight replies (within STOP_SECONDS), then the usage
    log is flushed and the database closed; the exit code is 0.
    """
    loop = asyncio.get_running_loop()
    loop.set_default_executor(DaemonExecutor())
    stop = asyncio.Event()

    def on_signal(name: str) -> None:
        if stop.is_set():
            log.info("%s: already shutting down", name)
        else:
            log.info("%s received: stopping", name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_signal, sig.name)
    app = await App.create(settings)
    with contextlib.suppress(NotImplementedError, RuntimeError, AttributeError):  # SIGHUP: reload the talks now
        loop.add_signal_handler(signal.SIGHUP, app.reloader.request)
    adapters = platform_adapters(settings, app)
    gate = DrainingCore(app) if settings.console_enabled else None
    console = ConsoleAdapter(gate) if gate is not None else None
    if console is not None:
        adapters.append(console)
    for adapter in adapters:
        app.register(adapter)
    started: list[Adapter] = []
    code = 0
    try:
        for adapter in adapters:
            if not await _start_unless_stopped(adapter, stop):
                break
            started.append(adapter)
            log.info("%s adapter started", adapter.platform)
        protect_handlers()  # handlers the platform libraries may have added while starting
        app.start_background()
        waits = [asyncio.create_task(stop.wait())]
        if console is not None and len(adapters) == 1:
            waits.append(asyncio.create_task(console.done.wait()))
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in waits:
            task.cancel()
        log.info("shutting down")
    except Exception as exc:
        log.error("could not start: %s", exc)
        code = 1
    finally:
        await shutdown(app, started, console, gate)
    return code


async def shutdown(app: App, started: list[Adapter], console: Adapter | None = None,
                   gate: DrainingCore | None = None) -> None:
    """Stop in order: the daily scheduler, the adapters (within STOP_SECONDS), then the app and its database."""
    # the daily scheduler first: deliveries not yet sending release their claims (the restarted process
    # sends them), sends under way finish while the adapters can still carry them
    try:
        await app.daily.stop()
    except Exception as exc:
        log.warning("daily scheduler did not stop cleanly: %s", exc)
    await _stop_adapters(started, console, gate, STOP_SECONDS)
    await app.close()
    log.info("stopped: usage log flushed, database closed")


async def start_platforms(app: App, out: TextIO) -> list[Adapter]:
    """Build, register and start the configured platform adapters; those that fail to start are reported."""
    started: list[Adapter] = []
    for adapter in platform_adapters(app.settings, app):
        app.register(adapter)
        try:
            await adapter.start()
        except Exception as exc:
            out.write(f"{adapter.platform}: could not start ({type(exc).__name__}: {exc})\n")
            continue
        started.append(adapter)
    return started


async def bot_running(app: App) -> bool:
    """Whether a bot's core (on any host sharing the database) wrote a live heartbeat within the last minute."""
    return await heartbeat.core_alive(app.store, app.wall(), RUNNING_SECONDS)


async def send_daily_now(settings: Settings, out: TextIO, force: bool = False) -> TickReport | None:
    """Start the configured adapters and send today's quote to every active chat not yet served today.

    None when nothing was tried because a bot seems to be running (and force is not given).
    """
    app = await App.create(settings)
    started: list[Adapter] = []
    try:
        if not force and await bot_running(app):
            out.write("daily send-now: the bot seems to be running (a heartbeat within the last minute); stop it "
                      "first, or pass --force (nothing is sent twice either way, but two processes would share "
                      "the platform connection)\n")
            return None
        started = await start_platforms(app, out)
        return await app.daily.send_now()
    finally:
        await shutdown(app, started)
