"""Discord-shaped text: replies as embeds within every limit, descriptions, notices and autocomplete choices."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import discord
import opencc
from discord import app_commands

from bot.content.times import format_time
from bot.core.textsplit import clip, split_text
from bot.core.types import Block, Citation, Outcome, Reply, Suggestion

TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FOOTER_LIMIT = 2048
EMBEDS_PER_MESSAGE = 10
EMBED_CHARS_PER_MESSAGE = 6000
CONTENT_LIMIT = 2000
MAX_MESSAGES = 10  # a runaway answer is cut here rather than flooding the channel
URL_LIMIT = 2048
COMMAND_TEXT_LIMIT = 100  # slash command and option descriptions
CHOICE_LIMIT = 100  # autocomplete choice names and values

_COLOURS: dict[Outcome, discord.Colour] = {
    "ok": discord.Colour(0x5865F2),
    "no_match": discord.Colour.light_grey(),
    "bad_input": discord.Colour.orange(),
    "denied": discord.Colour.orange(),
    "error": discord.Colour.red(),
}
_MASS_MENTION = re.compile(r"@(everyone|here)")
_TRADITIONAL = opencc.OpenCC("s2twp")

Notice = Literal["stale_button", "error", "restarting"]  # i18n message keys of the adapter's own notices


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Discord message to send: embeds and/or plain content."""

    embeds: tuple[discord.Embed, ...] = ()
    content: str | None = None


@dataclass(slots=True)
class _Section:
    """Blocks that share one embed: an optional title, text parts, and the citation they come from."""

    title: str = ""
    parts: list[tuple[str, str]] = field(default_factory=list)  # (block kind, rendered text)
    citation: Citation | None = None


def neutralise(text: str) -> str:
    """Break @everyone/@here with a zero-width space so echoed text never reads as a mass mention."""
    return _MASS_MENTION.sub("@\u200b\\1", text)


def web_url(url: str | None) -> str | None:
    """The URL if Discord will accept it in an embed or link button (http/https), else None."""
    if url and url.startswith(("https://", "http://")) and len(url) <= URL_LIMIT and not any(c.isspace() for c in url):
        return url
    return None


def citation_line(citation: Citation) -> str:
    """The citation as one footer line: "— speaker · talk · section ¶n"."""
    line = f"— {citation.speaker} · {citation.talk_title} · {citation.section} ¶{citation.paragraph}"
    if citation.start is not None:
        line += f" · {format_time(citation.start)}"
    return clip(neutralise(line), FOOTER_LIMIT)


def notice(text: str) -> Outgoing:
    """A short plain-text message (errors, expired buttons)."""
    return Outgoing(content=clip(neutralise(inert(text)), CONTENT_LIMIT) or "…")


def inert(text: str) -> str:
    """Markdown in text (a question echoed back, a passage) shown as written: no masked links, no formatting."""
    return discord.utils.escape_markdown(text)


def _format(block: Block) -> str:
    text = neutralise(inert(block.text.strip()))
    if block.kind == "item":
        return f"• {text}"
    if block.kind == "error":
        return f"⚠️ {text}"
    if block.kind == "hint":
        return "\n".join(f"*{line.strip()}*" if line.strip() and "*" not in line else line for line in text.split("\n"))
    if block.kind == "quote" and block.citation is None:
        return "\n".join(f"> {line}" for line in text.split("\n"))
    return text


def _sections(blocks: tuple[Block, ...]) -> list[_Section]:
    """Group blocks: a title starts a section; a cited passage gets a section of its own."""
    sections: list[_Section] = [_Section()]
    for block in blocks:
        current = sections[-1]
        if block.kind == "title":
            if current.title or current.parts:
                sections.append(_Section())
            sections[-1].title = neutralise(block.text.strip())
        elif block.citation is not None:
            if current.parts:
                sections.append(_Section())
            sections[-1].parts.append((block.kind, _format(block)))
            sections[-1].citation = block.citation
            sections.append(_Section())
        elif block.text.strip():
            current.parts.append((block.kind, _format(block)))
    return [s for s in sections if s.title or s.parts]


def _join(parts: list[tuple[str, str]]) -> str:
    """Parts separated by blank lines, except consecutive list items (one per line)."""
    text = ""
    previous = ""
    for kind, part in parts:
        separator = "\n" if kind == previous == "item" else "\n\n"
        text = f"{text}{separator}{part}" if text else part
        previous = kind
    return text


def _embeds(section: _Section, colour: discord.Colour) -> list[discord.Embed]:
    """One section as embeds: long text split at sentence ends, title on the first, citation on the last."""
    citation = section.citation
    title = clip(section.title or (citation.talk_title if citation else ""), TITLE_LIMIT)
    footer = citation_line(citation) if citation else ""
    room = min(DESCRIPTION_LIMIT, EMBED_CHARS_PER_MESSAGE - len(title) - len(footer))
    text = _join(section.parts)
    moment = _moment(citation)
    if moment:
        text = f"{text}\n\n{moment}" if text.strip() else moment
    pieces = split_text(text, room) if text.strip() else [""]
    embeds: list[discord.Embed] = []
    for index, piece in enumerate(pieces):
        embed = discord.Embed(description=piece or None, colour=colour)
        if index == 0 and title:
            embed.title = title
            embed.url = web_url(citation.url) if citation else None
        if index == len(pieces) - 1 and footer:
            embed.set_footer(text=footer)
        embeds.append(embed)
    return embeds


def _moment(citation: Citation | None) -> str:
    """'▶ 12:34' linked to the recording at that moment, for the embed's text ('' without a time)."""
    if citation is None or citation.start is None:
        return ""
    url = web_url(citation.link)
    label = f"▶ {format_time(citation.start)}"
    return f"[{label}]({url})" if url else label


def _pack(embeds: list[discord.Embed]) -> list[Outgoing]:
    """Embeds packed into messages of at most 10 embeds and 6000 characters."""
    messages: list[list[discord.Embed]] = []
    size = 0
    for embed in embeds:
        if not messages or len(messages[-1]) == EMBEDS_PER_MESSAGE or size + len(embed) > EMBED_CHARS_PER_MESSAGE:
            messages.append([])
            size = 0
        messages[-1].append(embed)
        size += len(embed)
    return [Outgoing(embeds=tuple(m)) for m in messages]


def render(reply: Reply) -> list[Outgoing]:
    """The reply as one or more messages (at least one), each within Discord's limits."""
    colour = _COLOURS.get(reply.outcome, _COLOURS["ok"])
    embeds = [embed for section in _sections(reply.blocks) for embed in _embeds(section, colour)]
    messages = _pack(embeds)[:MAX_MESSAGES]
    return messages or [notice("…")]


@lru_cache(maxsize=1024)
def _traditional(text: str) -> str:
    """Simplified Chinese converted to Traditional (Taiwan usage)."""
    return str(_TRADITIONAL.convert(text))


def localised(en: str, zh: str, locale: str) -> str:
    """The text for a Discord locale: Chinese for zh-*, in Traditional characters for zh-TW, else English."""
    if not locale.startswith("zh"):
        return en
    return _traditional(zh) if locale == discord.Locale.taiwan_chinese.value else zh


def described(en: str, zh: str) -> app_commands.locale_str:
    """A command or option description (at most 100 characters) with its Chinese translation attached."""
    return app_commands.locale_str(clip(en, COMMAND_TEXT_LIMIT) or "…", zh=clip(zh, COMMAND_TEXT_LIMIT))


class Translator(app_commands.Translator):
    """Chinese descriptions at sync time: zh-CN as the core wrote them, zh-TW in Traditional characters."""

    async def translate(
        self, string: app_commands.locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        """The zh text attached by described(), for the two Chinese locales only."""
        zh = string.extras.get("zh")
        if not zh or locale not in (discord.Locale.chinese, discord.Locale.taiwan_chinese):
            return None
        return clip(localised("", str(zh), locale.value), COMMAND_TEXT_LIMIT)


def choices(suggestions: Sequence[Suggestion], limit: int) -> list[app_commands.Choice[str]]:
    """At most `limit` distinct autocomplete choices: names of 1-100 characters, values of at most 100."""
    out: list[app_commands.Choice[str]] = []
    seen: set[str] = set()
    for suggestion in suggestions:
        if len(out) == limit:
            break
        value = suggestion.value[:CHOICE_LIMIT]
        name = clip(suggestion.title, CHOICE_LIMIT) or clip(value, CHOICE_LIMIT)
        if value.strip() and name and value not in seen:
            seen.add(value)
            out.append(app_commands.Choice(name=name, value=value))
    return out
