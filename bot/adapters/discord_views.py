"""Buttons under answers: link buttons, and persistent callback buttons that still work after a restart.

A callback button's custom_id is ``tb:{command}:{args}``; the click is parsed from that id alone (a
discord.ui.DynamicItem), so nothing is kept in memory per message. The dynamic item's template matches
every custom_id: the bot sends no other components, so an id that does not parse is one of ours that
expired (an older format), and the click is answered as such.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Self

import discord
from discord import ui

from bot.adapters.discord_render import web_url
from bot.core.textsplit import clip
from bot.core.types import Button

CUSTOM_ID_LIMIT = 100
LABEL_LIMIT = 80
MAX_BUTTONS = 25  # five rows of five
_CUSTOM_ID = re.compile(r"tb:([a-z0-9_-]{1,32}):([\s\S]*)")
TEMPLATE = r"[\s\S]{1,100}"  # every custom_id: see the module docstring

log = logging.getLogger(__name__)

ButtonCall = tuple[str, str]  # (command, args) of a callback button
ClickHandler = Callable[[discord.Interaction[Any], ButtonCall | None], Awaitable[None]]
ButtonItem = ui.DynamicItem[ui.Button[ui.View]]


def custom_id(command: str, args: str) -> str | None:
    """The stable custom_id of a callback button, or None if it would not fit Discord's 100 characters."""
    value = f"tb:{command}:{args}"
    if len(value) > CUSTOM_ID_LIMIT or _CUSTOM_ID.fullmatch(value) is None:
        return None
    return value


def parse_custom_id(value: str) -> ButtonCall | None:
    """(command, args) from a custom_id made by custom_id(), or None if malformed."""
    match = _CUSTOM_ID.fullmatch(value)
    return (match[1], match[2]) if match else None


class CallbackButton(ButtonItem, template=TEMPLATE):
    """A button whose custom_id carries the command and arguments to run when clicked."""

    def __init__(self, cid: str, label: str = "…") -> None:
        super().__init__(ui.Button(label=label, custom_id=cid, style=discord.ButtonStyle.secondary))
        self.target = parse_custom_id(cid)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        """Rebuild the button from a click on any message, even one sent before a restart."""
        label = item.label if isinstance(item, ui.Button) and item.label else "…"
        return cls(match[0], label)


def button_type(on_click: ClickHandler) -> type[CallbackButton]:
    """A CallbackButton class whose clicks go to on_click; register it with client.add_dynamic_items."""

    class BoundButton(CallbackButton, template=TEMPLATE):
        """A callback button bound to one adapter."""

        async def callback(self, interaction: discord.Interaction[Any]) -> None:
            """Run the button's command for whoever clicked it."""
            await on_click(interaction, self.target)

    return BoundButton


def build_view(buttons: Sequence[Button], item_type: type[CallbackButton]) -> ui.View | None:
    """A persistent view (no timeout) of up to 25 buttons, or None when there is nothing to show."""
    view = ui.View(timeout=None)
    for button in buttons[:MAX_BUTTONS]:
        label = clip(button.label, LABEL_LIMIT) or "…"
        if button.url is not None:
            url = web_url(button.url)
            if url is None:
                log.warning("dropping a link button with an unusable URL")
                continue
            view.add_item(ui.Button(label=label, url=url))
            continue
        cid = custom_id(button.command, button.args)
        if cid is None:
            log.warning("dropping button %r: its custom_id would be over %d characters", label, CUSTOM_ID_LIMIT)
            continue
        view.add_item(item_type(cid, label))
    return view if view.children else None
