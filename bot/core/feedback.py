"""👍/👎 under answers: the buttons, the key that finds the answer again, and the vote command."""

from __future__ import annotations

import hashlib
import re

from bot.core.context import Context
from bot.core.types import Block, Button, Reply, Request
from bot.storage.feedback import DOWN, UP, answer_known, record_vote, remember_answer

COMMAND = "feedback"
VOTES = {"up": UP, "down": DOWN}
_KEY = re.compile(r"^[0-9a-f]{16}$")
_TEXT = {
    "en": {"new": "Thanks — noted {mark}.", "changed": "Changed to {mark}.", "same": "Already noted {mark}.",
           "stale": "This answer can no longer be rated.", "usage": "Rate an answer with its 👍 or 👎 button."},
    "zh": {"new": "谢谢，已记录 {mark}。", "changed": "已改为 {mark}。", "same": "已经记录过 {mark}。",
           "stale": "这个回答已无法评价。", "usage": "请用回答下面的 👍 或 👎 按钮评价。"},
}
MARKS = {UP: "👍", DOWN: "👎"}


def answer_key(command: str, query: str, talk: str | None, passage: str | None) -> str:
    """A short stable key for one answer (≤ 64-byte callbacks): the same question and passage, the same key."""
    text = "\x00".join((command, " ".join(query.split()), talk or "", passage or ""))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def feedback_buttons(ctx: Context, command: str, query: str, talk: str | None,
                     passage: str | None) -> tuple[Button, Button]:
    """👍 and 👎 for an answer; the answer's query and passage are stored so a vote still finds them later."""
    key = answer_key(command, query, talk, passage)
    remember_answer(ctx.store, key, command, query, talk, passage)
    return (Button(MARKS[UP], command=COMMAND, args=f"up {key}"),
            Button(MARKS[DOWN], command=COMMAND, args=f"down {key}"))


def _say(lang: str, what: str, **values: str) -> Block:
    return Block("hint", _TEXT["zh" if lang == "zh" else "en"][what].format(**values))


async def feedback(ctx: Context, req: Request) -> Reply:
    """A 👍/👎 press: one vote per person per answer, the other button changes it (answered privately)."""
    lang = ctx.lang(req)
    choice, _, key = req.args.strip().partition(" ")
    key = key.strip()
    if choice not in VOTES or not key:
        return Reply((_say(lang, "usage"),), outcome="bad_input", ephemeral=True)
    if not _KEY.match(key) or not await answer_known(ctx.store, key):
        return Reply((_say(lang, "stale"),), outcome="bad_input", ephemeral=True)
    vote = VOTES[choice]
    result = await record_vote(ctx.store, key, ctx.store.hash_id(req.platform, req.user_id), req.platform, vote)
    what = "new" if result.previous is None else ("same" if result.previous == vote else "changed")
    return Reply((_say(lang, what, mark=MARKS[vote]),), ephemeral=True)
