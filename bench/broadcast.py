"""Daily broadcast under Telegram's flood limits: N subscriptions due at the same minute, one scheduler tick.

    python -m bench.broadcast                    # 1,000 private chats at 30 messages/s (about 33 s)
    python -m bench.broadcast --count 200        # a quick run
    python -m bench.broadcast --groups 100 --topics 30   # 100 groups, plus 30 forum topics of one group

The real core (scheduler, claims in SQLite, usage log) sends through the real Telegram adapter (PTB with its
AIORateLimiter) to the fake Bot API from tests/fakes, which here answers 429 Too Many Requests when more than
--rate messages per second arrive overall or more than 20 per minute for one group. The fake meters both limits
as leaky buckets that allow a burst of one period's worth (30 at once, then 30/s; 20 at once, then one every
3 s per group), the model PTB's limiter paces itself by. Passes (exit 0) when every chat got its quote exactly
once, no 429 was answered, and the total time is within 10% of what the overall limit allows at its sustained
rate (count / rate: 33.3 s for 1,000 private chats; not judged when one group's limit needs longer). Writes only
bench/out/ (broadcast.json, and a scratch database it deletes).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.adapters.telegram import TelegramAdapter, TelegramTuning
from bot.app import App
from bot.config import Settings, load_settings
from bot.core.types import Target
from bot.daily import store as subs
from bot.daily.scheduler import DailyScheduler, TickReport
from tests.fakes.telegram_api import FakeTelegramAPI, Fault

OUT = Path(__file__).resolve().parent / "out"
GROUP_RATE = 20  # messages per minute per group (Telegram's documented limit)
TOLERANCE = 1.10


@dataclass
class Bucket:
    """A leaky bucket: holds up to capacity, drains capacity per period."""

    capacity: float
    period: float
    level: float = 0.0
    last: float = 0.0

    def admit(self, now: float) -> bool:
        """Take one message if it fits; False (nothing taken) when it would overflow."""
        self.level = max(0.0, self.level - (now - self.last) * self.capacity / self.period)
        self.last = now
        if self.level + 1 > self.capacity + 1e-9:
            return False
        self.level += 1
        return True


@dataclass
class Meter:
    """What the limited fake saw."""

    arrivals: list[float] = field(default_factory=list)
    rejected: int = 0


class LimitedBotAPI(FakeTelegramAPI):
    """The fake Bot API with Telegram's flood limits on sendMessage (429 with retry_after when exceeded)."""

    def __init__(self, rate: float) -> None:
        super().__init__()
        self.overall = Bucket(rate, 1.0)
        self.groups: dict[Any, Bucket] = {}
        self.meter = Meter()

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        fault = super()._take_fault(method, params)
        if fault is not None or method.lower() != "sendmessage":
            return fault
        now = time.monotonic()
        chat = params.get("chat_id")
        group = self.groups.setdefault(chat, Bucket(GROUP_RATE, 60.0)) if isinstance(chat, int) and chat < 0 \
            else None
        if group is not None and not group.admit(now):
            self.meter.rejected += 1
            return Fault(429, "Too Many Requests: retry after 3", parameters={"retry_after": 3})
        if not self.overall.admit(now):
            self.meter.rejected += 1
            return Fault(429, "Too Many Requests: retry after 1", parameters={"retry_after": 1})
        self.meter.arrivals.append(now)
        return None


def overall_seconds(count: int, rate: float, burst: bool = False) -> float:
    """The time the overall limit allows: at the sustained rate (count / rate), or after a full burst."""
    return max(0.0, (count - rate if burst else count) / rate)


def group_seconds(per_group: list[int]) -> float:
    """The least time the busiest group needs: 20 at once, then one every 3 s."""
    return max([0.0, *((n - GROUP_RATE) * 60.0 / GROUP_RATE for n in per_group)])


def peak_per_second(arrivals: list[float]) -> int:
    """The most messages that arrived within any one second."""
    peak, start = 0, 0
    for end, at in enumerate(arrivals):
        while at - arrivals[start] >= 1.0:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def targets(count: int, groups: int, topics: int) -> list[Target]:
    """Private chats, then groups, then forum topics of one extra group."""
    privates = max(0, count - groups - topics)
    chats = [Target("telegram", str(10_000_000 + n)) for n in range(privates)]
    chats += [Target("telegram", str(-1_000_000_000_000 - n)) for n in range(groups)]
    chats += [Target("telegram", "-1009999999999", str(n + 2)) for n in range(topics)]
    return chats


async def broadcast(api: LimitedBotAPI, settings: Settings, chats: list[Target], rate: float,
                    concurrency: int) -> tuple[float, TickReport, tuple[int, int, int]]:
    """Subscribe the chats for the current minute and time one scheduler tick through the Telegram adapter.

    Returns the tick's seconds, its report, and (usage rows, usage rows ok, deliveries recorded as sent).
    """
    app = await App.create(settings)
    try:
        app.daily = DailyScheduler(app.ctx, app.adapters, concurrency=concurrency)
        now = datetime.now(UTC)
        minute = now.hour * 60 + now.minute
        await asyncio.gather(*(subs.save(app.store, chat, "bench", "en", minute, "UTC", None, now) for chat in chats))
        adapter = TelegramAdapter(app, api.settings(), TelegramTuning(overall_rate=rate, group_rate=GROUP_RATE))
        app.register(adapter)
        await adapter.start()
        try:
            started = time.monotonic()
            report = await app.daily.tick()
            elapsed = time.monotonic() - started
        finally:
            await adapter.stop()
        await app.store.flush()
        rows, ok = (await app.store.read(
            "SELECT COUNT(*), COALESCE(SUM(outcome = 'ok'), 0) FROM usage WHERE command = 'daily_send'"))[0]
        claims = (await app.store.read("SELECT COUNT(*) FROM daily_deliveries WHERE status = 'sent'"))[0][0]
        return elapsed, report, (int(rows), int(ok), int(claims))
    finally:
        await app.close()


def measure(api: LimitedBotAPI, chats: list[Target], rate: float) -> dict[str, Any]:
    """What reached the fake: chats served (and how often), 429s, pacing, and the limits' reference times."""
    per_chat: dict[tuple[Any, Any], int] = {}
    for call in api.sent():
        key = (call.params["chat_id"], call.params.get("message_thread_id"))
        per_chat[key] = per_chat.get(key, 0) + 1
    per_group: dict[Any, int] = {}
    for (chat_id, _), n in per_chat.items():
        if chat_id < 0:
            per_group[chat_id] = per_group.get(chat_id, 0) + n
    arrivals = sorted(api.meter.arrivals)
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    return {
        "delivered": len(per_chat), "duplicates": sum(n - 1 for n in per_chat.values()),
        "rejected_429": api.meter.rejected,
        "allowed_seconds": round(overall_seconds(len(chats), rate), 2),
        "burst_bound": round(overall_seconds(len(chats), rate, burst=True), 2),
        "group_seconds": round(group_seconds(list(per_group.values())), 2),
        "first_to_last": round(arrivals[-1] - arrivals[0], 2) if arrivals else 0.0,
        "peak_per_second": peak_per_second(arrivals),
        "median_gap_ms": round(statistics.median(gaps) * 1000, 1) if gaps else 0.0,
    }


async def run(count: int, rate: float, groups: int, topics: int, concurrency: int) -> dict[str, Any]:
    """The whole benchmark on a scratch database under bench/out/, deleted afterwards."""
    work = OUT / "broadcast-run"
    shutil.rmtree(work, ignore_errors=True)
    settings = load_settings({"BOT_DATABASE": str(work / "bot.sqlite3"), "BOT_INDEX_DIR": str(work / "index"),
                              "BOT_LANGUAGE": "en"})
    chats = targets(count, groups, topics)
    api = LimitedBotAPI(rate)
    await api.start()
    try:
        elapsed, report, (rows, ok, claims) = await broadcast(api, settings, chats, rate, concurrency)
        result: dict[str, Any] = {"subscriptions": len(chats), "private": count - groups - topics, "groups": groups,
                  "topics": topics, "rate": rate, "concurrency": concurrency, "sent_report": report.sent,
                  "claims_sent": claims, "usage_rows": rows, "usage_ok": ok, "seconds": round(elapsed, 2)}
        result.update(measure(api, chats, rate))
        result["ratio"] = round(elapsed / result["allowed_seconds"], 3) if result["allowed_seconds"] else None
        return result
    finally:
        await api.stop()
        shutil.rmtree(work, ignore_errors=True)


def verdict(result: dict[str, Any]) -> list[str]:
    """Why the run failed (empty when it passed)."""
    problems = []
    if result["delivered"] != result["subscriptions"] or result["duplicates"]:
        problems.append(f"delivered {result['delivered']} of {result['subscriptions']} "
                        f"({result['duplicates']} duplicates)")
    if result["rejected_429"]:
        problems.append(f"{result['rejected_429']} requests got 429")
    limit = max(result["allowed_seconds"] * TOLERANCE, result["allowed_seconds"] + 1.0)
    if result["group_seconds"] <= result["allowed_seconds"] and result["seconds"] > limit:
        problems.append(f"took {result['seconds']} s; the limits allow {result['allowed_seconds']} s")
    return problems


def table(result: dict[str, Any]) -> str:
    """The result as an aligned two-column table."""
    rows = [
        ("subscriptions due", f"{result['subscriptions']} ({result['private']} private, {result['groups']} groups, "
                              f"{result['topics']} topics of one group)"),
        ("delivered", f"{result['delivered']} chats, {result['duplicates']} duplicates"),
        ("claims sent / usage ok", f"{result['claims_sent']} / {result['usage_ok']} of {result['usage_rows']} rows"),
        ("429 answered", str(result["rejected_429"])),
        ("tick time", f"{result['seconds']} s"),
        ("limits allow", f"{result['allowed_seconds']} s at {result['rate']:g}/s ({result['burst_bound']} s with a "
                         f"full burst first); the busiest group needs {result['group_seconds']} s at {GROUP_RATE}/min"),
        ("time / allowed", str(result["ratio"])),
        ("first to last message", f"{result['first_to_last']} s"),
        ("peak in any 1 s", str(result["peak_per_second"])),
        ("median gap", f"{result['median_gap_ms']} ms"),
        ("send concurrency", str(result["concurrency"])),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, save bench/out/broadcast.json; exit 1 when it failed."""
    parser = argparse.ArgumentParser(prog="python -m bench.broadcast", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=1000, help="subscriptions due at the same minute")
    parser.add_argument("--rate", type=float, default=30.0, help="overall messages per second (Telegram: 30)")
    parser.add_argument("--groups", type=int, default=0, help="how many of them are groups (one message each)")
    parser.add_argument("--topics", type=int, default=0, help="how many are forum topics of one single group")
    parser.add_argument("--concurrency", type=int, default=32, help="the scheduler's concurrent sends")
    args = parser.parse_args(argv)
    if args.count < 1 or args.groups + args.topics > args.count or args.rate <= 0:
        parser.error("expected --count >= 1, --groups + --topics <= --count and --rate > 0")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result = asyncio.run(run(args.count, args.rate, args.groups, args.topics, args.concurrency))
    problems = verdict(result)
    result["passed"] = not problems
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "broadcast.json").write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print("PASS" if not problems else "FAIL: " + "; ".join(problems))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
