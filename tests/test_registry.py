"""The command registry: one declaration gives routing, /help, Telegram's menu and Discord's command tree."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.core.context import Context
from bot.core.i18n import MESSAGES
from bot.core.spec import CommandSpec, Option
from bot.core.types import Block, Reply, Request
from bot.registry import COMMANDS
from tests.fakes import discord_api, telegram_api
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegramAPI


async def echo(ctx: Context, req: Request) -> Reply:
    """The toy command: says its arguments back."""
    return Reply((Block("text", f"echo: {req.args}"),))


TOY = CommandSpec("echo", echo, (Option("words", required=True), Option("talk")))
SECRET = CommandSpec("secret", echo, access="owners")


@pytest.fixture
def toy(app: App, monkeypatch: pytest.MonkeyPatch) -> App:
    """The real core with the toy command (and an owners-only one) declared; their words added to i18n."""
    for key, en, zh in (("help_echo", "Say it back", "复述"), ("args_echo", "<words>", "<词语>"),
                        ("option_words", "What to say back", "要复述的话"), ("help_secret", "Owners", "主人"),
                        ("args_secret", "", "")):
        monkeypatch.setitem(MESSAGES, key, {"en": en, "zh": zh})
    app.router.add(TOY)
    app.router.add(SECRET)
    return app


def request(command: str, args: str = "", user: str = "1", locale: str = "en") -> Request:
    return Request("telegram", "1", user, command, args, locale=locale)


async def test_the_toy_command_is_routed_and_listed_by_help(toy: App) -> None:
    assert (await toy.handle(request("echo", "hello"))).plain_text == "echo: hello"
    listing = (await toy.handle(request("help"))).plain_text
    assert "/echo <words> — Say it back" in listing
    assert "/echo <词语> — 复述" in (await toy.handle(request("help", locale="zh"))).plain_text
    assert [c.name for c in toy.commands()][-1] == "echo"


async def test_the_toy_command_is_in_the_telegram_menu(toy: App, api: FakeTelegramAPI) -> None:
    async with telegram_api.running_adapter(toy, api):
        menus = {c.params.get("language_code"): c.params["commands"] for c in api.calls_to("setMyCommands")}
    assert {"command": "echo", "description": "Say it back"} in menus[None]
    assert {"command": "echo", "description": "复述"} in menus["zh"]
    assert all(c["command"] != "secret" for menu in menus.values() for c in menu)


async def test_the_toy_command_is_in_the_discord_tree_with_its_options(toy: App, fake: FakeDiscord) -> None:
    async with discord_api.running_adapter(fake, toy):
        registered = {c["name"]: c for c in fake.commands[None]}
    assert "secret" not in registered and "start" not in registered
    options = registered["echo"]["options"]
    assert [(o["name"], o["required"]) for o in options] == [("words", True), ("talk", False)]
    assert options[0]["description"] == "What to say back"
    assert options[0]["description_localizations"]["zh-CN"] == "要复述的话"


async def test_an_owners_command_is_unknown_to_others_and_hidden(toy: App) -> None:
    other = await toy.handle(request("secret"))
    unknown = await toy.handle(request("nosuchcommand"))
    assert other.outcome == "bad_input" and other.plain_text == unknown.plain_text.replace("nosuchcommand", "secret")
    assert "/secret" not in (await toy.handle(request("help"))).plain_text
    toy.ctx.owners = frozenset({"telegram:42"})
    assert (await toy.handle(request("secret", "hi", user="42"))).plain_text == "echo: hi"


async def test_a_managers_command_is_denied_to_others(toy: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MESSAGES, "help_admin", {"en": "Admins", "zh": "管理员"})
    monkeypatch.setitem(MESSAGES, "args_admin", {"en": "", "zh": ""})
    toy.router.add(CommandSpec("admin", echo, access="managers"))
    denied = await toy.handle(request("admin", "x"))
    assert denied.outcome == "denied" and "/admin" in denied.plain_text
    allowed = await toy.handle(Request("telegram", "1", "1", "admin", "x", can_manage_chat=True))
    assert allowed.plain_text == "echo: x"


def test_every_declared_command_has_its_words_in_both_languages() -> None:
    for spec in COMMANDS:
        info = spec.info()
        assert info.help_en and info.help_zh and info.help_en != info.help_zh
        assert all(o.help_en and o.help_zh for o in info.options)
