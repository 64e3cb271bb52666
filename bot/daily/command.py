"""The /daily command: show a chat's daily quote, set its time (zone, talk) or turn it off."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from bot.content.model import Library
from bot.core.context import Context
from bot.core.i18n import t
from bot.core.textsplit import clip
from bot.core.types import Block, Reply, Request, Target
from bot.daily import store as subs
from bot.daily.schedule import (
    EXAMPLE,
    fold_word,
    format_minute,
    local_day,
    looks_like_time,
    looks_like_zone,
    next_delivery,
    parse_time,
    resolve_zone,
    zone_of,
)

OFF_WORDS = frozenset({"off", "stop", "cancel", "unsubscribe", "关闭", "关", "取消", "停止"})
SHOW_WORDS = frozenset({"", "status", "show", "info", "状态", "查看"})
ON_WORDS = frozenset({"on", "at", "set", "开启", "每天"})
MERIDIEM = frozenset({"am", "pm", "a.m.", "p.m."})
MAX_WORD_CHARS = 40


@dataclass(frozen=True, slots=True)
class Choice:
    """What '/daily HH:MM [zone] [talk]' asked for."""

    minute: int
    zone: str | None
    talk: str | None


@dataclass(frozen=True, slots=True)
class Problem:
    """Why the arguments were not understood: a message key and its values."""

    key: str
    values: dict[str, str] = field(default_factory=dict)


def _clip(word: str) -> str:
    return clip(word, MAX_WORD_CHARS)


def parse_args(args: str, library: Library) -> Choice | Problem | Literal["show", "off"]:
    """Read /daily's arguments: nothing or 'status' shows, 'off' stops, else a time, then a zone and a talk."""
    words = args.split()
    if fold_word(" ".join(words)) in SHOW_WORDS:
        return "show"
    if len(words) == 1 and fold_word(words[0]) in OFF_WORDS:
        return "off"
    if fold_word(words[0]) in ON_WORDS:
        words = words[1:]
    if len(words) > 1 and fold_word(words[1]) in MERIDIEM:
        words = [words[0] + words[1], *words[2:]]
    if not words:
        return Problem("daily_need_time", {"example": EXAMPLE})
    minute = parse_time(words[0])
    if minute is None:
        if looks_like_time(words[0]):
            return Problem("daily_bad_time", {"text": _clip(words[0]), "example": EXAMPLE})
        return Problem("daily_need_time", {"example": EXAMPLE})
    zone: str | None = None
    talk: str | None = None
    for word in words[1:]:
        found = library.talk(word) if talk is None else None
        if found is not None:
            talk = found.id
            continue
        choice = resolve_zone(word) if zone is None else None
        if choice is not None and choice.name is not None:
            zone = choice.name
            continue
        if choice is not None and choice.candidates:
            return Problem("daily_ambiguous_zone", {
                "text": _clip(word), "candidates": ", ".join(choice.candidates[:5]),
                "first": choice.candidates[0], "time": format_minute(minute)})
        if looks_like_zone(word):
            return Problem("daily_bad_zone", {"text": _clip(word), "example": EXAMPLE})
        return Problem("daily_bad_word", {"text": _clip(word), "example": EXAMPLE,
                                          "talks": ", ".join(x.id for x in library.talks)})
    return Choice(minute, zone, talk)


def when_text(lang: str, at: datetime, zone: tzinfo, now: datetime) -> str:
    """A delivery time as the chat reads it: 'today 08:30', 'tomorrow 08:30', a date, or 'now'."""
    local = at.astimezone(zone)
    clock = local.strftime("%H:%M")
    if at <= now:
        return t(lang, "daily_due_now", time=clock)
    today = local_day(now, zone)
    if local.date() == today:
        return t(lang, "daily_today", time=clock)
    if local.date() == today + timedelta(days=1):
        return t(lang, "daily_tomorrow", time=clock)
    return f"{local.date().isoformat()} {clock}"


def _source(ctx: Context, lang: str, talk_id: str | None) -> str:
    talk = ctx.catalog.talk(talk_id) if talk_id else None
    return t(lang, "daily_source_talk", title=talk.title) if talk else t(lang, "daily_source_all")


def _known_zone(name: str) -> bool:
    try:
        zone_of(name)
    except ValueError:
        return False
    return True


async def _state(ctx: Context, lang: str, sub: subs.Subscription, key: str) -> Reply:
    """A subscription's settings, next delivery and last one."""
    now = ctx.clock()
    zone = zone_of(sub.zone)
    taken = await subs.days_taken(ctx.store, sub.id, local_day(now, zone) - timedelta(days=1))
    at = next_delivery(now, sub.minute, zone, datetime.fromtimestamp(sub.since, now.tzinfo),
                       timedelta(hours=ctx.settings.daily_grace_hours), taken)
    blocks = [Block("text", t(lang, key, time=format_minute(sub.minute), zone=sub.zone,
                              source=_source(ctx, lang, sub.talk), next=when_text(lang, at, zone, now)))]
    if sub.last_sent:
        blocks.append(Block("hint", t(lang, "daily_last_sent", day=sub.last_sent)))
    return Reply(tuple(blocks), talk_id=sub.talk)


async def _show(ctx: Context, req: Request, lang: str) -> Reply:
    sub = await subs.find(ctx.store, Target(req.platform, req.chat_id, req.thread_id))
    if sub is None:
        return Reply((Block("text", t(lang, "daily_none", example=EXAMPLE, zone=ctx.settings.default_timezone)),))
    settings = {"time": format_minute(sub.minute), "zone": sub.zone}
    if sub.state == subs.OFF:
        return Reply((Block("text", t(lang, "daily_off_state", **settings)),))
    if sub.state == subs.DISABLED:
        if not _known_zone(sub.zone):  # paused because its stored zone is unknown: say so, with an example
            return Reply((Block("hint", t(lang, "daily_bad_zone", text=_clip(sub.zone), example=EXAMPLE)),))
        return Reply((Block("text", t(lang, "daily_disabled", days=sub.failures, reason=sub.reason or "?",
                                      **settings)),))
    return await _state(ctx, lang, sub, "daily_on")


async def daily(ctx: Context, req: Request) -> Reply:
    """Daily quote in this chat: show it, set its time, or turn it off (a change wakes the scheduler)."""
    lang = ctx.lang(req)
    parsed = parse_args(req.args, ctx.catalog)
    if parsed == "show":
        return await _show(ctx, req, lang)
    if isinstance(parsed, Problem):
        return Reply((Block("hint", t(lang, parsed.key, **parsed.values)),), outcome="bad_input")
    if not req.can_manage_chat:
        return Reply((Block("hint", t(lang, "daily_denied")),), outcome="denied")
    target = Target(req.platform, req.chat_id, req.thread_id)
    now = ctx.clock()
    if parsed == "off":
        existing = await subs.find(ctx.store, target)
        if existing is None or not await subs.turn_off(ctx.store, target, now):
            return Reply((Block("text", t(lang, "daily_was_off")),))
        return Reply((Block("text", t(lang, "daily_turned_off", time=format_minute(existing.minute),
                                      zone=existing.zone)),))
    zone = parsed.zone or ctx.settings.default_timezone
    owner = ctx.store.hash_id(req.platform, req.user_id)
    sub = await subs.save(ctx.store, target, owner, lang, parsed.minute, zone, parsed.talk, now)
    ctx.notify("daily")
    return await _state(ctx, lang, sub, "daily_set")
