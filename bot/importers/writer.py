"""Passages written as a talk file the loader accepts, atomically (a temporary file, checked, then renamed)."""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from pathlib import Path

from bot.content.loader import ContentError, load_talk
from bot.content.model import TalkHeader
from bot.content.times import format_time, time_mark
from bot.importers.cues import ImportFailure
from bot.importers.passages import Draft

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]")
_LABEL_UNSAFE = re.compile(r"[:：;=\[\]#]")
_HOSTS = {"host", "moderator", "chair", "presenter", "主持人", "主持"}


def _one_line(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


def _label(name: str) -> str:
    return _one_line(_LABEL_UNSAFE.sub(" ", name))[:24].strip() or "Speaker"


def roles(drafts: list[Draft], main: str) -> dict[str, str]:
    """Label → role: the main speaker (named like --speaker, else who says most); hosts (so named, or heard
    before the main speaker); everyone else questioners. Unnamed voices (turn marks only) get no label."""
    named = [d for d in drafts if d.speaker and not d.speaker.startswith("\x00")]
    if not named:
        return {}
    amount = Counter[str]()
    for draft in named:
        amount[_label(draft.speaker or "")] += len(draft.text)
    wanted = main.casefold()
    chosen = next((label for label in amount if label.casefold() == wanted), None)
    if chosen is None:
        chosen = next((label for label in amount if label.casefold() in wanted or wanted in label.casefold()),
                      amount.most_common(1)[0][0])
    out: dict[str, str] = {chosen: "speaker"}
    seen_main = False
    for draft in drafts:
        if not draft.speaker or draft.speaker.startswith("\x00"):
            seen_main = True  # unlabelled text is the main speaker's
            continue
        label = _label(draft.speaker)
        seen_main = seen_main or label == chosen
        hosting = label.casefold() in _HOSTS or not seen_main
        out.setdefault(label, "host" if hosting else "questioner")
    return out


def render_talk(header: TalkHeader, drafts: list[Draft], duration: float | None) -> str:
    """The talk file's text: header, a '## Talk' section with one paragraph per passage."""
    labels = roles(drafts, header.speaker)
    fields = [("id", header.id), ("title", header.title), ("speaker", header.speaker), ("event", header.event),
              ("date", header.date), ("language", header.language), ("source", header.source)]
    if labels:
        fields.append(("labels", "; ".join(f"{label} = {role}" for label, role in labels.items())))
    if duration is not None:
        fields.append(("duration", format_time(duration)))
    lines = ["---", *(f"{name}: {_one_line(value)}" for name, value in fields), "---", "", "## Talk", ""]
    for draft in drafts:
        text = _one_line(draft.text).lstrip("#").strip()
        if text.startswith("<!--"):
            text = text[4:].strip()
        if not text:
            continue
        if labels and draft.speaker and not draft.speaker.startswith("\x00"):
            text = f"{_label(draft.speaker)}: {text}"
        if draft.start is not None:
            text = f"{time_mark(draft.start)} {text}"
        lines += [text, ""]
    return "\n".join(lines)


def write_talk(path: Path, text: str) -> None:
    """Write a talk file atomically, after the loader has accepted it; ImportFailure when it does not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix="_import-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            load_talk(Path(tmp))
        except ContentError as exc:
            raise ImportFailure(path, f"the talk file made from it is not valid: {exc.problem} (line {exc.line})"
                                ) from None
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
