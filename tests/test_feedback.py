"""👍/👎 in the core: which answers carry them, one vote per person per answer, removed talks, the console."""

from __future__ import annotations

import asyncio
import io
import re
import sqlite3
from dataclasses import replace
from pathlib import Path

from bot.adapters.console import ConsoleAdapter
from bot.app import App
from bot.config import Settings
from bot.content.model import Library
from bot.core.feedback import answer_key
from bot.core.types import Button, Reply, Request
from bot.storage.feedback import counts, down_voted

from .conftest import FixedClock


def ask(text: str, user: str = "u1", command: str = "ask") -> Request:
    return Request("console", "chat", user, command, text)


def votes_of(reply: Reply) -> dict[str, Button]:
    return {b.args.split()[0]: b for b in reply.buttons if b.command == "feedback"}


async def vote(app: App, button: Button, user: str) -> Reply:
    return await app.handle(Request("telegram", "chat", user, button.command, button.args))


async def test_answers_and_keyword_quotes_carry_both_buttons_random_quotes_do_not(app: App) -> None:
    answer = await app.handle(ask("why will pre-training end?"))
    assert set(votes_of(answer)) == {"up", "down"}
    assert [b.label for b in answer.buttons if b.command == "feedback"] == ["👍", "👎"]
    assert set(votes_of(await app.handle(ask("fossil fuel", command="quote")))) == {"up", "down"}
    assert votes_of(await app.handle(ask("", command="quote"))) == {}
    assert votes_of(await app.handle(ask("zzqx flibbertigibbet"))) == {}  # nothing found: nothing to rate


async def test_one_vote_per_person_per_answer_changed_not_doubled(app: App) -> None:
    buttons = votes_of(await app.handle(ask("why will pre-training end?")))
    first = await vote(app, buttons["down"], "u1")
    assert first.ephemeral and first.outcome == "ok"
    await vote(app, buttons["down"], "u1")
    assert await counts(app.store) == {"up": 0, "down": 1}
    await vote(app, buttons["up"], "u1")
    await vote(app, buttons["down"], "u2")
    assert await counts(app.store) == {"up": 1, "down": 1}
    [worst] = await down_voted(app.store)
    assert (worst.query, worst.down, worst.up) == ("why will pre-training end?", 1, 1)
    assert worst.passage is not None and worst.passage.startswith("ilya-neurips-2024/")


async def test_a_vote_on_an_answer_whose_talk_was_removed_is_recorded(app: App, settings: Settings) -> None:
    buttons = votes_of(await app.handle(ask("why will pre-training end?")))
    await app.store.flush()
    app.ctx.catalog = Library([])  # as if the talk file had been deleted and the talks reloaded
    reply = await vote(app, buttons["down"], "u1")
    assert reply.outcome == "ok"
    assert await counts(app.store) == {"up": 0, "down": 1}


async def test_the_same_question_and_passage_have_the_same_key_and_forged_keys_are_refused(app: App) -> None:
    one = votes_of(await app.handle(ask("why will pre-training end?")))["down"]
    two = votes_of(await app.handle(ask("why  will pre-training end?", user="u9")))["down"]
    assert one.args == two.args
    await app.store.flush()
    assert one.args.split()[1] == answer_key("ask", "why will pre-training end?", None, _passage_of(app, one))
    forged = await vote(app, Button("👎", command="feedback", args="down 0123456789abcdef"), "u1")
    assert forged.outcome == "bad_input" and forged.ephemeral
    assert (await vote(app, Button("?", command="feedback", args="up"), "u1")).outcome == "bad_input"
    assert await counts(app.store) == {"up": 0, "down": 0}


def _passage_of(app: App, button: Button) -> str:
    rows = sqlite3.connect(app.settings.database).execute(
        "SELECT passage FROM feedback_answers WHERE key = ?", (button.args.split()[1],)).fetchall()
    return str(rows[0][0]) if rows else ""


async def test_console_feedback_up_and_down_rate_the_last_answer(app: App) -> None:
    stdin = io.StringIO("/ask why will pre-training end?\n/feedback down\n/feedback up\n/feedback down\n")
    out = io.StringIO()
    console = ConsoleAdapter(app, stdin, out)
    await console.start()
    await console.done.wait()
    text = out.getvalue()
    assert "Thanks — noted 👎." in text and "Changed to 👍." in text and "Changed to 👎." in text
    assert await counts(app.store) == {"up": 0, "down": 1}


async def test_retention_prunes_old_answers_nobody_rated_and_keeps_rated_ones(app: App, clock: FixedClock) -> None:
    rated = votes_of(await app.handle(ask("why will pre-training end?")))
    await app.handle(ask("fossil fuel", command="quote"))
    await vote(app, rated["down"], "u1")
    clock.now = clock.now.replace(year=clock.now.year + 3)
    await app.prune_usage()
    rows = sqlite3.connect(app.settings.database).execute("SELECT key FROM feedback_answers").fetchall()
    assert [r[0] for r in rows] == [rated["down"].args.split()[1]]
    assert (await vote(app, rated["up"], "u1")).outcome == "ok"


async def test_console_report_for_an_owner_is_written_to_a_file_and_its_path_printed(app: App) -> None:
    app.ctx.settings = replace(app.ctx.settings, owner_ids=frozenset({"console:tester"}))
    app.ctx.owners = app.ctx.settings.owner_ids
    out = io.StringIO()
    console = ConsoleAdapter(app, io.StringIO("/ask why will pre-training end?\n/report 7\n"), out)
    console.user = "tester"
    await console.start()
    await console.done.wait()
    [path] = re.findall(r"\[file written to (\S+)\]", out.getvalue())
    page = await asyncio.to_thread(Path(path).read_text, encoding="utf-8")
    assert "<svg" in page
    console = ConsoleAdapter(app, io.StringIO("/report\n"), out := io.StringIO())
    console.user = "someone-else"
    await console.start()
    await console.done.wait()
    assert "I don't know the command /report" in out.getvalue() and "file written" not in out.getvalue()


async def test_forget_deletes_a_persons_votes_only(app: App, settings: Settings) -> None:
    from bot.ops import forget

    buttons = votes_of(await app.handle(ask("why will pre-training end?")))
    await vote(app, buttons["down"], "111")
    await vote(app, buttons["up"], "222")
    await app.store.flush()
    await forget(settings, "telegram", "111")
    assert await counts(app.store) == {"up": 1, "down": 0}
