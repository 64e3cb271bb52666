"""Discord adapter: slash commands, autocomplete and persistent buttons over discord.py (2.4 or later).

An interaction arrives over the gateway, becomes a Request, the core answers it, and the Reply goes back
as embeds (discord_render) with buttons (discord_views). Broadcasts use send(), which posts to a channel.

Acknowledging within Discord's 3 seconds: the core's answer is awaited for up to one second. Most answers
come well within it and are sent as the interaction response itself: one request, no "thinking…"
placeholder, and the reply's own ephemeral flag. A slower answer is deferred (thinking) at that point,
which leaves two seconds for the defer to reach Discord; the answer then replaces the placeholder and the
rest follows as follow-up messages. Discord fixes a deferred message's visibility when deferring, so an
ephemeral answer to a deferred command deletes the public placeholder and is sent as ephemeral follow-ups.

Endpoints (proxies, tests):
- settings.api_base_url replaces discord.http.Route.BASE, from which discord.py builds every REST URL,
  interaction callbacks and webhooks included.
- settings.gateway_url replaces discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY. discord.py asks
  /gateway/bot only when an AutoShardedClient picks its own shard count, which this adapter never lets
  it do; otherwise it dials DEFAULT_GATEWAY to IDENTIFY (and again after an invalidated session), so that
  is the hook. RESUME goes to the READY's resume_gateway_url, as discord.py always does.
Both are class attributes, so there is one Discord connection per process: start() sets them and
stop() puts the previous values back.

Scale: settings.shard_count selects AutoShardedClient(shard_count, shard_ids); otherwise a plain Client.
Intents: none. Slash commands, autocomplete and buttons need no intent, and nothing is cached (discord.py
warns at start that the guilds intent is disabled: expected, nothing here needs the guild cache).
Secrets: a logging filter on the discord, aiohttp and asyncio loggers (and the root logger) removes the
bot token and interaction tokens from every record before any handler sees it.
Privacy: Discord ids are only passed to the core inside a Request; the adapter keeps none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.gateway import DiscordWebSocket

from bot.adapters.discord_connect import (
    NO_MENTIONS,
    DiscordStartError,
    login,
    make_client,
    sync_commands,
    use_endpoints,
)
from bot.adapters.discord_errors import delivery_error, describe, http_reason, send_reason
from bot.adapters.discord_files import add_file, report_command
from bot.adapters.discord_interactions import Interaction, Suggester, interaction_request, slash_command, zones
from bot.adapters.discord_render import (
    Notice,
    Outgoing,
    Translator,
    choices,
    localised,
    notice,
    render,
)
from bot.adapters.discord_views import build_view, button_type
from bot.config import DiscordSettings
from bot.core.delivery import deliver
from bot.core.i18n import t
from bot.core.types import Core, DeliveryError, DeliveryFailure, Reply, Request, Target
from bot.logs import RedactingFilter, guard_loggers

log = logging.getLogger(__name__)

WATCHED_LOGGERS = ("discord", "aiohttp", "asyncio", "bot.adapters.discord")
ANSWER_WINDOW = 1.0  # seconds to wait for the core before deferring
AUTOCOMPLETE_TIMEOUT = 2.0
CHOICES_LIMIT = 25
CLOSE_TIMEOUT = 2.0

def _payload(message: Outgoing, view: discord.ui.View | None) -> dict[str, Any]:
    """Keyword arguments for any discord.py send/edit call; mentions are always off."""
    payload: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
    if message.content is not None:
        payload["content"] = message.content
    if message.embeds:
        payload["embeds"] = list(message.embeds)
    if view is not None:
        payload["view"] = view
    return payload


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a task's outcome as seen (its awaiter, if any, handles it)."""
    if not task.cancelled():
        task.exception()


class DiscordAdapter:
    """Runs the bot on Discord: slash commands in servers and DMs, and the sender for broadcasts."""

    platform = "discord"

    def __init__(
        self,
        core: Core,
        settings: DiscordSettings,
        *,
        answer_window: float = ANSWER_WINDOW,
        start_timeout: float = 60.0,
        send_timeout: float = 30.0,
        drain_timeout: float = 4.5,
    ) -> None:
        self._core = core
        self._settings = settings
        self._answer_window = answer_window
        self._start_timeout = start_timeout
        self._send_timeout = send_timeout
        self._drain_timeout = drain_timeout
        self._client: discord.Client | None = None
        self._runner: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self._buttons = button_type(self._on_click)
        self._redactor = RedactingFilter((settings.token,))
        self._filtered: list[logging.Logger] = []
        self._restore: Callable[[], None] | None = None

    # lifecycle

    async def start(self) -> None:
        """Log in, connect the gateway in the background, sync the commands; return once READY."""
        if self._client is not None:
            raise RuntimeError("the Discord adapter is already running")
        self._stopping = False
        # the loggers whose records may carry a token: discord.*, aiohttp.*, asyncio, ours, and the root
        self._filtered = guard_loggers(self._redactor, WATCHED_LOGGERS, (__name__,), root=True)
        self._restore = use_endpoints(self._settings)
        client = self._client = make_client(self._settings)
        tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
        tree.error(self._on_command_error)
        for command in self._slash_commands():
            tree.add_command(command)
        client.add_dynamic_items(self._buttons)
        try:
            await tree.set_translator(Translator())
            await login(client, self._settings.token)
            self._runner = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
            await self._until_ready(client, self._runner)
            await sync_commands(tree, self._settings.guild_id)
        except BaseException:
            await self._shutdown()
            raise
        self._runner.add_done_callback(self._runner_done)
        log.info("Discord adapter is connected")

    async def stop(self) -> None:
        """Refuse new interactions, let in-flight ones finish (briefly), then close the connection."""
        if self._client is None:
            return
        self._stopping = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._drain_timeout
        while (busy := {t for t in self._inflight if not t.done()}) and loop.time() < deadline:
            await asyncio.wait(busy, timeout=deadline - loop.time())
        if busy:
            log.warning("stopping: %d Discord interaction(s) did not finish in time", len(busy))
            for task in busy:
                task.cancel()
            await asyncio.wait(busy, timeout=0.5)
        await self._shutdown()
        log.info("Discord adapter stopped")

    def is_connected(self) -> bool:
        """True while every gateway connection of this process is up."""
        client = self._client
        if client is None or self._stopping or client.is_closed() or not client.is_ready():
            return False
        if isinstance(client, discord.AutoShardedClient):
            shards = client.shards
            return bool(shards) and not any(shard.is_closed() for shard in shards.values())
        ws: DiscordWebSocket | None = client.ws
        return ws is not None and ws.open

    async def _until_ready(self, client: discord.Client, runner: asyncio.Task[None]) -> None:
        """Wait for READY on every shard, or fail with the reason the connection could not be made."""
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait({ready, runner}, timeout=self._start_timeout, return_when="FIRST_COMPLETED")
        finally:
            ready.cancel()
        if ready in done:
            return
        gateway = DiscordWebSocket.DEFAULT_GATEWAY
        if runner in done:
            error = None if runner.cancelled() else runner.exception()
            if isinstance(error, AttributeError) and error.__context__ is not None:
                # discord.py trips over its own missing websocket when the very first connection fails;
                # the connection error it was handling is the real reason.
                error = error.__context__
            raise DiscordStartError(f"could not connect to the Discord gateway at {gateway}: {describe(error)}")
        raise DiscordStartError(f"no READY from the Discord gateway at {gateway} within {self._start_timeout:g} s")

    def _runner_done(self, task: asyncio.Task[None]) -> None:
        """Report a gateway connection that ended on its own (is_connected() turns false)."""
        if task.cancelled():
            return
        error = task.exception()
        if not self._stopping:
            log.error("the Discord gateway connection ended: %s", describe(error))

    async def _shutdown(self) -> None:
        """Close the client, end the gateway task, undo the endpoint and logging changes."""
        client, runner, restore = self._client, self._runner, self._restore
        self._client = self._runner = self._restore = None
        if client is not None:
            try:
                await asyncio.wait_for(client.close(), CLOSE_TIMEOUT)
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                log.warning("closing the Discord connection: %s", describe(exc))
            await client.http.close()
        if runner is not None:
            if not runner.done():
                runner.cancel()
                await asyncio.wait({runner}, timeout=0.5)
            if runner.done() and not runner.cancelled():
                runner.exception()  # retrieved: the done callback or start() has reported it
        if restore is not None:
            restore()
        for logger in self._filtered:
            logger.removeFilter(self._redactor)
        self._filtered = []

    # commands

    def _slash_commands(self) -> list[app_commands.Command[Any, ..., None]]:
        """One slash command per core command offered on Discord, its options as the core declares them; /report
        for the bot's DMs when BOT_OWNER_IDS names a Discord owner."""
        suggesters: dict[str, Suggester] = {"passages": self._suggest, "zones": self._suggest_timezone}
        commands = [slash_command(info, self._answer, suggesters) for info in self._core.commands()
                    if info.offered_on(self.platform)]
        if self._settings.owner_ids:
            commands.append(report_command(self._answer))
        return commands

    def _request(self, interaction: Interaction, command: str, args: str) -> Request:
        """The platform-neutral request for an interaction."""
        return interaction_request(interaction, self.platform, command, args)

    async def _answer(self, interaction: Interaction, command: str, args: str) -> None:
        """Ask the core and respond: directly if the answer is quick, else defer and follow up."""
        me = asyncio.current_task()
        if me is not None:
            self._inflight.add(me)
        try:
            if self._stopping:
                await self._notice(interaction, "restarting")
                return
            pending = asyncio.ensure_future(self._core.handle(self._request(interaction, command, args)))
            pending.add_done_callback(_retrieve)  # if the interaction dies first, the core still finishes
            try:
                done, _ = await asyncio.wait({pending}, timeout=self._answer_window)
                if not done:
                    await interaction.response.defer(thinking=True)
                await self._deliver(interaction, await pending, deferred=not done)
            except asyncio.CancelledError:
                pending.cancel()
                raise
        finally:
            if me is not None:
                self._inflight.discard(me)

    async def _deliver(self, interaction: Interaction, reply: Reply, *, deferred: bool) -> None:
        """Send a rendered reply as the response (or in place of the placeholder) and follow-ups."""
        messages = render(reply)
        view = build_view(reply.buttons, self._buttons)
        ephemeral = reply.ephemeral
        if deferred and ephemeral:
            with contextlib.suppress(discord.NotFound):
                await interaction.delete_original_response()
        for index, message in enumerate(messages):
            payload = _payload(message, view if index == len(messages) - 1 else None)
            editing = index == 0 and deferred and not ephemeral
            if reply.attachment is not None and index == len(messages) - 1:
                payload = add_file(payload, reply.attachment, editing)
            if index == 0 and not deferred:
                await interaction.response.send_message(ephemeral=ephemeral, **payload)
            elif editing:
                await interaction.edit_original_response(**payload)
            else:
                await interaction.followup.send(ephemeral=ephemeral, **payload)

    async def _on_click(self, interaction: Interaction, target: tuple[str, str] | None) -> None:
        """A callback button: run its command for the clicker, or say it expired."""
        if target is None:
            await self._notice(interaction, "stale_button")
            return
        try:
            await self._answer(interaction, *target)
        except Exception as exc:
            await self._failed(interaction, target[0], exc)

    async def _on_command_error(self, interaction: Interaction, error: app_commands.AppCommandError) -> None:
        """The command tree's error handler."""
        name = interaction.command.name if interaction.command is not None else "?"
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        await self._failed(interaction, name, original)

    async def _failed(self, interaction: Interaction, command: str, error: BaseException) -> None:
        """Log a failed command (without ids) and tell the user briefly, if the interaction is still alive."""
        if isinstance(error, discord.NotFound) and error.code == 10062:
            log.warning("/%s: the interaction expired before it was answered", command)
            return
        if isinstance(error, discord.HTTPException):
            log.warning("/%s: Discord refused the answer: %s", command, http_reason(error))
        else:
            log.error("/%s failed", command, exc_info=error)
        await self._notice(interaction, "error")

    async def _notice(self, interaction: Interaction, key: Notice) -> None:
        """A short ephemeral message in the user's language."""
        payload = _payload(notice(localised(t("en", key), t("zh", key), str(interaction.locale.value))), None)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(ephemeral=True, **payload)
            else:
                await interaction.response.send_message(ephemeral=True, **payload)
        except discord.HTTPException as exc:
            log.warning("could not send the %s notice: %s", key, http_reason(exc))

    # autocomplete

    async def _suggest(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        """Passages matching what the user has typed so far; an empty list on any trouble."""
        offered: list[app_commands.Choice[str]] = []
        try:
            request = self._request(interaction, "autocomplete", current)
            suggestions = await asyncio.wait_for(self._core.suggest(request, limit=CHOICES_LIMIT), AUTOCOMPLETE_TIMEOUT)
            offered = choices(suggestions, CHOICES_LIMIT)
        except Exception as exc:
            log.warning("autocomplete failed: %s", type(exc).__name__)
        await self._offer(interaction, offered)
        return offered

    async def _suggest_timezone(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        """IANA time zones containing what the user has typed."""
        needle = current.strip().lower().replace(" ", "_")
        offered = [app_commands.Choice(name=z, value=z) for z in zones() if needle in z.lower()][:CHOICES_LIMIT]
        await self._offer(interaction, offered)
        return offered

    @staticmethod
    async def _offer(interaction: Interaction, offered: list[app_commands.Choice[str]]) -> None:
        """Answer the autocomplete ourselves so a late or refused answer is logged without user ids."""
        try:
            await interaction.response.autocomplete(offered)
        except discord.HTTPException as exc:
            log.warning("could not answer autocomplete: %s", http_reason(exc))

    # broadcasts

    async def send(self, target: Target, reply: Reply) -> None:
        """Post a reply to a channel, thread or DM channel; raise DeliveryError on failure.

        Requests per message are bounded by discord.py: it repeats a request only after an answer that posted
        nothing (429 within its rate limit wait, 500/502/504/524: at most 5 requests) or a connection reset,
        and all of it within send_timeout. A timeout or a dropped connection after the request went out is
        DeliveryFailure.UNCERTAIN (it may have been posted), as is a reply posted in part.
        """
        try:
            async with asyncio.timeout(self._send_timeout):
                await deliver(self, target, reply)
        except TimeoutError as exc:  # the whole reply took too long: it may have been posted
            raise DeliveryError(DeliveryFailure.UNCERTAIN, f"may have been posted: {self.reason(exc)}") from exc

    # the delivery path's Courier: running, render, send_one, failure, reason

    def running(self) -> bool:
        """Whether the client is up to carry a broadcast."""
        return self._client is not None and not self._client.is_closed()

    def render(self, reply: Reply) -> list[dict[str, Any]]:
        """The reply as message payloads, the buttons under the last."""
        messages = render(reply)
        view = build_view(reply.buttons, self._buttons)
        return [_payload(m, view if index == len(messages) - 1 else None) for index, m in enumerate(messages)]

    async def send_one(self, target: Target, message: dict[str, Any]) -> None:
        """Post one message payload to the target channel or thread."""
        channel_id = target.thread_id or target.chat_id
        if not channel_id.isdigit():
            raise DeliveryError(DeliveryFailure.GONE, f"not a Discord channel id: {channel_id!r}")
        assert self._client is not None
        await self._client.get_partial_messageable(int(channel_id)).send(**message)

    def failure(self, exc: Exception) -> DeliveryError | None:
        """What a failed send means for the scheduler: UNCERTAIN when the message may have been posted."""
        return delivery_error(exc, self._send_timeout)

    def reason(self, exc: Exception) -> str:
        """A send error in one line."""
        return send_reason(exc, self._send_timeout)


__all__ = ["DiscordAdapter", "DiscordStartError"]
