"""Reading JSON transcripts: one-line errors that name the entry at fault."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from bot.importers.cues import ImportFailure


def load_json(path: Path, text: str) -> Any:
    """The parsed JSON document, or ImportFailure naming the line of the syntax error."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportFailure(path, f"is not valid JSON ({exc.msg})", f"line {exc.lineno}") from None
    except RecursionError:
        raise ImportFailure(path, "is JSON nested too deeply") from None


def number(path: Path, entry: dict[str, Any], key: str, where: str, scale: float = 1.0) -> float:
    """A required finite, non-negative time field of an entry, in seconds."""
    value = entry.get(key)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise ImportFailure(path, f"'{key}' must be a number of seconds, got {str(entry.get(key))[:30]!r}", where)
    return float(value) * scale


def entries(path: Path, data: Any, key: str) -> list[dict[str, Any]]:
    """The list under a top-level key, each item an object."""
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ImportFailure(path, f"expected a JSON object with a '{key}' list")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ImportFailure(path, "expected an object", f"{key}[{index}]")
    return items


def text_field(entry: dict[str, Any], key: str) -> str:
    """A text field of an entry ('' when absent or not text)."""
    value = entry.get(key)
    return value if isinstance(value, str) else ""
