"""Interactions in the core's terms: slash commands built from the core's commands, requests from interactions."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine, Mapping
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

import discord
from discord import app_commands

from bot.adapters.discord_render import described
from bot.core.types import CommandInfo, Request

Interaction = discord.Interaction[Any]
Answer = Callable[[Interaction, str, str], Coroutine[Any, Any, None]]
Suggester = Callable[[Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]
_CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)
_INSTALLS = app_commands.AppInstallationType(guild=True, user=True)


@lru_cache(maxsize=1)
def zones() -> tuple[str, ...]:
    """Every IANA time zone name, sorted."""
    return tuple(sorted(available_timezones()))


def is_bot_dm(interaction: Interaction) -> bool:
    """True in the user's DM with the bot (not in a group DM, nor in a DM with another person)."""
    context = interaction.context
    if context.guild or context.dm_channel or context.private_channel:
        return context.dm_channel
    return interaction.guild_id is None and isinstance(interaction.channel, discord.DMChannel)


def slash_command(info: CommandInfo, answer: Answer, suggesters: Mapping[str, Suggester]
                  ) -> app_commands.Command[Any, ..., None]:
    """A slash command for a core command: its options are the callback's signature, their values its args."""
    name = info.name
    names = [option.name for option in info.options]

    async def callback(interaction: discord.Interaction[Any], **values: str | None) -> None:
        await answer(interaction, name, " ".join(v.strip() for v in (values.get(n) for n in names)
                                                 if v and v.strip()))

    first = inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                              annotation=discord.Interaction)
    params = [inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, annotation=str if o.required
                                else str | None, default=inspect.Parameter.empty if o.required else None)
              for o in sorted(info.options, key=lambda o: not o.required)]
    callback.__signature__ = inspect.Signature([first, *params])  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = f"slash_{name}"
    described_options = {o.name: described(o.help_en, o.help_zh) for o in info.options}
    completions = {o.name: suggesters[o.suggest] for o in info.options if o.suggest}
    if described_options:
        app_commands.describe(**described_options)(callback)
    if completions:
        app_commands.autocomplete(**completions)(callback)
    return app_commands.Command(
        name=info.name, description=described(info.help_en or info.name, info.help_zh), callback=callback,
        allowed_contexts=_CONTEXTS, allowed_installs=_INSTALLS)


def interaction_request(interaction: Interaction, platform: str, command: str, args: str) -> Request:
    """The platform-neutral request for an interaction."""
    if interaction.channel_id is None:
        raise ValueError("an interaction without a channel")
    private = is_bot_dm(interaction)
    perms = interaction.permissions
    return Request(
        platform=platform, chat_id=str(interaction.channel_id), user_id=str(interaction.user.id),
        command=command, args=args, locale=str(interaction.locale.value),
        chat_kind="private" if private else "group", thread_id=None,
        can_manage_chat=private or perms.administrator or perms.manage_channels or perms.manage_guild,
    )
