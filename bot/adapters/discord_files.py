"""Discord extras for owners: a reply's file as an attachment, and the DM-only /report slash command."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord_render import described
from bot.core.types import Attachment

Answer = Callable[[discord.Interaction[Any], str, str], Coroutine[Any, Any, None]]
_DM_ONLY = app_commands.AppCommandContext(guild=False, dm_channel=True, private_channel=False)
_INSTALLS = app_commands.AppInstallationType(guild=True, user=True)


def add_file(payload: dict[str, Any], attachment: Attachment, editing: bool) -> dict[str, Any]:
    """The send (file=) or edit (attachments=) keyword arguments with the reply's file added."""
    file = discord.File(Path(attachment.path), filename=attachment.filename)
    return {**payload, "attachments": [file]} if editing else {**payload, "file": file}


def report_command(answer: Answer) -> app_commands.Command[Any, ..., None]:
    """/report [days], offered in the bot's DMs only; the core answers anyone but an owner as it would an
    unknown command (Discord cannot hide a command from some DM users, so it is registered only when
    BOT_OWNER_IDS names a Discord owner)."""

    @app_commands.describe(days=described("How many days (default 30)", "多少天（默认 30）"))
    async def report(interaction: discord.Interaction[Any], days: str | None = None) -> None:
        await answer(interaction, "report", (days or "").strip())

    return app_commands.Command(
        name="report", description=described("The owner's usage report (HTML file)", "所有者的使用报告（HTML 文件）"),
        callback=report, allowed_contexts=_DM_ONLY, allowed_installs=_INSTALLS,
    )
