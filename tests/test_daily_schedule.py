"""Daily quotes, pure parts: reading times and zones, DST-correct occurrences, and the no-repeat quote order."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.daily.rotation import next_quote
from bot.daily.schedule import (
    day_action,
    next_delivery,
    occurrence,
    parse_time,
    resolve_zone,
    zone_of,
)

GRACE = timedelta(hours=6)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(("text", "minute"), [
    ("8:30", 510), ("08:30", 510), ("0830", 510), ("830", 510), ("8", 480), ("00:00", 0), ("23:59", 1439),
    ("8.30", 510), ("8:30pm", 1230), ("12am", 0), ("12:15pm", 735), ("８：３０", 510), ("8点30", 510),
    ("8点半", 510), ("20点", 1200),
])
def test_times_are_read_leniently(text: str, minute: int) -> None:
    assert parse_time(text) == minute


@pytest.mark.parametrize("text", ["24:00", "8:60", "25", "13pm", "0:5", "abc", "", "12345", "8:30:00", "-1"])
def test_impossible_times_are_refused(text: str) -> None:
    assert parse_time(text) is None


@pytest.mark.parametrize(("text", "name"), [
    ("Asia/Shanghai", "Asia/Shanghai"), ("asia/shanghai", "Asia/Shanghai"), ("AMERICA/NEW_YORK", "America/New_York"),
    ("tokyo", "Asia/Tokyo"), ("Berlin", "Europe/Berlin"), ("new_york", "America/New_York"), ("UTC", "UTC"),
    ("utc+8", "UTC+08:00"), ("UTC+08:00", "UTC+08:00"), ("GMT-5", "UTC-05:00"), ("+0530", "UTC+05:30"),
    ("UTC-3:30", "UTC-03:30"), ("utc+0", "UTC"), ("北京", "Asia/Shanghai"), ("Beijing", "Asia/Shanghai"),
])
def test_zones_resolve_case_insensitively(text: str, name: str) -> None:
    assert resolve_zone(text).name == name
    zone_of(name)  # and can be used


def test_ambiguous_and_unknown_zones() -> None:
    ambiguous = resolve_zone("buenos_aires")
    assert ambiguous.name is None
    assert "America/Argentina/Buenos_Aires" in ambiguous.candidates
    assert resolve_zone("Mars/Olympus").name is None
    assert resolve_zone("Mars/Olympus").candidates == ()
    assert resolve_zone("UTC+15").name is None
    assert resolve_zone("UTC+5:20").name is None


def test_offset_zones_have_no_dst() -> None:
    zone = zone_of("UTC+08:00")
    assert occurrence(date(2025, 3, 30), 150, zone) == utc(2025, 3, 29, 18, 30)
    assert zone_of("UTC-03:30").utcoffset(None) == -timedelta(hours=3, minutes=30)


def test_east_and_west_of_utc() -> None:
    assert occurrence(date(2025, 6, 1), 510, zone_of("Asia/Shanghai")) == utc(2025, 6, 1, 0, 30)
    # 21:00 in Los Angeles on June 1 is already June 2 in UTC
    assert occurrence(date(2025, 6, 1), 21 * 60, zone_of("America/Los_Angeles")) == utc(2025, 6, 2, 4, 0)


@pytest.mark.parametrize(("zone", "day", "minute", "expected"), [
    ("Europe/Berlin", date(2025, 3, 30), 150, utc(2025, 3, 30, 1, 0)),  # 02:30 skipped: at 03:00 CEST
    ("Europe/Berlin", date(2025, 3, 30), 179, utc(2025, 3, 30, 1, 0)),  # 02:59 too
    ("Europe/Berlin", date(2025, 3, 30), 180, utc(2025, 3, 30, 1, 0)),  # 03:00 itself
    ("Europe/Berlin", date(2025, 3, 30), 119, utc(2025, 3, 30, 0, 59)),  # 01:59 CET
    ("America/New_York", date(2025, 3, 9), 150, utc(2025, 3, 9, 7, 0)),  # 02:30 skipped: at 03:00 EDT
    ("Europe/Berlin", date(2025, 10, 26), 150, utc(2025, 10, 26, 0, 30)),  # 02:30 twice: the first (CEST)
    ("America/New_York", date(2025, 11, 2), 90, utc(2025, 11, 2, 5, 30)),  # 01:30 twice: the first (EDT)
    ("America/New_York", date(2025, 11, 2), 150, utc(2025, 11, 2, 7, 30)),  # 02:30 EST, once
])
def test_dst_transitions(zone: str, day: date, minute: int, expected: datetime) -> None:
    assert occurrence(day, minute, zone_of(zone)) == expected


def test_day_action_within_and_beyond_the_grace() -> None:
    zone = zone_of("UTC")
    since = utc(2025, 6, 1)
    day = date(2025, 6, 1)
    assert day_action(utc(2025, 6, 1, 7, 59), day, 480, zone, since, GRACE) is None
    assert day_action(utc(2025, 6, 1, 8, 0), day, 480, zone, since, GRACE) == "due"
    assert day_action(utc(2025, 6, 1, 14, 0), day, 480, zone, since, GRACE) == "due"
    assert day_action(utc(2025, 6, 1, 14, 0, 1), day, 480, zone, since, GRACE) == "skip"
    # the grace never reaches into the next local day
    assert day_action(utc(2025, 6, 2, 0, 10), day, 23 * 60 + 30, zone, since, GRACE) == "skip"
    # a subscription made after the day's time does not owe that day, except within the same minute
    assert day_action(utc(2025, 6, 1, 9), day, 480, zone, utc(2025, 6, 1, 8, 30), GRACE) is None
    assert day_action(utc(2025, 6, 1, 8, 0, 40), day, 480, zone, utc(2025, 6, 1, 8, 0, 30), GRACE) == "due"


def test_next_delivery() -> None:
    zone = zone_of("Asia/Shanghai")
    now, since = utc(2025, 6, 1, 0, 0), utc(2025, 5, 1)
    assert next_delivery(now, 510, zone, since, GRACE, set()) == utc(2025, 6, 1, 0, 30)
    assert next_delivery(now, 510, zone, since, GRACE, {date(2025, 6, 1)}) == utc(2025, 6, 2, 0, 30)
    assert next_delivery(utc(2025, 6, 1, 1), 510, zone, since, GRACE, set()) == utc(2025, 6, 1, 0, 30)  # due
    assert next_delivery(utc(2025, 6, 1, 7), 510, zone, since, GRACE, set()) == utc(2025, 6, 2, 0, 30)
    berlin = zone_of("Europe/Berlin")
    assert next_delivery(utc(2025, 3, 29, 12), 150, berlin, utc(2025, 3, 1), GRACE, set()) == utc(2025, 3, 30, 1)


def test_no_repeat_over_full_cycles() -> None:
    pool = [f"q{i}" for i in range(50)]
    rng = random.Random(7)
    order: list[str] = []
    position = 0
    sent: list[str] = []
    for _ in range(150):
        chosen, order, position = next_quote(order, position, pool, rng)
        sent.append(chosen)
    for cycle in range(3):
        assert sorted(sent[cycle * 50:(cycle + 1) * 50]) == sorted(pool)
    assert sent[49] != sent[50] and sent[99] != sent[100]
    assert sent[:50] != sent[50:100]  # reshuffled


def test_order_survives_content_changes() -> None:
    rng = random.Random(3)
    pool = [f"q{i}" for i in range(10)]
    order: list[str] = []
    position = 0
    sent = []
    for _ in range(4):
        chosen, order, position = next_quote(order, position, pool, rng)
        sent.append(chosen)
    unsent = [q for q in pool if q not in sent]
    removed = unsent[0]
    new_pool = [q for q in pool if q != removed] + ["n1", "n2"]  # one quote gone, two new ones
    for _ in range(len(new_pool) - 4):
        chosen, order, position = next_quote(order, position, new_pool, rng)
        sent.append(chosen)
    assert removed not in sent
    assert sorted(sent) == sorted(new_pool)  # every quote of the new pool once, nothing twice
    chosen, order, position = next_quote(order, position, new_pool, rng)  # then a new cycle
    assert position == 1 and chosen in new_pool and chosen != sent[-1]


def test_a_single_quote_and_an_empty_pool() -> None:
    rng = random.Random(1)
    assert next_quote([], 0, ["only"], rng)[0] == "only"
    assert next_quote(["only"], 1, ["only"], rng)[0] == "only"
    with pytest.raises(ValueError):
        next_quote([], 0, [], rng)


def test_switching_talks_keeps_the_history() -> None:
    """All talks, then one talk for a while, then all talks again: nothing repeats before the cycle ends."""
    rng = random.Random(11)
    talk_a = [f"a{i}" for i in range(10)]
    every = talk_a + [f"b{i}" for i in range(10)]
    order: list[str] = []
    position = 0
    sent: list[str] = []
    for pool, picks in ((every, 6), (talk_a, 3), (every, 11)):
        for _ in range(picks):
            chosen, order, position = next_quote(order, position, pool, rng)
            assert chosen in pool
            sent.append(chosen)
    assert sorted(sent) == sorted(every)  # each quote of all talks once in the cycle
    chosen, order, position = next_quote(order, position, every, rng)  # then a new cycle
    assert position == 1 and chosen != sent[-1]


def test_a_cycle_of_one_talk_keeps_the_other_talks_sent() -> None:
    rng = random.Random(5)
    talk_a, talk_b = [f"a{i}" for i in range(4)], [f"b{i}" for i in range(4)]
    order: list[str] = []
    position = 0
    first = []
    for _ in range(3):
        chosen, order, position = next_quote(order, position, talk_a + talk_b, rng)
        first.append(chosen)
    later = []
    for _ in range(10):  # more than one cycle of talk A alone
        chosen, order, position = next_quote(order, position, talk_a, rng)
        later.append(chosen)
    rest_of_a = 4 - sum(q in talk_a for q in first)
    assert sorted(later[:rest_of_a] + [q for q in first if q in talk_a]) == sorted(talk_a)
    assert sorted(later[rest_of_a:rest_of_a + 4]) == sorted(talk_a)  # a new cycle of talk A
    already = set(order[:position])
    assert {q for q in first if q in talk_b} <= already  # the talk B quotes sent before still count as sent
    back = []
    for _ in range(8 - len(already)):
        chosen, order, position = next_quote(order, position, talk_a + talk_b, rng)
        back.append(chosen)
    assert sorted(back) == sorted(set(talk_a + talk_b) - already)  # nothing repeats before the cycle ends


def test_quotes_that_left_the_library_are_forgotten() -> None:
    rng = random.Random(2)
    order = ["gone1", "q1", "gone2", "q2", "q3"]
    chosen, order, position = next_quote(order, 3, ["q1", "q2", "q3"], rng, known={"q1", "q2", "q3"})
    assert "gone1" not in order and "gone2" not in order
    assert chosen in ("q2", "q3") and position == 2
