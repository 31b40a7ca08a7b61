"""When a message whose send failed is tried again: the outbox's one backoff rule.

Retries wait 1, 4, 16, 64 minutes … (4^(n-1) minutes after the n-th attempt), capped. Most
kinds give up after MAX_ATTEMPTS attempts with a 6-hour cap; a message with a deadline
(`retry_until`: webhooks, three days after their event) keeps trying, at most `max_delay`
apart, until the next try would fall after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_ATTEMPTS = 5
DEFAULT_MAX_DELAY = timedelta(hours=6)


def backoff(attempts: int, max_delay: timedelta = DEFAULT_MAX_DELAY) -> timedelta:
    """Wait before retry number `attempts`: 1, 4, 16, 64 minutes … capped at `max_delay`."""
    return min(timedelta(minutes=4 ** min(max(attempts - 1, 0), 20)), max_delay)


def retry_at(attempts: int, now: datetime, *, retry_until: datetime | None = None,
             max_delay: timedelta | None = None) -> datetime | None:
    """When to try again after `attempts` failed attempts, or None to give up."""
    if retry_until is None:
        return now + backoff(attempts) if attempts < MAX_ATTEMPTS else None
    when = now + backoff(attempts, max_delay or DEFAULT_MAX_DELAY)
    return when if when <= retry_until else None
