"""How a command is declared: one CommandSpec per command, from which routing, /help and menus are derived."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from bot.core.context import Context
from bot.core.i18n import t
from bot.core.types import Access, CommandInfo, OptionInfo, Reply, Request, Suggest

CommandFn = Callable[[Context, Request], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Option:
    """One argument of a command; its description is the i18n message 'option_<name>'."""

    name: str
    required: bool = False
    suggest: Suggest = ""


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """Everything about one command; its help is the i18n messages 'help_<name>' and 'args_<name>'."""

    name: str
    handler: CommandFn
    options: tuple[Option, ...] = ()
    access: Access = "everyone"
    rights_with_args_only: bool = False  # "managers": without arguments everyone may call it (it shows state)
    takes_talk: bool = False  # a leading talk id picks the talk
    listed: bool = True  # in menus and platform command trees (False: reached only through buttons)
    in_help: bool = True  # listed by /help
    platforms: tuple[str, ...] = ()  # menus and command trees of these platforms only (empty: all)
    aliases: tuple[str, ...] = ()

    def info(self) -> CommandInfo:
        """The command as adapters see it, with its words in both languages."""
        options = tuple(OptionInfo(o.name, t("en", f"option_{o.name}"), t("zh", f"option_{o.name}"), o.required,
                                   o.suggest) for o in self.options)
        return CommandInfo(self.name, t("en", f"help_{self.name}"), t("zh", f"help_{self.name}"),
                           t("en", f"args_{self.name}"), t("zh", f"args_{self.name}"), self.aliases, options,
                           self.access, self.rights_with_args_only, self.platforms)


def offered(specs: Iterable[CommandSpec]) -> list[CommandInfo]:
    """The commands for menus and command trees: listed ones that are not for the bot's owners only."""
    return [spec.info() for spec in specs if spec.listed and spec.access != "owners"]


def help_lines(specs: Iterable[CommandSpec], lang: str) -> list[str]:
    """One '/name args — what it does' line per command /help shows."""
    lines = []
    for spec in specs:
        if spec.listed and spec.in_help and spec.access != "owners":
            args = t(lang, f"args_{spec.name}")
            lines.append(f"/{spec.name}{' ' + args if args else ''} — {t(lang, f'help_{spec.name}')}")
    return lines
