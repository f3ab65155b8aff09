"""The share of Help Scout's per-minute rate budget that background work may spend.

Help Scout's limit is per account and shared by every integration of the company, so
what the app does on its own (neighbour prefetch, the refresh timer, folder counts, a
mailbox sync) asks here before each request; the agent's own reads and writes never do.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

WINDOW = 60.0


class RateSource(Protocol):
    """What the client knows from Help Scout's last ``X-RateLimit-*-Minute`` headers."""

    rate_limit_limit: int | None
    rate_limit_remaining: int | None


class Budget:
    """Background requests: at most ``share`` of the minute's limit, none below ``floor``.

    ``share`` counts background requests over the last 60 seconds (a sliding window, so a
    burst cannot straddle Help Scout's window reset and spend twice the share). Below the
    floor nothing goes until the window has surely reset: a probe is allowed 60 seconds
    after the low figure was first seen, or at once when a foreground answer reports more.
    Until Help Scout has answered once the limit is unknown and a default is assumed.
    """

    def __init__(
        self,
        source: RateSource,
        *,
        share: float = 0.25,
        floor: int = 20,
        default_limit: int = 400,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.source = source
        self.share = share
        self.floor = floor
        self.default_limit = default_limit
        self._clock = clock
        self._sleep = sleep
        self._spent: deque[float] = deque()
        self._low_at: float | None = None
        self._low_remaining: int | None = None
        self.paused_reason: str | None = None

    # --- the figures ------------------------------------------------------------------

    @property
    def limit(self) -> int:
        return self.source.rate_limit_limit or self.default_limit

    @property
    def allowance(self) -> int:
        """Background requests allowed per minute (at least one, so a sync ends)."""
        return max(1, math.floor(self.limit * self.share))

    def _forget_old(self, now: float) -> None:
        while self._spent and now - self._spent[0] >= WINDOW:
            self._spent.popleft()

    def used(self) -> int:
        """Background requests in the last minute."""
        self._forget_old(self._clock())
        return len(self._spent)

    # --- asking -----------------------------------------------------------------------

    def wait_time(self) -> float:
        """Seconds before a background request may go; 0.0 when it may go now."""
        now = self._clock()
        self._forget_old(now)
        if self.share <= 0:
            self.paused_reason = "background work is off (background_share = 0)"
            return WINDOW
        remaining = self.source.rate_limit_remaining
        if remaining is not None and remaining < self.floor:
            rose = self._low_remaining is not None and remaining > self._low_remaining
            if self._low_at is None or rose:
                # First seen low, or a newer window already answered: the clock starts.
                self._low_at = now
            self._low_remaining = remaining
            waited = now - self._low_at
            if waited < WINDOW:
                self.paused_reason = (
                    f"Help Scout's rate budget is low ({remaining} left this minute)"
                )
                return WINDOW - waited
            # The window has reset since: one probe learns the new figure.
        else:
            self._low_at = None
            self._low_remaining = None
        if len(self._spent) >= self.allowance:
            self.paused_reason = (
                f"background work used its share ({self.allowance} requests a minute)"
            )
            return max(0.0, WINDOW - (now - self._spent[0]))
        self.paused_reason = None
        return 0.0

    def allows(self) -> bool:
        """May a background request go now (without taking it)."""
        return self.wait_time() == 0.0

    def take(self) -> bool:
        """Take one background request if allowed now; False: skip it (or wait)."""
        if not self.allows():
            return False
        now = self._clock()
        self._spent.append(now)
        if self._low_at is not None and now - self._low_at >= WINDOW:
            # The probe goes: its answer is the new figure, so start the clock again.
            self._low_at = now
        return True

    async def acquire(self, *, poll: float = 1.0) -> None:
        """Wait until a background request may go, then take it (a sync's pace)."""
        while not self.take():
            await self._sleep(min(max(self.wait_time(), 0.05), poll))

    def per_minute(self) -> int:
        """How many background requests a minute the budget lets through now."""
        return self.allowance
