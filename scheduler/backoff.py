"""Back off from an outlet that keeps failing: pure arithmetic, time passed in.

After `n` consecutive failed crawls the next attempt waits `period * 2**(n-1)` seconds after the last
failure (one failure changes nothing: the outlet keeps its normal cadence), never more than `cap` and
never less than the outlet's own period. With a 30-minute interval and the default 6-hour cap:
1 failure -> 30m, 2 -> 1h, 3 -> 2h, 4 -> 4h, 5 and more -> 6h.
"""
from __future__ import annotations

from datetime import datetime, timedelta


def backoff_delay(failures: int, period: float, cap: float) -> float:
    """Seconds between the last failed crawl and the next attempt."""
    if failures <= 1:
        return period
    # 2**k overflows floats for absurd streaks; the cap is reached long before.
    exponent = min(failures - 1, 62)
    return max(period, min(cap, period * 2 ** exponent))


def backoff_until(failures: int, last_failure: datetime | None, period: float, cap: float) -> datetime | None:
    """The earliest time the next attempt may start, or None when the outlet is not backing off."""
    if failures <= 1 or last_failure is None:
        return None
    return last_failure + timedelta(seconds=backoff_delay(failures, period, cap))
