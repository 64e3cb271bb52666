"""Times in a recording: written as [m:ss] or [h:mm:ss], and links that open the recording at a second."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit, urlunsplit

MARK = re.compile(r"^\[(?:(\d{1,2}):)?(\d{1,3}):(\d{2})\]\s*")
LINK_LEAD_SECONDS = 2  # links open this much before the words, so the first one is not cut off
_YOUTUBE = ("youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com", "youtube-nocookie.com",
            "www.youtube-nocookie.com")


def format_time(seconds: float) -> str:
    """Seconds as m:ss, or h:mm:ss from an hour on (rounded down to the second)."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def time_mark(seconds: float) -> str:
    """The paragraph mark for a start time: [m:ss] or [h:mm:ss]; minutes always two digits past an hour."""
    return f"[{format_time(seconds)}]"


def parse_mark(text: str) -> tuple[int, str] | None:
    """(seconds, problem) for a leading [..:..] mark: problem is '' when the mark is well formed."""
    match = MARK.match(text)
    if match is None:
        return None
    hours, minutes, secs = match.group(1), int(match.group(2)), int(match.group(3))
    if secs > 59:
        return 0, f"time {match.group(0).strip()}: seconds go up to 59"
    if hours is not None and minutes > 59:
        return 0, f"time {match.group(0).strip()}: minutes go up to 59 after the hours"
    if hours is None and minutes > 59:
        return 0, f"time {match.group(0).strip()}: write an hour and more as [h:mm:ss]"
    return (int(hours or 0) * 3600 + minutes * 60 + secs), ""


def moment_link(source: str, start: float | None) -> str:
    """The source link opened at a start time (a little early); the source itself when there is no time.

    YouTube watch?v=…&t=754s and youtu.be/…?t=754, Bilibili ?t=754, Vimeo #t=754s, any other link a Media
    Fragment #t=754.
    """
    if start is None:
        return source
    at = max(0, int(start) - LINK_LEAD_SECONDS)
    parts = urlsplit(source)
    host = parts.netloc.lower().rsplit("@", 1)[-1].split(":", 1)[0]
    if host in _YOUTUBE or host.endswith(".youtube.com"):
        return _with_query(parts, "t", f"{at}s")
    if host == "youtu.be" or host.endswith("bilibili.com") or host == "b23.tv":
        return _with_query(parts, "t", str(at))
    if host == "vimeo.com" or host.endswith(".vimeo.com"):
        return urlunsplit(parts._replace(fragment=f"t={at}s"))
    return urlunsplit(parts._replace(fragment=f"t={at}"))


def _with_query(parts: SplitResult, name: str, value: str) -> str:
    """The link with one query parameter set (replacing an existing one), the fragment dropped."""
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(query, safe=":/"), fragment=""))
