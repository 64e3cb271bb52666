"""The core assembled: talks, search, storage and router behind the interface adapters use."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import date

from bot.config import Settings
from bot.content.loader import load_library
from bot.content.model import Library, Passage, Quote
from bot.core.commands import PASSAGE_VALUE, quote_block
from bot.core.context import Clock, Context, talk_topics, utc_now
from bot.core.i18n import COMMAND_HELP, t
from bot.core.router import Router, clean
from bot.core.types import Adapter, Block, CommandInfo, Reply, Request, Suggestion
from bot.daily.command import daily_command
from bot.daily.scheduler import DailyScheduler
from bot.ops import heartbeat_key
from bot.search.engine import SUGGEST_CONFIDENCE, SearchEngine
from bot.storage.store import Store

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 15.0
RETENTION_CHECK_SECONDS = 6 * 3600.0
SUGGESTION_TITLE_CHARS = 100


def snippet(text: str, limit: int) -> str:
    """The start of a text on one line, at most limit characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def daily_pick(quotes: tuple[Quote, ...], day: date, offset: int = 0) -> Quote:
    """The same quote for everyone on a given day (inline mode's 'today')."""
    return quotes[(day.toordinal() * 7919 + offset * 104729) % len(quotes)]


class App:
    """The bot's core: answers requests, suggests passages, owns storage and background jobs."""

    def __init__(self, settings: Settings, library: Library, engine: SearchEngine, store: Store,
                 clock: Clock = utc_now) -> None:
        self.settings = settings
        self.default_language = settings.language
        self.ctx = Context(library, engine, store, settings, clock,
                           topics={talk.id: talk_topics(talk, engine.dictionary) for talk in library.talks})
        self.router = Router(self.ctx)
        self.adapters: dict[str, Adapter] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._closing: list[Callable[[], Awaitable[None]]] = []
        self._migration_hooks: list[Callable[[str, str, str], Awaitable[None]]] = []
        self.daily = DailyScheduler(self.ctx, self.adapters)
        self.router.add("daily", daily_command(self.daily.wake))
        self.on_migration(self.daily.chat_migrated)
        self.on_close(self.daily.stop)

    @classmethod
    async def create(cls, settings: Settings, clock: Clock = utc_now) -> App:
        """Load content (raising ContentError), build or load the index, open the database."""
        library = load_library(settings.content_dir)
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
        lang = self.ctx.lang(request)
        limit = max(1, min(limit, 50))
        query = request.args.strip()
        suggestions: list[Suggestion] = []
        top: str | None = None
        try:
            if not query:
                today = self.ctx.clock().date()
                picks: list[Quote] = []
                for offset in range(limit * 3):
                    if len(picks) == min(limit, 5, len(self.catalog.quotes)):
                        break
                    pick = daily_pick(self.catalog.quotes, today, offset)
                    if pick not in picks:
                        picks.append(pick)
                titles = [f"{t(lang, 'daily_title')}: {q.text}" if i == 0 else q.text for i, q in enumerate(picks)]
                suggestions = [self._suggestion(q.passage, quote_block(self.ctx, q, lang), title)
                               for q, title in zip(picks, titles, strict=True)]
            else:
                passage = self.catalog.passage(query[1:]) if query.startswith(PASSAGE_VALUE) else None
                hits = [passage] if passage else [h.passage for h in self.ctx.engine.search(
                    query, limit=limit, min_confidence=SUGGEST_CONFIDENCE)]
                suggestions = [self._suggestion(p, self.ctx.passage_block(p, lang), p.text) for p in hits]
                top = hits[0].key if hits else None
        except Exception:
            log.exception("suggestions for a %s query failed", request.platform)
            suggestions = []
        reply = Reply((), outcome="ok" if suggestions or not query else "no_match",
                      result_count=len(suggestions), top_passage=top)
        self.router.record(request, reply, started)
        return suggestions

    def _suggestion(self, passage: Passage, block: Block, title: str) -> Suggestion:
        """A look-up result: the block as the message to post, the title and its citation on one line each."""
        c = block.citation
        description = f"{c.speaker} · {c.section} ¶{c.paragraph}" if c else ""
        reply = Reply((block,), result_count=1, top_passage=passage.key, talk_id=passage.talk_id)
        return Suggestion(PASSAGE_VALUE + passage.key, snippet(title, SUGGESTION_TITLE_CHARS),
                          snippet(description, SUGGESTION_TITLE_CHARS), reply)

    def commands(self) -> list[CommandInfo]:
        """The user-facing commands, for menus and slash-command registration."""
        return [CommandInfo(name, en, zh, args_en, args_zh) for name, (en, zh, args_en, args_zh)
                in COMMAND_HELP.items() if name in self.router.table]

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
        self._tasks.append(asyncio.create_task(self._heartbeat_loop(), name="heartbeat"))
        self.daily.start()
        if self.settings.log_retention_days > 0:
            self._tasks.append(asyncio.create_task(self._retention_loop(), name="retention"))

    async def beat(self, stopped: bool = False) -> None:
        """Record every component's liveness in the heartbeat table (read by `transcript-bot health`)."""
        now = time.time()
        state = "stopped" if stopped else ""
        rows = [(heartbeat_key("core"), now, int(not stopped), state)] + [
            (heartbeat_key(name), now, int(adapter.is_connected() and not stopped), state)
            for name, adapter in self.adapters.items()]

        async def write(db: object) -> None:
            await db.executemany(  # type: ignore[attr-defined]
                "INSERT OR REPLACE INTO heartbeat (component, ts, connected, detail) VALUES (?, ?, ?, ?)", rows)
        await self.store.write(write)

    async def _heartbeat_loop(self) -> None:
        while True:
            try:
                await self.beat()
            except Exception as exc:
                log.warning("heartbeat not written: %s", exc)
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def prune_usage(self) -> int:
        """Delete usage rows older than BOT_LOG_RETENTION_DAYS; return how many."""
        cutoff = self.ctx.clock().timestamp() - self.settings.log_retention_days * 86400

        async def prune(db: object) -> int:
            cursor = await db.execute("DELETE FROM usage WHERE ts < ?", (cutoff,))  # type: ignore[attr-defined]
            await db.execute("DELETE FROM button_queries WHERE created < ?",  # type: ignore[attr-defined]
                             (time.time() - 30 * 86400,))
            return int(cursor.rowcount)
        removed = await self.store.write(prune)
        if removed:
            log.info("pruned %d usage rows older than %d days", removed, self.settings.log_retention_days)
        return removed

    async def _retention_loop(self) -> None:
        while True:
            try:
                await self.prune_usage()
            except Exception as exc:
                log.warning("usage retention failed: %s", exc)
            await asyncio.sleep(RETENTION_CHECK_SECONDS)

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

