"""Stopping in time: the deadline once the bot begins to stop, and shutdown steps that cannot hang it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections.abc import Awaitable, Callable

log = logging.getLogger("bot")
SHUTDOWN_SECONDS = 10.0  # documented: once told to stop, the process ends within this, whatever hangs
FORCED_EXIT = 1


class ShutdownGuard:
    """The process's deadline once it begins to stop: past it, or at a second signal, it exits at once.

    A daemon timer thread, so it fires even if the event loop is blocked or the interpreter is waiting
    for a thread at exit.
    """

    def __init__(self, seconds: float = SHUTDOWN_SECONDS, exit_fn: Callable[[int], object] = os._exit) -> None:
        self.seconds = seconds
        self._exit = exit_fn
        self._timer: threading.Timer | None = None
        self._guard = threading.Lock()

    def arm(self) -> None:
        """Start the deadline (once; later calls keep the first deadline)."""
        with self._guard:
            if self._timer is not None:
                return
            self._timer = threading.Timer(self.seconds, self.force,
                                          (f"still running {self.seconds:.0f} s after it began to stop",))
            self._timer.daemon = True
            self._timer.start()

    def cancel(self) -> None:
        """Stop the deadline (for callers that keep running after the bot stopped)."""
        with self._guard:
            if self._timer is not None:
                self._timer.cancel()

    def force(self, why: str) -> None:
        """Exit now, without waiting for anything (the usage rows not yet written are lost)."""
        with contextlib.suppress(Exception):
            log.error("exiting now: %s", why)
            for handler in logging.getLogger().handlers:
                handler.flush()
        self._exit(FORCED_EXIT)


async def bounded(step: Awaitable[None], seconds: float, what: str) -> bool:
    """Await a shutdown step for at most seconds; one that overruns (or ignores cancellation) is left behind.
    True when it finished cleanly."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=max(0.1, seconds))
    if not done:
        log.warning("%s did not finish within %.1f s; abandoned", what, max(0.1, seconds))
        task.cancel()
        return False
    if not task.cancelled() and task.exception() is not None:
        log.warning("%s did not finish cleanly: %s", what, task.exception())
        return False
    return True
