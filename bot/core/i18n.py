"""The bot's own words in Chinese and English, chosen from a request's locale."""

from __future__ import annotations

import json
from importlib import resources

MESSAGES: dict[str, dict[str, str]] = json.loads(
    resources.files("bot.core").joinpath("messages.json").read_text(encoding="utf-8"))
"""Every message key → language → text, kept as data in messages.json so wording can be edited without code."""


def language_of(locale: str | None, default: str) -> str:
    """'zh' or 'en' for a platform locale (zh, zh-hans, zh-CN, zh-TW, en-US, ...), else the default."""
    if not locale:
        return default
    code = locale.strip().lower().replace("_", "-")
    if code.startswith("zh"):
        return "zh"
    if code:
        return "en"
    return default


def t(lang: str, key: str, **values: object) -> str:
    """The message `key` in language `lang` (English when missing), with values filled in."""
    entry = MESSAGES[key]
    text = entry.get(lang) or entry["en"]
    return text.format(**values) if values else text
