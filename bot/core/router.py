"""Command table → handler; every call is timed, answered (never with a traceback) and logged."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from dataclasses import replace

from bot.core.commands import unknown
from bot.core.context import Context
from bot.core.i18n import t
from bot.core.spec import CommandSpec, offered
from bot.core.types import Block, CommandInfo, Reply, Request
from bot.storage.store import UsageEvent, clean_text

log = logging.getLogger(__name__)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
MAX_ARGS_CHARS = 100_000


def clean(request: Request) -> Request:
    """The request with its command normalised and control characters in the arguments made spaces."""
    command = request.command.strip().lstrip("/").split("@", 1)[0].lower()
    args = clean_text(_CONTROL.sub(" ", request.args[:MAX_ARGS_CHARS]))
    return replace(request, command=command, args=args)


class Router:
    """Dispatches requests to command handlers and writes one usage row per request."""

    def __init__(self, ctx: Context, specs: Iterable[CommandSpec]) -> None:
        self.ctx = ctx
        self.specs: tuple[CommandSpec, ...] = ()
        self.table: dict[str, CommandSpec] = {}
        for spec in specs:
            self.add(spec)

    def add(self, spec: CommandSpec) -> None:
        """Declare a command (one of the same name is replaced in place)."""
        names = [s.name for s in self.specs]
        self.specs = (*self.specs[:names.index(spec.name)], spec, *self.specs[names.index(spec.name) + 1:]) \
            if spec.name in names else (*self.specs, spec)
        self.ctx.specs = self.specs
        self.table = {name: s for s in self.specs for name in (s.name, *s.aliases)}

    def commands(self) -> list[CommandInfo]:
        """The user-facing commands, for menus and platform command trees."""
        return offered(self.specs)

    def _handler_for(self, request: Request) -> CommandSpec | None:
        """The command a request names, if it exists for this sender (owners' commands are unknown to others)."""
        spec = self.table.get(request.command) if _COMMAND.match(request.command) else None
        if spec is not None and spec.access == "owners" and not self.ctx.is_owner(request):
            return None
        return spec

    async def dispatch(self, request: Request) -> Reply:
        """Answer a request; errors become a short apology, and the usage log gets its row either way."""
        started = time.perf_counter()
        request = clean(request)
        spec = self._handler_for(request)
        try:
            if spec is None:
                reply = await unknown(self.ctx, request)
            elif spec.access == "managers" and not spec.rights_with_args_only and not request.can_manage_chat:
                reply = Reply((Block("hint", t(self.ctx.lang(request), "managers_only", command=spec.name)),),
                              outcome="denied")
            else:
                reply = await spec.handler(self.ctx, request)
        except Exception:
            log.exception("command /%s failed", request.command)
            reply = Reply((Block("error", t(self.ctx.lang(request), "error")),), outcome="error", ephemeral=True)
        self.record(request, reply, started)
        return reply

    def record(self, request: Request, reply: Reply, started: float) -> None:
        """Queue the usage row for a request (hashed ids, never raw ones)."""
        if not self.ctx.store.logging_enabled:
            return
        store = self.ctx.store
        try:
            store.log(UsageEvent(
                ts=self.ctx.clock().timestamp(),
                platform=request.platform,
                chat_hash=store.hash_id(request.platform, request.chat_id),
                user_hash=store.hash_id(request.platform, request.user_id),
                command=request.command[:32] or "?",
                query=request.args.strip(),
                talk=reply.talk_id,
                result_count=reply.result_count,
                top_passage=reply.top_passage,
                latency_ms=round((time.perf_counter() - started) * 1000, 3),
                outcome=reply.outcome,
            ))
        except Exception:
            log.exception("usage row for /%s could not be queued", request.command)
