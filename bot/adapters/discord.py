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
from collections.abc import Callable, Coroutine
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord_files import add_file, report_command
from bot.adapters.discord_render import (
    NOTICES,
    Notice,
    Outgoing,
    Translator,
    choices,
    described,
    localised,
    notice,
    render,
)
from bot.adapters.discord_views import build_view, button_type
from bot.config import DiscordSettings
from bot.core.types import Core, DeliveryError, DeliveryFailure, Reply, Request, Target
from bot.logs import RedactingFilter

log = logging.getLogger(__name__)

NO_MENTIONS = discord.AllowedMentions.none()
ANSWER_WINDOW = 1.0  # seconds to wait for the core before deferring
AUTOCOMPLETE_TIMEOUT = 2.0
CHOICES_LIMIT = 25
GUILD_READY_TIMEOUT = 0.1  # without the guilds intent no GUILD_CREATE follows READY: nothing to wait for
CLOSE_TIMEOUT = 2.0
_CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)
_INSTALLS = app_commands.AppInstallationType(guild=True, user=True)

Interaction = discord.Interaction[Any]
CommandCallback = Callable[..., Coroutine[Any, Any, None]]
_PARAMS: dict[str, tuple[str, str]] = {
    "question": ("Your question about the talks", "关于演讲的问题"),
    "keywords": ("Words to look for (optional)", "要查找的关键词（可选）"),
    "talk": ("Which talk (optional)", "哪一场演讲（可选）"),
    "time": ("Time of day as HH:MM, or off to stop", "每天的时间（HH:MM），填 off 取消"),
    "timezone": ("Time zone, e.g. Asia/Shanghai", "时区，例如 Asia/Shanghai"),
}


class DiscordStartError(RuntimeError):
    """The adapter could not log in, connect to the gateway, or register its commands."""


def _param(name: str) -> app_commands.locale_str:
    """An option's description, with its Chinese translation."""
    return described(*_PARAMS[name])


def _watched_loggers() -> list[logging.Logger]:
    """The loggers whose records may carry a token: discord.*, aiohttp.*, asyncio, ours, and the root."""
    prefixes = ("discord", "aiohttp", "asyncio", "bot.adapters.discord")
    names = {"discord", "aiohttp", "asyncio", __name__}
    names.update(n for n in logging.Logger.manager.loggerDict if n.startswith(prefixes))
    return [logging.getLogger(), *(logging.getLogger(n) for n in sorted(names))]


def _use_endpoints(settings: DiscordSettings) -> Callable[[], None]:
    """Point discord.py at the configured REST base and gateway; returns a function that undoes it."""
    saved_base, saved_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    if settings.api_base_url:
        Route.BASE = settings.api_base_url.rstrip("/")
    if settings.gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.gateway_url)

    def restore() -> None:
        Route.BASE = saved_base
        DiscordWebSocket.DEFAULT_GATEWAY = saved_gateway

    return restore


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


@lru_cache(maxsize=1)
def _zones() -> tuple[str, ...]:
    """Every IANA time zone name, sorted."""
    return tuple(sorted(available_timezones()))


def _is_bot_dm(interaction: Interaction) -> bool:
    """True in the user's DM with the bot (not in a group DM, nor in a DM with another person)."""
    context = interaction.context
    if context.guild or context.dm_channel or context.private_channel:
        return context.dm_channel
    return interaction.guild_id is None and isinstance(interaction.channel, discord.DMChannel)


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Mark a task's outcome as seen (its awaiter, if any, handles it)."""
    if not task.cancelled():
        task.exception()


def _http_reason(error: discord.HTTPException) -> str:
    """"403 50001: Missing Access"."""
    return f"{error.status} {error.code}: {error.text or error.response.reason}"


def _describe(error: BaseException | None) -> str:
    """An exception as "Type: message"."""
    return f"{type(error).__name__}: {error}" if error is not None else "it stopped"


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
        self._filtered = _watched_loggers()
        for logger in self._filtered:
            logger.addFilter(self._redactor)
        self._restore = _use_endpoints(self._settings)
        client = self._client = self._make_client()
        tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
        tree.error(self._on_command_error)
        for command in self._slash_commands():
            tree.add_command(command)
        client.add_dynamic_items(self._buttons)
        try:
            await tree.set_translator(Translator())
            await self._login(client)
            self._runner = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
            await self._until_ready(client, self._runner)
            await self._sync(tree)
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

    def _make_client(self) -> discord.Client:
        """A client with no intents and no caches; sharded when a shard count is configured."""
        settings = self._settings
        intents = discord.Intents.none()
        cache = discord.MemberCacheFlags.none()
        if settings.shard_count:
            return discord.AutoShardedClient(
                intents=intents, shard_count=settings.shard_count,
                shard_ids=list(settings.shard_ids or range(settings.shard_count)),
                allowed_mentions=NO_MENTIONS, max_messages=None, member_cache_flags=cache,
                chunk_guilds_at_startup=False, guild_ready_timeout=GUILD_READY_TIMEOUT,
            )
        return discord.Client(
            intents=intents, allowed_mentions=NO_MENTIONS, max_messages=None, member_cache_flags=cache,
            chunk_guilds_at_startup=False, guild_ready_timeout=GUILD_READY_TIMEOUT,
        )

    async def _login(self, client: discord.Client) -> None:
        """Check the token over REST (GET /users/@me), turning failures into DiscordStartError."""
        try:
            await client.login(self._settings.token)
        except discord.LoginFailure:
            raise DiscordStartError("Discord rejected the bot token (401): check DISCORD_BOT_TOKEN") from None
        except discord.HTTPException as exc:
            raise DiscordStartError(f"the Discord API refused the login: {_http_reason(exc)}") from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DiscordStartError(f"cannot reach the Discord API at {Route.BASE}: {_describe(exc)}") from exc

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
            raise DiscordStartError(f"could not connect to the Discord gateway at {gateway}: {_describe(error)}")
        raise DiscordStartError(f"no READY from the Discord gateway at {gateway} within {self._start_timeout:g} s")

    async def _sync(self, tree: app_commands.CommandTree[discord.Client]) -> None:
        """Register the commands (with one server when guild_id is set); only a 4xx is fatal."""
        guild_id = self._settings.guild_id
        where = f"server {guild_id}" if guild_id else "global"
        try:
            if guild_id:
                guild = discord.Object(id=guild_id)
                tree.copy_global_to(guild=guild)
                synced = await tree.sync(guild=guild)
            else:
                synced = await tree.sync()
        except discord.HTTPException as exc:
            if exc.status < 500:
                raise DiscordStartError(f"Discord refused the slash commands ({where}): {_http_reason(exc)}") from exc
            log.warning("could not sync slash commands (%s): %s; Discord keeps the previous ones", where, exc)
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            log.warning("could not sync slash commands (%s): %r; Discord keeps the previous ones", where, exc)
        else:
            log.info("synced %d slash commands (%s)", len(synced), where)

    def _runner_done(self, task: asyncio.Task[None]) -> None:
        """Report a gateway connection that ended on its own (is_connected() turns false)."""
        if task.cancelled():
            return
        error = task.exception()
        if not self._stopping:
            log.error("the Discord gateway connection ended: %s", _describe(error))

    async def _shutdown(self) -> None:
        """Close the client, end the gateway task, undo the endpoint and logging changes."""
        client, runner, restore = self._client, self._runner, self._restore
        self._client = self._runner = self._restore = None
        if client is not None:
            try:
                await asyncio.wait_for(client.close(), CLOSE_TIMEOUT)
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                log.warning("closing the Discord connection: %s", _describe(exc))
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
        """One slash command per core command this adapter knows how to ask for, described by the core."""
        callbacks = self._callbacks()
        commands: list[app_commands.Command[Any, ..., None]] = []
        for info in self._core.commands():
            callback = callbacks.get(info.name)
            if callback is None:
                log.debug("no Discord slash command for /%s", info.name)
                continue
            commands.append(app_commands.Command(
                name=info.name, description=described(info.help_en or info.name, info.help_zh), callback=callback,
                allowed_contexts=_CONTEXTS, allowed_installs=_INSTALLS,
            ))
        if self._settings.owner_ids:
            commands.append(report_command(self._answer))
        return commands

    def _callbacks(self) -> dict[str, CommandCallback]:
        """The slash command callbacks: their signatures are the commands' options."""
        answer, suggest, zones = self._answer, self._suggest, self._suggest_timezone

        @app_commands.describe(question=_param("question"))
        @app_commands.autocomplete(question=suggest)
        async def ask(interaction: discord.Interaction[Any], question: str) -> None:
            await answer(interaction, "ask", question)

        @app_commands.describe(keywords=_param("keywords"))
        @app_commands.autocomplete(keywords=suggest)
        async def quote(interaction: discord.Interaction[Any], keywords: str | None = None) -> None:
            await answer(interaction, "quote", keywords or "")

        @app_commands.describe(talk=_param("talk"))
        async def summary(interaction: discord.Interaction[Any], talk: str | None = None) -> None:
            await answer(interaction, "summary", talk or "")

        @app_commands.describe(time=_param("time"), timezone=_param("timezone"), talk=_param("talk"))
        @app_commands.autocomplete(timezone=zones)
        async def daily(
            interaction: discord.Interaction[Any], time: str | None = None, timezone: str | None = None,
            talk: str | None = None,
        ) -> None:
            await answer(interaction, "daily", " ".join(p.strip() for p in (time, timezone, talk) if p and p.strip()))

        async def show_help(interaction: discord.Interaction[Any]) -> None:
            await answer(interaction, "help", "")

        async def about(interaction: discord.Interaction[Any]) -> None:
            await answer(interaction, "about", "")

        async def stats(interaction: discord.Interaction[Any]) -> None:
            await answer(interaction, "stats", "")

        return {"ask": ask, "quote": quote, "summary": summary, "daily": daily, "help": show_help,
                "about": about, "stats": stats}

    def _request(self, interaction: Interaction, command: str, args: str) -> Request:
        """The platform-neutral request for an interaction."""
        if interaction.channel_id is None:
            raise ValueError("an interaction without a channel")
        private = _is_bot_dm(interaction)
        perms = interaction.permissions
        return Request(
            platform=self.platform, chat_id=str(interaction.channel_id), user_id=str(interaction.user.id),
            command=command, args=args, locale=str(interaction.locale.value),
            chat_kind="private" if private else "group", thread_id=None,
            can_manage_chat=private or perms.administrator or perms.manage_channels or perms.manage_guild,
        )

    async def _answer(self, interaction: Interaction, command: str, args: str) -> None:
        """Ask the core and respond: directly if the answer is quick, else defer and follow up."""
        me = asyncio.current_task()
        if me is not None:
            self._inflight.add(me)
        try:
            if self._stopping:
                await self._notice(interaction, "stopping")
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
            await self._notice(interaction, "expired")
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
            log.warning("/%s: Discord refused the answer: %s", command, _http_reason(error))
        else:
            log.error("/%s failed", command, exc_info=error)
        await self._notice(interaction, "error")

    async def _notice(self, interaction: Interaction, key: Notice) -> None:
        """A short ephemeral message in the user's language."""
        payload = _payload(notice(localised(*NOTICES[key], str(interaction.locale.value))), None)
        try:
            if interaction.response.is_done():
                await interaction.followup.send(ephemeral=True, **payload)
            else:
                await interaction.response.send_message(ephemeral=True, **payload)
        except discord.HTTPException as exc:
            log.warning("could not send the %s notice: %s", key, _http_reason(exc))

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
        zones = [app_commands.Choice(name=z, value=z) for z in _zones() if needle in z.lower()][:CHOICES_LIMIT]
        await self._offer(interaction, zones)
        return zones

    @staticmethod
    async def _offer(interaction: Interaction, offered: list[app_commands.Choice[str]]) -> None:
        """Answer the autocomplete ourselves so a late or refused answer is logged without user ids."""
        try:
            await interaction.response.autocomplete(offered)
        except discord.HTTPException as exc:
            log.warning("could not answer autocomplete: %s", _http_reason(exc))

    # broadcasts

    async def send(self, target: Target, reply: Reply) -> None:
        """Post a reply to a channel, thread or DM channel; raise DeliveryError on failure.

        Requests per message are bounded by discord.py: it repeats a request only after an answer that posted
        nothing (429 within its rate limit wait, 500/502/504/524: at most 5 requests) or a connection reset,
        and all of it within send_timeout. A timeout or a dropped connection after the request went out is
        DeliveryFailure.UNCERTAIN (it may have been posted), as is a reply posted in part.
        """
        if target.platform != self.platform:
            raise ValueError(f"a {target.platform} target given to the Discord adapter")
        client = self._client
        if client is None or client.is_closed():
            raise DeliveryError(DeliveryFailure.TRANSIENT, "the Discord adapter is not running")
        channel_id = target.thread_id or target.chat_id
        if not channel_id.isdigit():
            raise DeliveryError(DeliveryFailure.GONE, f"not a Discord channel id: {channel_id!r}")
        channel = client.get_partial_messageable(int(channel_id))
        messages = render(reply)
        view = build_view(reply.buttons, self._buttons)
        posted = 0
        try:
            async with asyncio.timeout(self._send_timeout):
                for index, message in enumerate(messages):
                    await channel.send(**_payload(message, view if index == len(messages) - 1 else None))
                    posted += 1
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise self._delivery_error(exc, posted) from exc

    def _delivery_error(self, exc: BaseException, posted: int) -> DeliveryError:
        """What a failed send means for the scheduler: UNCERTAIN when the message may have been posted."""
        if posted:
            return DeliveryError(DeliveryFailure.UNCERTAIN, f"posted in part, then {self._reason(exc)}")
        if isinstance(exc, discord.Forbidden | discord.NotFound):
            return DeliveryError(DeliveryFailure.GONE, _http_reason(exc))
        if isinstance(exc, discord.RateLimited | discord.HTTPException | aiohttp.ClientConnectorError):
            # Discord answered with an error, or no connection could be made: nothing was posted
            return DeliveryError(DeliveryFailure.TRANSIENT, self._reason(exc))
        if isinstance(exc, TimeoutError | aiohttp.ClientError | OSError):
            return DeliveryError(DeliveryFailure.UNCERTAIN, f"may have been posted: {self._reason(exc)}")
        return DeliveryError(DeliveryFailure.UNCERTAIN, f"may have been posted: {_describe(exc)}")

    def _reason(self, exc: BaseException) -> str:
        if isinstance(exc, discord.RateLimited):
            return f"rate limited for {exc.retry_after:.0f} s"
        if isinstance(exc, discord.HTTPException):
            return _http_reason(exc)
        if isinstance(exc, TimeoutError) and not isinstance(exc, aiohttp.ClientError):
            return f"no answer from Discord in {self._send_timeout:g} s"
        return _describe(exc)

__all__ = ["DiscordAdapter", "DiscordStartError"]
