"""Quick look-ups (Telegram inline mode, Discord autocomplete): passages for a query, today's picks without one."""

from __future__ import annotations

from datetime import date

from bot.content.model import Passage, Quote
from bot.content.times import format_time
from bot.core.commands import PASSAGE_VALUE, quote_block
from bot.core.context import Context
from bot.core.i18n import t
from bot.core.textsplit import clip
from bot.core.types import Block, Reply, Request, Suggestion
from bot.search.engine import SUGGEST_CONFIDENCE

TITLE_CHARS = 100
MAX_SUGGESTIONS = 50
TODAY_PICKS = 5


def daily_pick(quotes: tuple[Quote, ...], day: date, offset: int = 0) -> Quote:
    """The same quote for everyone on a given day (inline mode's 'today')."""
    return quotes[(day.toordinal() * 7919 + offset * 104729) % len(quotes)]


def _suggestion(passage: Passage, block: Block, title: str) -> Suggestion:
    """A look-up result: the block as the message to post, the title and its citation on one line each."""
    c = block.citation
    description = f"{c.speaker} · {c.section} ¶{c.paragraph}" if c else ""
    if passage.start is not None:  # the time in each result: in the title too, autocomplete shows only that
        description += f" · ▶ {format_time(passage.start)}"
        title = f"{format_time(passage.start)} {title}"
    reply = Reply((block,), result_count=1, top_passage=passage.key, talk_id=passage.talk_id)
    return Suggestion(PASSAGE_VALUE + passage.key, clip(title, TITLE_CHARS, one_line=True),
                      clip(description, TITLE_CHARS, one_line=True), reply)


def _today(ctx: Context, lang: str, limit: int) -> list[Suggestion]:
    """Today's quote first, then a few more of the day's picks."""
    quotes = ctx.catalog.quotes
    today = ctx.clock().date()
    picks: list[Quote] = []
    for offset in range(limit * 3):
        if len(picks) == min(limit, TODAY_PICKS, len(quotes)):
            break
        pick = daily_pick(quotes, today, offset)
        if pick not in picks:
            picks.append(pick)
    titles = [f"{t(lang, 'daily_title')}: {q.text}" if i == 0 else q.text for i, q in enumerate(picks)]
    return [_suggestion(q.passage, quote_block(ctx, q, lang), title) for q, title in zip(picks, titles, strict=True)]


def suggest(ctx: Context, request: Request, limit: int) -> tuple[list[Suggestion], str | None]:
    """The suggestions for a (cleaned) request's text, and the top passage's key when a query found one."""
    lang = ctx.lang(request)
    limit = max(1, min(limit, MAX_SUGGESTIONS))
    query = request.args.strip()
    if not query:
        return _today(ctx, lang, limit), None
    passage = ctx.catalog.passage(query[1:]) if query.startswith(PASSAGE_VALUE) else None
    hits = [passage] if passage else [h.passage for h in ctx.engine.search(
        query, limit=limit, min_confidence=SUGGEST_CONFIDENCE)]
    return [_suggestion(p, ctx.passage_block(p, lang), p.text) for p in hits], hits[0].key if hits else None
