"""Shared fixtures: settings on a temporary database, and the real core built from content/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings, load_settings
from tests.fakes.discord_api import TOKEN as DISCORD_TOKEN
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegramAPI

REPO = Path(__file__).resolve().parent.parent
SEED_TALK = REPO / "content" / "ilya-neurips-2024.md"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with a database and index in a temporary folder, English by default."""
    return load_settings({
        "BOT_DATABASE": str(tmp_path / "data" / "bot.sqlite3"),
        "BOT_INDEX_DIR": str(tmp_path / "index"),
        "BOT_LANGUAGE": "en",
        "BOT_HASH_SALT": "test-salt-0123456789",
    })


class FixedClock:
    """A clock tests can set and move."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
async def app(settings: Settings, clock: FixedClock) -> AsyncIterator[App]:
    """The real core on the repo's content and a temporary database."""
    core = await App.create(settings, clock=clock)
    core.ctx.rng.seed(7)
    yield core
    await core.close()


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramAPI]:
    """A fake Telegram Bot API on 127.0.0.1."""
    async with FakeTelegramAPI() as fake:
        yield fake


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A fake Discord (REST and gateway) on 127.0.0.1."""
    server = FakeDiscord(DISCORD_TOKEN)
    await server.start()
    yield server
    await server.close()
