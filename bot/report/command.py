"""`/report [days]`: the HTML report as a file, for the owners in BOT_OWNER_IDS in a private chat only."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC

from bot.core.commands import unknown
from bot.core.context import Context
from bot.core.types import Attachment, Block, Reply, Request
from bot.report.build import ReportError, build_report

DEFAULT_DAYS = 30
MAX_DAYS = 3650
KEEP_FILES = 5  # the newest reports stay in the folder (the console prints where), older ones go
_TEXT = {
    "en": {"done": "Report of the last {days} days: {total} logged commands, 👍 {up}, 👎 {down}.",
           "days": "Usage: /report [days], days from 1 to {max}.", "failed": "The report could not be made: {why}"},
    "zh": {"done": "最近 {days} 天的报告：{total} 条记录，👍 {up}，👎 {down}。",
           "days": "用法：/report [天数]，天数为 1 到 {max}。", "failed": "报告生成失败：{why}"},
}


def is_owner(ctx: Context, req: Request) -> bool:
    """Whether the sender is listed in BOT_OWNER_IDS and writes in a private chat."""
    return req.chat_kind == "private" and ctx.is_owner(req)


def _prune(ctx: Context) -> None:
    folder = ctx.settings.database.parent / "reports"
    for old in sorted(folder.glob("report-*.html"))[:-KEEP_FILES]:
        with contextlib.suppress(OSError):
            old.unlink()


async def report(ctx: Context, req: Request) -> Reply:
    """The owner's report as an HTML document; anyone else gets the unknown-command answer."""
    if not is_owner(ctx, req):
        return await unknown(ctx, req)
    text = _TEXT["zh" if ctx.lang(req) == "zh" else "en"]
    raw = req.args.strip()
    if raw and not (raw.isdigit() and 1 <= int(raw) <= MAX_DAYS):
        return Reply((Block("hint", text["days"].format(max=MAX_DAYS)),), outcome="bad_input")
    days = int(raw) if raw else DEFAULT_DAYS
    await ctx.store.flush()  # the answers just given are in it
    now = ctx.clock()
    path = ctx.settings.database.parent / "reports" / f"report-{now.astimezone(UTC):%Y%m%d-%H%M%S}.html"

    def passage_text(key: str) -> str | None:
        passage = ctx.catalog.passage(key)
        return passage.text if passage is not None else None

    try:
        data = await asyncio.to_thread(build_report, ctx.settings.database, path, days, None, passage_text,
                                       now.timestamp())
    except ReportError as exc:
        return Reply((Block("error", text["failed"].format(why=exc)),), outcome="error")
    await asyncio.to_thread(_prune, ctx)
    summary = text["done"].format(days=days, total=data.total, up=data.feedback["up"], down=data.feedback["down"])
    return Reply((Block("text", summary),), attachment=Attachment(path.name, str(path)))

