"""Spacing broadcast sends below a platform's flood limit, so replies to users still get through meanwhile."""

from __future__ import annotations

import asyncio

# Messages per second a broadcast may use. Telegram allows a bot about 30 per second in all and Discord 50
# requests per second; the adapters enforce those limits, and broadcasts stay under them so that answers to
# commands are not queued behind a thousand daily quotes (and network jitter never tips a burst into a 429).
BROADCAST_RATES: dict[str, float] = {"telegram": 28.0, "discord": 40.0}
BURST = 5.0


class Pacer:
    """A token bucket: up to `burst` sends at once, then `rate` per second, first come first served."""

    def __init__(self, rate: float, burst: float = BURST) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = rate
        self.burst = max(1.0, burst)
        self._tokens = self.burst
        self._last: float | None = None
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Return when the next send may go."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            if self._last is not None:
                self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens < 1:
                delay = (1 - self._tokens) / self.rate
                await asyncio.sleep(delay)
                # the token was due at now + delay: a late wake-up is credited to the next send
                self._last = now + delay
                self._tokens = 1
            self._tokens -= 1
