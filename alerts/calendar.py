"""When a debtor may be contacted: sending windows, national holidays, jurisdiction profiles.

Plain Python (no Flask). A `Profile` is the contact rules in force: the sending window per
weekday, the contact caps and whether the channel must stay the same within a week. The
defaults come from the policy settings; a jurisdiction profile can only tighten them.
Colombia (Ley 2300 de 2023): Monday–Friday 07:00–19:00, Saturday 08:00–15:00, never on
Sundays or holidays, at most one contact a day, one channel a week, authorised channels only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

Window = tuple[time, time]


@dataclass(frozen=True)
class Profile:
    windows: dict[int, Window]  # weekday (Monday = 0) -> local sending window
    per_day: int
    per_week: int
    one_channel_per_week: bool = False
    explicit_consent_only: bool = False
    name: str = "default"
    # How long after a debtor's own message Saldo's answer to it may still go out at any
    # hour (it answers what they asked; it is not a collection contact). None: always.
    answer_any_hour_within: timedelta | None = None


def _tighter(a: Window | None, b: Window | None) -> Window | None:
    if a is None or b is None:
        return None
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if start < end else None


COLOMBIA_WINDOWS: dict[int, Window] = {
    **{day: (time(7), time(19)) for day in range(5)},
    5: (time(8), time(15)),
}


def profile_for(policy) -> Profile:
    """The contact rules of `policy` (a Policy), tightened by its jurisdiction profile."""
    window = (policy.quiet_start, policy.quiet_end)
    windows = {day: window for day in policy.weekdays if day != 6}
    if policy.jurisdiction != "CO":
        return Profile(windows, policy.per_day, policy.per_week)
    tightened = {}
    for day in range(7):
        both = _tighter(windows.get(day), COLOMBIA_WINDOWS.get(day))
        if both:
            tightened[day] = both
    return Profile(tightened, 1, min(policy.per_week, 7), one_channel_per_week=True,
                   explicit_consent_only=True, name="CO",
                   answer_any_hour_within=timedelta(hours=1))


@lru_cache(maxsize=256)
def _holiday_dates(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country, years=year).keys())
    except NotImplementedError:
        return frozenset()


def is_holiday(country: str | None, day: date) -> bool:
    """A national holiday of `country` (ISO 3166 alpha-2) on `day`; unknown countries: none."""
    return bool(country) and day in _holiday_dates(country.upper(), day.year)


def window_on(profile: Profile, country: str | None, day: date) -> Window | None:
    """The local sending window on `day`, or None (Sunday, holiday, or a closed weekday)."""
    if is_holiday(country, day):
        return None
    return profile.windows.get(day.weekday())


def shifted_day(profile: Profile, country: str | None, target: date, earlier: bool,
                horizon: int = 10) -> date | None:
    """The sending day a rule aimed at `target` moves to when `target` is closed.

    Reminders before a due date move earlier (so they still come before it); follow-ups move
    later. None when no sending day exists within `horizon` days.
    """
    step = timedelta(days=-1 if earlier else 1)
    day = target
    for _ in range(horizon + 1):
        if window_on(profile, country, day) is not None:
            return day
        day += step
    return None


@lru_cache(maxsize=512)
def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _within(window: Window, hours: Window | None) -> list[Window]:
    """`window` limited to the debtor's own contact hours ("not before … / not after …";
    a pair such as 20:00–09:00 runs past midnight)."""
    if hours is None or hours[0] == hours[1]:
        return [window]
    start, end = window
    if hours[0] < hours[1]:
        parts = [(max(start, hours[0]), min(end, hours[1]))]
    else:
        parts = [(start, min(end, hours[1])), (max(start, hours[0]), end)]
    return [(a, b) for a, b in parts if a < b]


def send_slot(window: Window, day: date, tz_name: str | None, now: datetime,
              hours: Window | None = None) -> tuple[datetime, datetime] | None:
    """The first sending moment on `day` at or after `now`, and the end of that slot (UTC).

    None when the day's window (within the debtor's own contact hours) has already closed.
    """
    tz = zone(tz_name)
    for start, end in _within(window, hours):
        opens = datetime.combine(day, start, tzinfo=tz).astimezone(UTC)
        closes = datetime.combine(day, end, tzinfo=tz).astimezone(UTC)
        if now < closes:
            return max(opens, now), closes
    return None


def answer_send_at(profile: Profile, country: str | None, tz_name: str | None,
                   received_at: datetime, now: datetime) -> datetime:
    """When the answer to a debtor's own message may leave (UTC).

    Every profile answers at once, at any hour, while the debtor's message is fresh: it is
    the answer they asked for, on the channel they wrote on, and it counts towards no
    reminder limit. The default profile always answers at once. The Colombian profile
    (Ley 2300 de 2023) answers at any hour only within ``answer_any_hour_within`` of the
    message; an answer produced later (a backlog, an outage) waits for the next sending
    window, like any other contact.
    """
    limit = profile.answer_any_hour_within
    if limit is None or now - received_at <= limit:
        return now
    local = now.astimezone(zone(tz_name)).date()
    for offset in range(15):
        day = local + timedelta(days=offset)
        window = window_on(profile, country, day)
        slot = send_slot(window, day, tz_name, now) if window else None
        if slot is not None:
            return slot[0]
    return now
