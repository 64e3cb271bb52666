"""Every command of the bot, declared once: the router, /help, Telegram's menu and Discord's commands follow."""

from __future__ import annotations

from bot.core import commands as core
from bot.core.feedback import feedback
from bot.core.spec import CommandSpec, Option
from bot.daily.command import daily
from bot.report.command import report

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("ask", core.ask, (Option("question", required=True, suggest="passages"),), takes_talk=True),
    CommandSpec("quote", core.quote, (Option("keywords", suggest="passages"),), takes_talk=True),
    CommandSpec("summary", core.summary, (Option("talk"),), takes_talk=True),
    CommandSpec("daily", daily, (Option("time"), Option("timezone", suggest="zones"), Option("talk")),
                access="managers", rights_with_args_only=True, takes_talk=True),
    CommandSpec("about", core.about),
    CommandSpec("stats", core.stats),
    CommandSpec("help", core.help_),
    CommandSpec("start", core.start, in_help=False, platforms=("telegram",)),
    CommandSpec("more", core.more, listed=False),
    CommandSpec("context", core.context, listed=False),
    CommandSpec("feedback", feedback, listed=False),  # the 👍/👎 buttons
    CommandSpec("report", report, access="owners"),  # BOT_OWNER_IDS only, in a private chat
)
"""In the order of /help and the menus. Each command's words are in bot.core.i18n (help_, args_, option_)."""
