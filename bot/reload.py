"""Live content: a running bot picks up added, changed and removed talk files without a restart.

The folder is looked at every BOT_RELOAD_SECONDS and at once on request (SIGHUP). A new library and
search index are built on a worker thread while the old ones keep answering; then both are swapped in
at once. Unchanged files are not parsed again. A broken file is named in the log and skipped (a talk
that was loaded before keeps its last good version); the other talks stay up. Passage keys are
"<talk id>/<n>", so buttons and stored keys of a talk that was kept still work after a reload.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bot.content.loader import ContentError, GlossaryCache, load_talk, talk_files
from bot.content.model import Library, Talk
from bot.core.context import Context
from bot.daily import store as subs
from bot.search.engine import SearchEngine
from bot.search.index import load_or_build
from bot.search.topics import TopicCache

log = logging.getLogger(__name__)
CHILD_BUILD_PASSAGES = 20_000  # from this many passages on, the new index is built in a child process


def build_index_file(paths: list[str], index_dir: str) -> None:
    """Build and persist the search index of these talk files (run in a child process: a large build would
    otherwise hold the interpreter lock for long stretches while the bot answers)."""
    talks = Library([load_talk(Path(p)) for p in paths])
    load_or_build([p.text for p in talks.passages], Path(index_dir))


@dataclass(frozen=True, slots=True)
class Stamp:
    """What tells that a file changed: modification time, size and inode."""

    mtime_ns: int
    size: int
    inode: int


def stamp(path: Path) -> Stamp | None:
    """The file's stamp, or None when it is not a regular file (any more)."""
    try:
        info = path.stat()
    except OSError:
        return None
    if not os.path.isfile(path):
        return None
    return Stamp(info.st_mtime_ns, info.st_size, info.st_ino)


@dataclass(slots=True)
class _Built:
    catalog: Library
    engine: SearchEngine
    topics: TopicCache
    known: dict[Path, tuple[Stamp, Talk]]
    broken: dict[Path, Stamp]


class ContentReloader:
    """Watches the content folder and swaps a freshly built library and index into the context."""

    def __init__(self, ctx: Context, directory: Path, index_dir: Path | None) -> None:
        self.ctx = ctx
        self.directory = directory
        self.index_dir = index_dir
        self.known: dict[Path, tuple[Stamp, Talk]] = {}
        for talk in ctx.catalog.talks:
            found = stamp(Path(talk.path))
            if found is not None:
                self.known[Path(talk.path)] = (found, talk)
        self.broken: dict[Path, Stamp] = {}
        self.reloads = 0
        self.reloaded = asyncio.Event()  # set at every swap (tests and tools wait on it)
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()

    def request(self) -> None:
        """Reload as soon as possible (the SIGHUP handler)."""
        log.info("content reload requested")
        self._wake.set()

    async def run(self, interval: float) -> None:
        """Look for changes every interval seconds (0: only when requested) until cancelled."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), interval if interval > 0 else None)
            self._wake.clear()
            try:
                await self.reload()
            except Exception:
                log.exception("content reload failed; the talks loaded before stay up")

    def _snapshot(self) -> dict[Path, Stamp]:
        if not self.directory.is_dir():
            return {}
        found = {path: stamp(path) for path in talk_files(self.directory)}
        return {path: s for path, s in found.items() if s is not None}

    def _unchanged(self, snapshot: dict[Path, Stamp]) -> bool:
        seen = {path: s for path, (s, _) in self.known.items()} | self.broken
        return snapshot == seen

    async def reload(self) -> bool:
        """Rebuild from the folder when a file was added, changed or removed; True when swapped in."""
        async with self._lock:
            snapshot = await asyncio.to_thread(self._snapshot)
            if self._unchanged(snapshot):
                return False
            fresh = await asyncio.to_thread(self._build, snapshot)
            if fresh is None:
                return False
            before = {t.id for t in self.ctx.catalog.talks}
            self.ctx.catalog, self.ctx.engine, self.ctx.topics = fresh.catalog, fresh.engine, fresh.topics
            self.known, self.broken = fresh.known, fresh.broken
            self.reloads += 1
            self.reloaded.set()
        after = {t.id for t in fresh.catalog.talks}
        log.info("content reloaded: %d talk(s), %d passages (added %s, removed %s)", len(fresh.catalog.talks),
                 len(fresh.catalog.passages), ", ".join(sorted(after - before)) or "none",
                 ", ".join(sorted(before - after)) or "none")
        for talk_id in sorted(before - after):
            await self._orphaned(talk_id)
        return True

    def _build_in_child(self, paths: list[str]) -> None:
        """Have a child process write the new index file; on any failure the index is built here instead."""
        try:
            with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
                pool.submit(build_index_file, paths, str(self.index_dir)).result()
        except Exception as exc:
            log.warning("content: the index could not be built in a child process (%s); building it here", exc)

    async def _orphaned(self, talk_id: str) -> None:
        """Say what happens to the daily subscriptions of a talk that is gone."""
        try:
            count = sum(sub.talk == talk_id for sub in await subs.active(self.ctx.store))
        except Exception as exc:
            log.warning("content: could not count the subscriptions of removed talk %r: %s", talk_id, exc)
            return
        if count:
            log.warning("content: talk %r was removed; its %d daily subscription(s) now get quotes from every talk",
                        talk_id, count)

    def _build(self, snapshot: dict[Path, Stamp]) -> _Built | None:
        """The new library, index and topics (on a worker thread); None when no talk would be left."""
        known: dict[Path, tuple[Stamp, Talk]] = {}
        stale = False  # a talk kept at its last good version: the files on disk are not what is loaded
        broken: dict[Path, Stamp] = {}
        glossaries: GlossaryCache = {}
        talks: list[Talk] = []
        names: dict[str, Path] = {}
        for path, current in sorted(snapshot.items()):
            old = self.known.get(path)
            if old is not None and old[0] == current:
                talk = old[1]
            elif self.broken.get(path) == current:
                continue
            else:
                try:
                    talk = load_talk(path, glossaries)
                except ContentError as exc:
                    broken[path] = current
                    if old is None:
                        log.error("content: skipped %s", exc)
                        continue
                    log.error("content: %s; keeping the version loaded before", exc)
                    talk = old[1]
                    stale = True
            clash = next((names[n.casefold()] for n in (talk.id, *talk.aliases) if n.casefold() in names), None)
            if clash is not None:
                log.error("content: skipped %s: its id or an alias is already used by %s", path, clash)
                broken[path] = current
                continue
            for name in (talk.id, *talk.aliases):
                names[name.casefold()] = path
            known[path] = (current, talk)
            talks.append(talk)
        for path, current in self.broken.items():
            if snapshot.get(path) == current:
                broken.setdefault(path, current)
        if not talks:
            log.error("content: no talk file in %s could be loaded; the talks loaded before stay up", self.directory)
            return None
        catalog = Library(talks)
        if self.index_dir is not None and not stale and len(catalog.passages) >= CHILD_BUILD_PASSAGES:
            self._build_in_child([t.path for t in catalog.talks])
        engine = SearchEngine(catalog, self.index_dir)  # maps the index the child wrote (or builds it here)
        topics = TopicCache(catalog.talks, engine.dictionary, known=self.ctx.topics)  # unchanged talks keep theirs
        return _Built(catalog, engine, topics, known, broken)
