"""Round trip: an imported talk answered on Telegram, Discord and the console with a link to the moment."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.adapters.console import render
from bot.adapters.discord import DiscordAdapter
from bot.app import App
from bot.cli import main
from bot.config import Settings, load_settings
from bot.content.model import Quote
from bot.core.types import Request
from bot.daily.deliveries import broadcast_reply
from tests.fakes.discord_api import FakeDiscord, custom_ids, discord_settings
from tests.fakes.telegram_api import FakeTelegramAPI, running_adapter

FIXTURES = Path(__file__).parent / "fixtures"
SOURCE = "https://www.youtube.com/watch?v=lighthouse1"
QUESTION = "how did the daughter learn to read in winter"
MOMENT = "t=29s"  # the passage starts at 0:31; links open two seconds early


@pytest.fixture
def timed_settings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Settings:
    """Settings on a content folder holding only the English talk, imported from its subtitles."""
    content = tmp_path / "talks"
    assert main(["import", str(FIXTURES / "lighthouse.srt"), "--id", "lighthouse", "--title", "Forty years on Gull "
                 "Point", "--speaker", "Margaret Hale", "--source", SOURCE, "--date", "2024-05-01", "--out",
                 str(content)]) == 0
    capsys.readouterr()
    return load_settings({
        "BOT_CONTENT_DIR": str(content), "BOT_DATABASE": str(tmp_path / "bot.sqlite3"),
        "BOT_INDEX_DIR": str(tmp_path / "index"), "BOT_LANGUAGE": "en", "BOT_HASH_SALT": "test-salt-0123456789"})


@pytest.fixture
async def timed_app(timed_settings: Settings) -> AsyncIterator[App]:
    core = await App.create(timed_settings)
    yield core
    await core.close()


async def test_search_json_gives_start_and_link(timed_settings: Settings, timed_app: App,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_CONTENT_DIR", str(timed_settings.content_dir))
    monkeypatch.setenv("BOT_INDEX_DIR", str(timed_settings.index_path))
    assert main(["search", "--json", QUESTION]) == 0
    first = json.loads(capsys.readouterr().out)["results"][0]
    assert first["start"] == 31 and first["link"] == f"{SOURCE}&{MOMENT}"


async def test_console_shows_the_time_and_the_link(timed_app: App) -> None:
    reply = await timed_app.handle(Request("console", "c", "u", "ask", QUESTION))
    text = render(reply)
    assert "▶ 0:31" in text and f"{SOURCE}&{MOMENT}" in text
    [button] = [b for b in reply.buttons if b.label == "▶ 0:31"]
    assert button.url == f"{SOURCE}&{MOMENT}"


async def test_telegram_button_and_citation_open_the_moment(timed_app: App, api: FakeTelegramAPI) -> None:
    async with running_adapter(timed_app, api):
        api.private_text(f"/ask {QUESTION}")
        [sent] = await api.wait_sent(1)
    text = sent.params["text"]
    assert "hardest winter" in text and f'<a href="{SOURCE}&amp;{MOMENT}">▶ 0:31</a>' in text
    markup = sent.params["reply_markup"]["inline_keyboard"]
    links = {b["text"]: b.get("url") for row in markup for b in row}
    assert links["▶ 0:31"] == f"{SOURCE}&{MOMENT}"


async def test_telegram_inline_results_carry_the_time(timed_app: App, api: FakeTelegramAPI) -> None:
    suggestions = await timed_app.suggest(Request("telegram", "c", "u", "inline", "tide table"), 5)
    assert suggestions and suggestions[0].title.startswith("0:31 ") and "▶ 0:31" in suggestions[0].description


async def test_discord_embed_links_the_time_and_a_button_opens_it(timed_app: App, fake: FakeDiscord) -> None:
    adapter = DiscordAdapter(timed_app, discord_settings(fake), start_timeout=10)
    timed_app.register(adapter)
    await adapter.start()
    try:
        interaction = await fake.slash("ask", {"question": QUESTION})
        [message] = await fake.wait_for(
            lambda: [m for m in fake.replies(interaction) if m["embeds"] and not m["flags"] & 128] or None)
    finally:
        await adapter.stop()
    [embed] = message["embeds"][:1]
    assert f"[▶ 0:31]({SOURCE}&{MOMENT})" in embed["description"]
    assert embed["footer"]["text"].endswith("· 0:31")
    links = [b for row in message["components"] for b in row["components"] if b["style"] == 5]
    assert any(b["url"] == f"{SOURCE}&{MOMENT}" and b["label"] == "▶ 0:31" for b in links)
    assert custom_ids(message)


async def test_summary_of_a_talk_without_key_points_is_automatic_with_times(timed_app: App) -> None:
    reply = await timed_app.handle(Request("console", "c", "u", "summary", "lighthouse"))
    items = [b.text for b in reply.blocks if b.kind == "item"]
    assert 5 <= len(items) <= 7 and reply.result_count == len(items)
    assert any(b.kind == "hint" and "Automatic summary" in b.text for b in reply.blocks)
    times = [int(i.split(" · ")[0].split(":")[0]) * 60 + int(i.split(" · ")[0].split(":")[1]) for i in items]
    assert times == sorted(times)  # in talk order, each with its time
    talk = timed_app.catalog.by_id("lighthouse")
    assert all(any(i.split(" · ", 1)[1] in p.text for p in talk.passages if p.role == "speaker") for i in items)


async def test_curated_key_points_win(app: App) -> None:
    reply = await app.handle(Request("console", "c", "u", "summary", ""))
    assert not any("Automatic" in b.text for b in reply.blocks)
    assert [b.text for b in reply.blocks if b.kind == "item"] == list(app.catalog.talks[0].key_points)


async def test_daily_quote_carries_the_same_link(timed_app: App) -> None:
    passage = next(p for p in timed_app.catalog.passages if p.start == 31)
    quote = Quote(f"{passage.key}#1", "My daughter learned to read that winter.", passage)
    reply = broadcast_reply(timed_app.ctx, quote, "en")
    [block] = [b for b in reply.blocks if b.kind == "quote"]
    assert block.citation is not None and block.citation.link == f"{SOURCE}&{MOMENT}"
    assert any(b.url == f"{SOURCE}&{MOMENT}" and b.label == "▶ 0:31" for b in reply.buttons)
