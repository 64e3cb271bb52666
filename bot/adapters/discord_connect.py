"""Connecting to Discord: endpoints, the client, the login and the command sync, each failure said in one line."""

from __future__ import annotations

import logging
from collections.abc import Callable

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.adapters.discord_errors import describe, http_reason
from bot.config import DiscordSettings

log = logging.getLogger("bot.adapters.discord")

NO_MENTIONS = discord.AllowedMentions.none()
GUILD_READY_TIMEOUT = 0.1  # without the guilds intent no GUILD_CREATE follows READY: nothing to wait for


class DiscordStartError(RuntimeError):
    """The adapter could not log in, connect to the gateway, or register its commands."""


def use_endpoints(settings: DiscordSettings) -> Callable[[], None]:
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


def make_client(settings: DiscordSettings) -> discord.Client:
    """A client with no intents and no caches; sharded when a shard count is configured."""
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


async def login(client: discord.Client, token: str) -> None:
    """Check the token over REST (GET /users/@me), turning failures into DiscordStartError."""
    try:
        await client.login(token)
    except discord.LoginFailure:
        raise DiscordStartError("Discord rejected the bot token (401): check DISCORD_BOT_TOKEN") from None
    except discord.HTTPException as exc:
        raise DiscordStartError(f"the Discord API refused the login: {http_reason(exc)}") from exc
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise DiscordStartError(f"cannot reach the Discord API at {Route.BASE}: {describe(exc)}") from exc


async def sync_commands(tree: app_commands.CommandTree[discord.Client], guild_id: int | None) -> None:
    """Register the commands (with one server when guild_id is set); only a 4xx is fatal."""
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
            raise DiscordStartError(f"Discord refused the slash commands ({where}): {http_reason(exc)}") from exc
        log.warning("could not sync slash commands (%s): %s; Discord keeps the previous ones", where, exc)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        log.warning("could not sync slash commands (%s): %r; Discord keeps the previous ones", where, exc)
    else:
        log.info("synced %d slash commands (%s)", len(synced), where)
