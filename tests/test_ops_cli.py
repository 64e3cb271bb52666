"""The operator command line: subcommands present, and the daily-broadcast commands plugged in when provided."""

from __future__ import annotations

import argparse
import importlib
import sys
import types

import pytest

from bot import cli


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # argparse has no public accessor for subparsers
        if action.dest == "command" and action.choices:
            return dict(action.choices)
    raise AssertionError("no subcommands")


def test_operator_subcommands_exist() -> None:
    names = subcommands(cli.build_parser())
    assert {"run", "health", "backup", "forget", "stats", "search", "check-content"} <= set(names)
    args = cli.build_parser().parse_args(["forget", "--platform", "telegram", "--user", "42"])
    assert (args.platform, args.user, args.fn) == ("telegram", "42", cli.cmd_forget)
    args = cli.build_parser().parse_args(["health", "--max-age", "90"])
    assert args.max_age == 90 and args.error_code == 1
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["forget", "--platform", "irc", "--user", "1"])


def test_daily_commands_are_added_when_the_module_provides_them(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []

    def add_daily_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
        calls.append(sub)
        sub.add_parser("daily", help="daily quotes").set_defaults(fn=lambda settings, args, out: 0)

    fake = types.ModuleType("bot.cli_daily")
    fake.add_daily_commands = add_daily_commands  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "bot.cli_daily", fake)
    assert "daily" in subcommands(cli.build_parser()) and len(calls) == 1


def test_a_missing_daily_module_is_not_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "bot.cli_daily", None)  # import of it raises ModuleNotFoundError
    assert "run" in subcommands(cli.build_parser())


def test_a_broken_daily_module_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(name: str) -> types.ModuleType:
        raise ModuleNotFoundError("No module named 'somedependency'", name="somedependency")

    monkeypatch.setattr(importlib, "import_module", broken)  # the module bot.cli imports from
    with pytest.raises(ModuleNotFoundError):
        cli.build_parser()
