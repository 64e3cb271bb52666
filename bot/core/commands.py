"""The commands: plain async functions from a Request to a Reply, with no platform in sight."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from bot import __version__
from bot.content.model import Passage, Quote, Talk
from bot.content.summary import automatic_summary
from bot.content.times import format_time, moment_link
from bot.core.context import Context, is_cut
from bot.core.feedback import feedback_buttons
from bot.core.i18n import t
from bot.core.spec import help_lines
from bot.core.textsplit import clip
from bot.core.types import Block, Button, Reply, Request
from bot.search.engine import MAX_QUERY_CHARS
from bot.search.normalise import query_language
from bot.storage import buttons, usage

PASSAGE_VALUE = "¶"  # "/ask ¶<passage key>" answers with that passage (autocomplete and inline choices)
RESULTS_PER_PAGE = 3
_PASSAGE_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}/\d{1,7}$")


def _short(text: str, limit: int = 60) -> str:
    """A query on one line, cut to a limit, for echoing it back."""
    return clip(text, limit, one_line=True)


def _pick_talk(ctx: Context, args: str) -> tuple[Talk | None, str]:
    """Split an optional leading talk id or alias from the arguments (only when it names a talk)."""
    first, _, rest = args.strip().partition(" ")
    talk = ctx.catalog.talk(first) if first else None
    if talk is not None and (len(ctx.catalog.talks) > 1 or rest.strip()):
        return talk, rest.strip()
    return None, args.strip()


def moment_buttons(ctx: Context, passage: Passage) -> tuple[Button, ...]:
    """A '▶ 12:34' link that opens the recording where the passage is said (none without a time)."""
    talk = ctx.catalog.talk(passage.talk_id)
    if talk is None or passage.start is None:
        return ()
    return (Button(f"▶ {format_time(passage.start)}", url=moment_link(talk.source, passage.start)),)


def _source_button(ctx: Context, lang: str, talk_id: str | None) -> tuple[Button, ...]:
    talk = ctx.catalog.talk(talk_id) if talk_id else (ctx.catalog.talks[0] if len(ctx.catalog.talks) == 1 else None)
    return (Button(t(lang, "button_source"), url=talk.source),) if talk else ()


def _no_match(ctx: Context, lang: str, query: str, talk: Talk | None) -> Reply:
    plan = ctx.engine.plan(query)
    if plan.empty:
        return Reply((Block("hint", t(lang, "empty_query")),), outcome="bad_input")
    asked = query_language(query)  # topics in the language of the question, the bot's words in the reader's
    topics = ("、" if asked == "zh" else ", ").join(ctx.topics_of(talk, asked))
    blocks = [Block("text", t(lang, "no_match", query=_short(query)))]
    if topics:
        several = talk is None and len(ctx.catalog.talks) > 1
        blocks.append(Block("hint", t(lang, "no_match_hint_many" if several else "no_match_hint", topics=topics)))
    return Reply(tuple(blocks), outcome="no_match", talk_id=talk.id if talk else None)


def query_key(query: str, talk: Talk | None) -> str:
    """A short stable key for a query, so a 'more' button can find it again (≤ 64-byte callbacks)."""
    return hashlib.sha256(f"{talk.id if talk else ''}\x00{query}".encode()).hexdigest()[:16]


def _remember_query(ctx: Context, key: str, query: str, talk: Talk | None) -> None:
    """Store the query behind a 'more' button without delaying the reply."""
    buttons.remember(ctx.store, key, query[: MAX_QUERY_CHARS * 4], talk.id if talk else None,
                     ctx.clock().timestamp())


async def _answer(ctx: Context, req: Request, query: str, talk: Talk | None, offset: int) -> Reply:
    lang = ctx.lang(req)
    hits = ctx.engine.search(query, limit=RESULTS_PER_PAGE + 1, offset=offset, talk=talk.id if talk else None)
    if not hits:
        if offset:
            return Reply((Block("hint", t(lang, "no_more")),), outcome="no_match")
        return _no_match(ctx, lang, query, talk)
    shown = hits[:RESULTS_PER_PAGE]
    blocks: list[Block] = []
    if len(query) > MAX_QUERY_CHARS:
        blocks.append(Block("hint", t(lang, "long_query")))
    blocks.extend(ctx.passage_block(hit.passage, lang) for hit in shown)
    buttons: list[Button] = []
    if len(hits) > RESULTS_PER_PAGE:
        key = query_key(query, talk)
        _remember_query(ctx, key, query, talk)
        buttons.append(Button(t(lang, "button_more"), command="more", args=f"{key} {offset + RESULTS_PER_PAGE}"))
    around = next((h.passage for h in shown if is_cut(h.passage)), shown[0].passage)  # a cut one: read around it
    buttons.append(Button(t(lang, "button_context"), command="context", args=around.key))
    buttons.extend(moment_buttons(ctx, shown[0].passage))
    buttons.extend(_source_button(ctx, lang, shown[0].passage.talk_id))
    buttons.extend(feedback_buttons(ctx, "ask", query, talk.id if talk else None, shown[0].passage.key))
    return Reply(tuple(blocks), tuple(buttons), result_count=len(shown), top_passage=shown[0].passage.key,
                 talk_id=shown[0].passage.talk_id)


async def ask(ctx: Context, req: Request) -> Reply:
    """Find the passages of the talk that answer a question."""
    lang = ctx.lang(req)
    args = req.args.strip()
    if args.startswith(PASSAGE_VALUE) and _PASSAGE_KEY.match(args[1:]):
        passage = ctx.catalog.passage(args[1:])
        if passage is not None:
            buttons = (Button(t(lang, "button_context"), command="context", args=passage.key),
                       *moment_buttons(ctx, passage), *_source_button(ctx, lang, passage.talk_id),
                       *feedback_buttons(ctx, "ask", args, None, passage.key))
            return Reply((ctx.passage_block(passage, lang),), buttons, result_count=1, top_passage=passage.key,
                         talk_id=passage.talk_id)
    if not args:
        hint = ("、" if lang == "zh" else ", ").join(ctx.topics_of(None, lang)[:6])
        blocks = [Block("hint", t(lang, "ask_usage", example=ctx.usage_example(lang)))]
        if hint:
            several = len(ctx.catalog.talks) > 1
            blocks.append(Block("hint", t(lang, "no_match_hint_many" if several else "no_match_hint", topics=hint)))
        return Reply(tuple(blocks), outcome="bad_input")
    talk, query = _pick_talk(ctx, args)
    return await _answer(ctx, req, query or args, talk, 0)


async def more(ctx: Context, req: Request) -> Reply:
    """The next passages for a question answered before (the 'more' button)."""
    lang = ctx.lang(req)
    key, _, offset_text = req.args.strip().partition(" ")
    found = await buttons.recall(ctx.store, key)
    if found is None or not (offset_text.isascii() and offset_text.isdigit()) or int(offset_text) > 60:
        return Reply((Block("hint", t(lang, "stale_button")),), outcome="bad_input", ephemeral=True)
    query, talk_id = found
    talk = ctx.catalog.talk(talk_id) if talk_id else None
    return await _answer(ctx, req, query, talk, int(offset_text))


async def context(ctx: Context, req: Request) -> Reply:
    """The paragraphs before and after a passage (the 'context' button)."""
    lang = ctx.lang(req)
    key = req.args.strip()
    around = ctx.catalog.neighbours(key, before=1, after=1) if _PASSAGE_KEY.match(key) else []
    if not around:
        return Reply((Block("hint", t(lang, "stale_button")),), outcome="bad_input", ephemeral=True)
    blocks = [Block("title", t(lang, "context_title"))]
    blocks.extend(ctx.passage_block(p, lang) for p in around)
    return Reply(tuple(blocks), _source_button(ctx, lang, around[0].talk_id), result_count=len(around),
                 top_passage=key, talk_id=around[0].talk_id)


def quote_block(ctx: Context, q: Quote, lang: str) -> Block:
    """A quotable sentence with its attribution."""
    return Block("quote", q.text, ctx.citation(q.passage, lang))


async def quote(ctx: Context, req: Request) -> Reply:
    """A line of the speaker, random or matching keywords."""
    lang = ctx.lang(req)
    talk, keywords = _pick_talk(ctx, req.args)
    pool = [q for q in ctx.catalog.quotes if talk is None or q.passage.talk_id == talk.id]
    if not pool:
        return Reply((Block("hint", t(lang, "no_match", query=_short(keywords))),), outcome="no_match")
    blocks: list[Block] = []
    outcome = "ok"
    chosen: Quote | None = None
    if keywords:
        found = ctx.engine.best_quote(keywords, talk=talk.id if talk else None)
        if found is not None:
            chosen = found[0]
        else:
            outcome = "no_match"
            blocks.append(Block("hint", t(lang, "quote_no_match", query=_short(keywords))))
    if chosen is None:
        chosen = ctx.rng.choice(pool)
    blocks.append(quote_block(ctx, chosen, lang))
    buttons = (*moment_buttons(ctx, chosen.passage), *_source_button(ctx, lang, chosen.passage.talk_id))
    if keywords and outcome == "ok":
        buttons += feedback_buttons(ctx, "quote", keywords, talk.id if talk else None, chosen.passage.key)
    return Reply(tuple(blocks), buttons,
                 outcome=outcome,  # type: ignore[arg-type]
                 result_count=0 if outcome == "no_match" else 1, top_passage=chosen.passage.key,
                 talk_id=chosen.passage.talk_id)


def _talk_list(ctx: Context) -> str:
    return ", ".join(f"{talk.id}" for talk in ctx.catalog.talks)


async def summary(ctx: Context, req: Request) -> Reply:
    """The talk's key points and source."""
    lang = ctx.lang(req)
    name = req.args.strip()
    talks = ctx.catalog.talks
    if name:
        talk = ctx.catalog.talk(name.split()[0])
        if talk is None:
            return Reply((Block("hint", t(lang, "unknown_talk", name=_short(name, 40), talks=_talk_list(ctx))),),
                         outcome="bad_input")
    elif len(talks) == 1:
        talk = talks[0]
    else:
        blocks = [Block("text", t(lang, "summary_pick"))]
        blocks.extend(Block("item", f"{x.id}: {x.title} ({x.speaker}, {x.date})") for x in talks)
        return Reply(tuple(blocks), result_count=len(talks))
    title_key = "summary_title" if talk.key_points else "summary_auto_title"
    blocks = [Block("title", t(lang, title_key, title=talk.title))]
    blocks.extend(Block("item", point) for point in talk.key_points)
    count = len(talk.key_points)
    if not talk.key_points:  # curated key points win; without them, the speaker's most central sentences
        picked = automatic_summary(talk)
        blocks.append(Block("hint", t(lang, "summary_auto")))
        blocks.extend(Block("item", f"{'' if at is None else format_time(at) + ' · '}{text}")
                      for _, text, at in picked)
        count = len(picked)
    blocks.append(Block("text", f"{talk.speaker} · {talk.event} · {talk.date}\n{talk.source}"))
    return Reply(tuple(blocks), _source_button(ctx, lang, talk.id), result_count=count, talk_id=talk.id)


async def about(ctx: Context, req: Request) -> Reply:
    """Talks loaded, sources and credits."""
    lang = ctx.lang(req)
    blocks = [Block("title", t(lang, "about_title")), Block("text", t(lang, "welcome")),
              Block("text", t(lang, "about_talks", count=len(ctx.catalog.talks)))]
    for talk in ctx.catalog.talks:
        credits = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in talk.credits)
        lines = [f"{talk.title} [{talk.id}]", f"{talk.speaker} · {talk.event} · {talk.date}", talk.source]
        if credits:
            lines.append(credits)
        blocks.append(Block("item", "\n".join(lines)))
    blocks.append(Block("hint", t(lang, "about_footer", version=__version__)))
    return Reply(tuple(blocks), result_count=len(ctx.catalog.talks))


async def stats(ctx: Context, req: Request) -> Reply:
    """Usage numbers."""
    lang = ctx.lang(req)
    now = ctx.clock()
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    week_start = (now - timedelta(days=7)).timestamp()
    await ctx.store.flush()
    total, today, week = await usage.totals(ctx.store, day_start, week_start)
    asked, answered = await usage.answered(ctx.store, "ask")
    named = [spec.name for spec in ctx.specs if spec.listed and spec.access != "owners"]
    top = await usage.top_commands(ctx.store, [*named, *usage.LOOKUPS], 4)
    blocks = [
        Block("title", t(lang, "stats_title")),
        Block("text", t(lang, "stats_body", total=total, today=today, week=week,
                        answered=round(100 * answered / asked) if asked else 0)),
    ]
    if top:
        blocks.append(Block("text", t(lang, "stats_top", commands=", ".join(f"/{c} ({n})" for c, n in top))))
    return Reply(tuple(blocks), result_count=total)


async def help_(ctx: Context, req: Request) -> Reply:
    """This list of commands."""
    lang = ctx.lang(req)
    blocks = [Block("title", t(lang, "help_title"))]
    blocks.extend(Block("item", line) for line in help_lines(ctx.specs, lang))
    blocks.append(Block("hint", t(lang, "ask_usage", example=ctx.usage_example(lang))))  # about a loaded talk
    if len(ctx.catalog.talks) > 1:
        blocks.append(Block("hint", t(lang, "help_footer", example=ctx.catalog.talks[0].id)))
    return Reply(tuple(blocks))


async def start(ctx: Context, req: Request) -> Reply:
    """Welcome and commands."""
    lang = ctx.lang(req)
    listing = await help_(ctx, req)
    return Reply((Block("text", t(lang, "welcome")), *listing.blocks), _source_button(ctx, lang, None))


async def unknown(ctx: Context, req: Request) -> Reply:
    """Any command the bot does not have."""
    return Reply((Block("hint", t(ctx.lang(req), "unknown_command", command=_short(req.command, 32))),),
                 outcome="bad_input")
