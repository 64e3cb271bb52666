"""Render platform-neutral replies as Telegram HTML messages and inline keyboards."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.content.times import format_time
from bot.core.textsplit import clip, split_text
from bot.core.types import Block, Button, Citation, Reply

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 4096  # Telegram's limit for one text message
CALLBACK_LIMIT = 64  # bytes of callback_data
BUTTONS_PER_ROW = 2
_FIELD_LIMIT = 200  # characters kept of each citation field
_LINK_SCHEMES = ("http", "https")
_BUTTON_SCHEMES = ("http", "https", "tg")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_TAG = re.compile(r"<[^>]*>")


def tg_len(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units), never less than len(text)."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Escape text for Telegram HTML (<, > and &)."""
    return html.escape(text, quote=False)


def _clip(text: str, limit: int = _FIELD_LIMIT) -> str:
    return clip(text, limit)


def _is_url(url: str | None, schemes: Sequence[str]) -> bool:
    if not url:
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in schemes and bool(parts.netloc or parts.scheme == "tg")


def citation_line(citation: Citation) -> str:
    """'— speaker, title · section ¶n' in italics, the title linked to its source when known."""
    title = escape(_clip(citation.talk_title))
    if _is_url(citation.url, _LINK_SCHEMES):
        title = f'<a href="{html.escape(citation.url or "", quote=True)}">{title}</a>'
    head = ", ".join(p for p in (escape(_clip(citation.speaker)), title) if p)
    where = " ".join(
        p for p in (escape(_clip(citation.section)), f"¶{citation.paragraph}" if citation.paragraph > 0 else "") if p
    )
    if citation.start is not None:
        moment = f"▶ {format_time(citation.start)}"
        if _is_url(citation.link, _LINK_SCHEMES):
            moment = f'<a href="{html.escape(citation.link or "", quote=True)}">{moment}</a>'
        where = f"{where} · {moment}" if where else moment
    return f"<i>— {head}{' · ' + where if where else ''}</i>"


def _body(kind: str, text: str) -> str:
    """One block's text (or a piece of it) in its kind's style, without the citation."""
    safe = escape(text)
    if kind == "title":
        return f"<b>{safe}</b>"
    if kind == "quote":
        return f"<blockquote>{safe}</blockquote>"
    if kind == "item":
        return f"• {safe}"
    return safe


def _with_citation(body: str, citation: str) -> str:
    return f"{body}\n{citation}" if citation else body


def render_block(block: Block, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Render one block as pieces of at most limit units each; a long text is split between sentences."""
    text = block.text.strip()
    citation = citation_line(block.citation) if block.citation and block.kind in ("passage", "quote") else ""
    whole = _with_citation(_body(block.kind, text), citation)
    if tg_len(whole) <= limit:
        return [whole]
    size = limit
    while True:
        pieces = [_body(block.kind, part) for part in split_text(text, size)]
        longest = max(tg_len(p) for p in pieces)
        if longest <= limit or size == 1:
            break
        size = max(1, min(size - 1, size * limit // longest - 16))
    if citation and tg_len(_with_citation(pieces[-1], citation)) <= limit:
        pieces[-1] = _with_citation(pieces[-1], citation)
    elif citation:
        pieces.append(citation)
    return pieces


def _separator(previous: str, current: str) -> str:
    """Consecutive list items sit on adjacent lines; everything else is a paragraph apart."""
    return "\n" if previous == current == "item" else "\n\n"


def render_reply(reply: Reply, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Render a reply as Telegram HTML messages, each at most limit units, split at block or sentence ends."""
    messages: list[str] = []
    current = ""
    previous_kind = ""
    for block in reply.blocks:
        if not block.text.strip():
            continue
        for piece in render_block(block, limit):
            candidate = f"{current}{_separator(previous_kind, block.kind)}{piece}" if current else piece
            if tg_len(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
            previous_kind = block.kind
    if current:
        messages.append(current)
    return messages


def strip_html(text: str) -> str:
    """The plain text of rendered HTML (for a fallback without parse mode)."""
    return html.unescape(_TAG.sub("", text))


def callback_data(button: Button) -> str | None:
    """The callback_data for a command button, or None when it is not a valid one."""
    if not _COMMAND.fullmatch(button.command):
        return None
    data = f"{button.command}:{button.args}"
    return data if len(data.encode("utf-8")) <= CALLBACK_LIMIT else None


def parse_callback(data: str | None) -> tuple[str, str] | None:
    """(command, args) from callback_data made by callback_data(), or None if it is not ours."""
    if not data or ":" not in data:
        return None
    command, _, args = data.partition(":")
    return (command, args) if _COMMAND.fullmatch(command) else None


def _inline_button(button: Button) -> InlineKeyboardButton | None:
    label = button.label.strip()
    if not label:
        return None
    if button.url is not None:
        if _is_url(button.url, _BUTTON_SCHEMES):
            return InlineKeyboardButton(label, url=button.url)
        log.warning("telegram: skipped a button with an unsupported link")
        return None
    data = callback_data(button)
    if data is None:
        log.warning("telegram: skipped button %r: bad command or callback data over %d bytes", label, CALLBACK_LIMIT)
        return None
    return InlineKeyboardButton(label, callback_data=data)


def _rows(buttons: Iterable[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    items = list(buttons)
    return [items[i : i + BUTTONS_PER_ROW] for i in range(0, len(items), BUTTONS_PER_ROW)]


def keyboard(buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
    """An inline keyboard for a reply's buttons (invalid ones skipped), or None when there are none."""
    made = [b for b in (_inline_button(button) for button in buttons) if b is not None]
    return InlineKeyboardMarkup(_rows(made)) if made else None
