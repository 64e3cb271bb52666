"""The core assembled: talks, search, storage and router behind the interface adapters use."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable

from bot.config import Settings
from bot.content.loader import load_library
from bot.content.model import Library
from bot.core.context import Clock, Context, utc_now
from bot.core.router import Router, clean
from bot.core.suggest import suggest
from bot.core.types import Adapter, CommandInfo, Reply, Request, Suggestion
from bot.daily.scheduler import DailyScheduler
from bot.registry import COMMANDS, reserved_name
from bot.reload import ContentReloader
from bot.search.engine import SearchEngine
from bot.search.topics import TopicCache
from bot.storage import heartbeat, usage
from bot.storage.feedback import prune_answers
from bot.storage.store import Store

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
RETENTION_CHECK_SECONDS = 6 * 3600.0


class App:
    """The bot's core: answers requests, suggests passages, owns storage and background jobs."""

    def __init__(self, settings: Settings, library: Library, engine: SearchEngine, store: Store,
                 clock: Clock = utc_now, wall: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.wall = wall  # seconds since the epoch for heartbeats, which other processes compare with theirs
        self.default_language = settings.language
        self.ctx = Context(library, engine, store, settings, clock, owners=settings.owner_ids,
                           topics=TopicCache(library.talks, engine.dictionary))
        self.router = Router(self.ctx, COMMANDS)
        self.adapters: dict[str, Adapter] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._closing: list[Callable[[], Awaitable[None]]] = []
        self._migration_hooks: list[Callable[[str, str, str], Awaitable[None]]] = []
        self.daily = DailyScheduler(self.ctx, self.adapters)
        self.ctx.watchers.setdefault("daily", []).append(self.daily.wake)
        self.on_migration(self.daily.chat_migrated)
        self.on_close(self.daily.stop)
        self.reloader = ContentReloader(self.ctx, settings.content_dir, settings.index_path)

    @classmethod
    async def create(cls, settings: Settings, clock: Clock = utc_now) -> App:
        """Load content (raising ContentError), build or load the index, open the database."""
        library = load_library(settings.content_dir, reserved_name)
        engine = SearchEngine(library, settings.index_path)
        store = await Store.open(settings.database, settings.hash_salt)
        return cls(settings, library, engine, store, clock)

    @property
    def store(self) -> Store:
        return self.ctx.store

    @property
    def catalog(self) -> Library:
        return self.ctx.catalog

    # -- the Core interface ---------------------------------------------------------------------

    async def handle(self, request: Request) -> Reply:
        """Answer one command (logged in the usage log, never raises)."""
        return await self.router.dispatch(request)

    async def suggest(self, request: Request, limit: int) -> list[Suggestion]:
        """Passages for inline mode and autocomplete; an empty query offers today's quote and a few more."""
        started = time.perf_counter()
        request = clean(request)
        try:
            found, top = suggest(self.ctx, request, limit)
        except Exception:
            log.exception("suggestions for a %s query failed", request.platform)
            found, top = [], None
        reply = Reply((), outcome="ok" if found or not request.args.strip() else "no_match",
                      result_count=len(found), top_passage=top)
        self.router.record(request, reply, started)
        return found

    def commands(self) -> list[CommandInfo]:
        """The user-facing commands, for menus and slash-command registration."""
        return self.router.commands()

    async def chat_migrated(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """A chat changed its id (Telegram group → supergroup): move what is stored for it."""
        for hook in self._migration_hooks:
            await hook(platform, old_chat_id, new_chat_id)

    def on_migration(self, hook: Callable[[str, str, str], Awaitable[None]]) -> None:
        """Call hook(platform, old_id, new_id) when a chat changes its id."""
        self._migration_hooks.append(hook)

    def register(self, adapter: Adapter) -> None:
        """Make an adapter the sender for its platform (broadcasts use its send())."""
        self.adapters[adapter.platform] = adapter

    # -- background jobs ------------------------------------------------------------------------

    def start_background(self) -> None:
        """Start the heartbeat, the daily quote scheduler and the usage-log retention jobs."""
        self._tasks.append(asyncio.create_task(
            self._every(HEARTBEAT_SECONDS, self.beat, "heartbeat not written"), name="heartbeat"))
        self.daily.start()
        self._tasks.append(asyncio.create_task(self.reloader.run(self.settings.reload_seconds), name="reload"))
        # always: button state has its own bound (usage.BUTTON_DAYS) whatever the usage retention is
        self._tasks.append(asyncio.create_task(
            self._every(RETENTION_CHECK_SECONDS, self.prune_usage, "usage retention failed"), name="retention"))

    async def beat(self, stopped: bool = False) -> None:
        """Record every component's liveness in the heartbeat table (read by `transcript-bot health`)."""
        await heartbeat.beat(self.store, {name: adapter.is_connected() for name, adapter in self.adapters.items()},
                             self.wall(), stopped)

    async def prune_usage(self) -> int:
        """Delete usage rows older than BOT_LOG_RETENTION_DAYS (none when it is 0) and button state older than
        usage.BUTTON_DAYS; return how many usage rows."""
        now = self.ctx.clock().timestamp()
        days = self.settings.log_retention_days
        cutoff = now - days * 86400 if days > 0 else float("-inf")
        removed = await usage.prune(self.store, cutoff, now)
        await prune_answers(self.store, cutoff)
        if removed:
            log.info("pruned %d usage rows older than %d days", removed, self.settings.log_retention_days)
        return removed

    @staticmethod
    async def _every(seconds: float, job: Callable[[], Awaitable[object]], failure: str) -> None:
        """Run a background job now and then every `seconds`; a failure is logged and the job goes on."""
        while True:
            try:
                await job()
            except Exception as exc:
                log.warning("%s: %s", failure, exc)
            await asyncio.sleep(seconds)

    def on_close(self, fn: Callable[[], Awaitable[None]]) -> None:
        """Run fn when the app closes (before the database is)."""
        self._closing.append(fn)

    async def close(self) -> None:
        """Stop background jobs, flush the usage log and close the database."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for fn in self._closing:
            with contextlib.suppress(Exception):
                await fn()
        if self._tasks:  # it ran: say it stopped, so `health` does not vouch for a stopped bot
            with contextlib.suppress(Exception):
                await self.beat(stopped=True)
        await self.store.close()

