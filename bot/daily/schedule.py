"""Pure time maths for daily quotes: reading times and zones, and when a local time happens on a given day."""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from typing import Literal

EXAMPLE = "/daily 08:30 Asia/Shanghai"
DAY_MINUTES = 24 * 60

_COLON_TIME = re.compile(r"^(\d{1,2})[:.h](\d{2})$")
_DIGITS_TIME = re.compile(r"^(\d{1,4})$")
_CLOCK_12 = re.compile(r"^(\d{1,2})(?::(\d{2}))?(am|pm|a\.m\.|p\.m\.)$")
_CHINESE_TIME = re.compile(r"^(\d{1,2})[点點时時](?:(\d{1,2})分?|(半))?$")
_OFFSET = re.compile(r"^(?:utc|gmt)?([+-])(\d{1,2})(?::?(\d{2}))?$")
_STORED_OFFSET = re.compile(r"^UTC([+-])(\d{2}):(\d{2})$")
_AREAS = ("Africa/", "America/", "Antarctica/", "Asia/", "Atlantic/", "Australia/", "Europe/", "Indian/", "Pacific/")
_EXCLUDED = {"localtime", "Factory"}
# Common names that are not IANA cities (written in Chinese, or the capital instead of the zone's city).
ZONE_ALIASES = {
    "beijing": "Asia/Shanghai",
    "北京": "Asia/Shanghai",
    "上海": "Asia/Shanghai",
    "北京时间": "Asia/Shanghai",
    "香港": "Asia/Hong_Kong",
    "台北": "Asia/Taipei",
    "東京": "Asia/Tokyo",
    "东京": "Asia/Tokyo",
    "新加坡": "Asia/Singapore",
}
Action = Literal["due", "skip"]


def fold_word(text: str) -> str:
    """A typed word folded for matching: full-width digits and punctuation as ASCII, lower case, stripped."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def parse_time(text: str) -> int | None:
    """Minutes after midnight for '8:30', '08:30', '0830', '8', '8:30pm', '8点30' (None if it is no time)."""
    value = fold_word(text).replace(" ", "")
    hour: int
    minute = 0
    if match := _COLON_TIME.match(value):
        hour, minute = int(match[1]), int(match[2])
    elif match := _DIGITS_TIME.match(value):
        digits = match[1]
        if len(digits) <= 2:
            hour = int(digits)
        else:
            hour, minute = int(digits[:-2]), int(digits[-2:])
    elif match := _CLOCK_12.match(value):
        hour, minute = int(match[1]), int(match[2] or 0)
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match[3].startswith("p") else 0)
    elif match := _CHINESE_TIME.match(value):
        hour = int(match[1])
        minute = 30 if match[3] else int(match[2] or 0)
    else:
        return None
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return hour * 60 + minute


def looks_like_time(text: str) -> bool:
    """Whether a word was probably meant as a time (it starts with a digit)."""
    return fold_word(text)[:1].isdigit()


def format_minute(minute: int) -> str:
    """'08:30' for 510."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """What a zone word resolved to: a stored zone name, or nothing (with candidates when it was ambiguous)."""

    name: str | None
    candidates: tuple[str, ...] = ()


@cache
def _zone_names() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """Every IANA zone by its case-folded name, and by its case-folded city (last part)."""
    names = sorted(n for n in zoneinfo.available_timezones()
                   if n not in _EXCLUDED and not n.startswith(("posix/", "right/")))
    by_name = {n.casefold(): n for n in names}
    by_city: dict[str, list[str]] = {}
    for name in names:
        if "/" in name:
            by_city.setdefault(name.rsplit("/", 1)[1].casefold(), []).append(name)
    return by_name, {city: tuple(found) for city, found in by_city.items()}


def _offset_name(sign: str, hours: int, minutes: int) -> str | None:
    """'UTC+08:00' for an offset within UTC-12 and UTC+14 in quarter hours (plain 'UTC' for zero)."""
    total = hours * 60 + minutes
    if minutes % 15 or total > 14 * 60 or (sign == "-" and total > 12 * 60):
        return None
    if total == 0:
        return "UTC"
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def resolve_zone(text: str) -> ZoneChoice:
    """An IANA zone (any case, or its city alone when that is unambiguous) or a UTC offset like 'UTC+8'."""
    value = fold_word(text)
    if not value:
        return ZoneChoice(None)
    if match := _OFFSET.match(value):
        return ZoneChoice(_offset_name(match[1], int(match[2]), int(match[3] or 0)))
    if value in ZONE_ALIASES:
        return ZoneChoice(ZONE_ALIASES[value])
    by_name, by_city = _zone_names()
    if value in by_name:
        return ZoneChoice(by_name[value])
    found = by_city.get(value.replace(" ", "_"), ())
    geographic = tuple(n for n in found if n.startswith(_AREAS))
    if len(geographic) == 1:
        return ZoneChoice(geographic[0])
    if len(found) == 1:
        return ZoneChoice(found[0])
    return ZoneChoice(None, geographic or found)


def looks_like_zone(text: str) -> bool:
    """Whether a word was probably meant as a time zone (a slash, an offset, or UTC/GMT)."""
    value = fold_word(text)
    return "/" in value or value.startswith(("utc", "gmt", "+", "-")) or value in ZONE_ALIASES


@cache
def zone_of(name: str) -> tzinfo:
    """The tzinfo for a stored zone name ('Asia/Shanghai', 'UTC+08:00'); ValueError when unknown."""
    if match := _STORED_OFFSET.match(name):
        offset = timedelta(hours=int(match[2]), minutes=int(match[3]))
        return timezone(-offset if match[1] == "-" else offset, name)
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def wall_clock(instant: datetime, zone: tzinfo) -> datetime:
    """The naive local date and time an instant shows in a zone."""
    return instant.astimezone(zone).replace(tzinfo=None)


def local_day(instant: datetime, zone: tzinfo) -> date:
    """The local date of an instant in a zone."""
    return instant.astimezone(zone).date()


def occurrence(day: date, minute: int, zone: tzinfo) -> datetime:
    """The UTC instant a local time happens on a local day.

    A time that happens twice (the clocks go back) counts at its first occurrence; a time that does not happen
    (the clocks go forward over it) counts at the first instant after the gap, when the clocks show a later time.
    """
    wall = datetime.combine(day, time(minute // 60, minute % 60))
    first = wall.replace(tzinfo=zone).astimezone(UTC)
    if wall_clock(first, zone) == wall:
        return first
    # In a gap: fold=0 reads the wall time with the offset before the jump, fold=1 with the one after, so the
    # instant the clocks jump lies between the two readings; find it to the second (transitions are whole seconds).
    low = int(wall.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    high = int(first.timestamp())
    low, high = min(low, high), max(low, high)
    while high - low > 1:
        middle = (low + high) // 2
        if wall_clock(datetime.fromtimestamp(middle, UTC), zone) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def floor_minute(instant: datetime) -> datetime:
    """The instant with seconds and microseconds cut off."""
    return instant.replace(second=0, microsecond=0)


def day_action(now: datetime, day: date, minute: int, zone: tzinfo, since: datetime,
               grace: timedelta) -> Action | None:
    """What to do about a day's unclaimed delivery: 'due', 'skip' (missed beyond the grace) or None (not yet,
    or not owed because the subscription was set after that day's time)."""
    at = occurrence(day, minute, zone)
    if at < floor_minute(since) or at > now:
        return None
    if local_day(now, zone) == day and now - at <= grace:
        return "due"
    return "skip"


def next_delivery(now: datetime, minute: int, zone: tzinfo, since: datetime, grace: timedelta,
                  taken: set[date]) -> datetime:
    """When the next delivery happens: today's if not yet taken (possibly due right now), else a later day's."""
    today = local_day(now, zone)
    for offset in range(4):
        day = today + timedelta(days=offset)
        if day in taken:
            continue
        at = occurrence(day, minute, zone)
        if at < floor_minute(since):
            continue
        if at >= now or day_action(now, day, minute, zone, since, grace) == "due":
            return at
    return occurrence(today + timedelta(days=4), minute, zone)
