"""The reminder rules from the settings, and the per-debtor contact history checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from alerts.calendar import Profile
from alerts.facts import Contact, DebtorFact

ESCALATION_CHANNELS = ("whatsapp", "sms")


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    offset: int  # days relative to the due date: negative before it


def rules_for(settings: dict) -> list[Rule]:
    """Every rule the settings define: reminders before/on the due date, follow-ups, plans."""
    leads = sorted({d for days in settings["lead_days"].values() for d in days}, reverse=True)
    rules = [Rule(f"pre_{d}", "due_today" if d == 0 else "pre_due", -d) for d in leads]
    rules += [Rule(f"post_{d}", "overdue", d) for d in sorted(set(settings["followup_days"]))]
    rules += [Rule(f"inst_{d}", "installment", -d)
              for d in sorted(set(settings.get("installment_lead_days", [2])))]
    return rules


def contacts_today(history: list[Contact], today: date, tz: tzinfo) -> int:
    return sum(1 for c in history if c.at.astimezone(tz).date() == today)


def contacts_in_week(history: list[Contact], today: date, tz: tzinfo) -> int:
    start = today - timedelta(days=6)
    return sum(1 for c in history if start <= c.at.astimezone(tz).date() <= today)


def _escalate(debtor: DebtorFact, history: list[Contact], settings: dict,
              now: datetime) -> str | None:
    """WhatsApp or SMS when an email was left unopened for N days and no email was opened
    since (so once escalated, reminders stay off email until the debtor reads one)."""
    days = int(settings.get("escalate_unopened_days") or 0)
    emails = [c for c in history if c.channel == "email"]
    if days <= 0 or not emails:
        return None
    last_read = max((c.at for c in emails if c.opened), default=None)
    ignored = [c for c in emails if not c.opened and now - c.at >= timedelta(days=days)
               and (last_read is None or c.at > last_read)]
    if not ignored:
        return None
    return next((c for c in ESCALATION_CHANNELS if c in debtor.channels), None)


def pick_channel(debtor: DebtorFact, band_channels: list[str], history: list[Contact],
                 settings: dict, profile: Profile, now: datetime) -> tuple[str | None, str]:
    """(channel, note): the preferred allowed channel, else the band's fallback order.

    An email left unopened escalates to WhatsApp/SMS (note "escalated"). Under a
    one-channel-a-week profile the channel of this week's earlier contact is kept
    (or, when it is no longer usable, nothing is sent: "cap").
    """
    usable = [c for c in band_channels if c in debtor.channels]
    if debtor.preferred_channel in usable:
        usable.remove(debtor.preferred_channel)
        usable.insert(0, debtor.preferred_channel)
    channel = usable[0] if usable else None
    note = ""
    if channel == "email":
        escalated = _escalate(debtor, history, settings, now)
        if escalated:
            channel, note = escalated, "escalated"
    if profile.one_channel_per_week:
        week = [c for c in history if now - c.at < timedelta(days=7)]
        if week:
            kept = max(week, key=lambda c: c.at).channel
            if kept not in debtor.channels:
                return None, "cap"
            channel, note = kept, ""
    return channel, note
