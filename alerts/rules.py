"""The reminder rules from the settings, and the per-debtor contact history checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from alerts.calendar import Profile
from alerts.eligibility import channel_reason
from alerts.facts import Contact, DebtorFact
from alerts.policy_model import Policy

ESCALATION_CHANNELS = ("whatsapp", "sms")


@dataclass(frozen=True)
class Rule:
    name: str
    kind: str
    offset: int  # days relative to the due date: negative before it


def rules_for(policy: Policy) -> list[Rule]:
    """Every rule the policy defines: reminders before/on the due date, follow-ups, plans."""
    rules = [Rule(f"pre_{d}", "due_today" if d == 0 else "pre_due", -d)
             for d in policy.all_leads()]
    rules += [Rule(f"post_{d}", "overdue", d) for d in policy.followup_days]
    rules += [Rule(f"inst_{d}", "installment", -d) for d in policy.installment_lead_days]
    return rules


def contacts_today(history: list[Contact], today: date, tz: tzinfo) -> int:
    return sum(1 for c in history if c.at.astimezone(tz).date() == today)


def contacts_in_week(history: list[Contact], today: date, tz: tzinfo) -> int:
    start = today - timedelta(days=6)
    return sum(1 for c in history if start <= c.at.astimezone(tz).date() <= today)


def _escalate(debtor: DebtorFact, history: list[Contact], policy: Policy,
              now: datetime, usable: list[str]) -> str | None:
    """WhatsApp or SMS when an email was left unopened for N days and no email was opened
    since (so once escalated, reminders stay off email until the debtor reads one)."""
    days = policy.escalate_unopened_days
    emails = [c for c in history if c.channel == "email"]
    if days <= 0 or not emails:
        return None
    last_read = max((c.at for c in emails if c.opened), default=None)
    ignored = [c for c in emails if not c.opened and now - c.at >= timedelta(days=days)
               and (last_read is None or c.at > last_read)]
    if not ignored:
        return None
    return next((c for c in ESCALATION_CHANNELS if c in usable), None)


def pick_channel(debtor: DebtorFact, band_channels: tuple[str, ...], history: list[Contact],
                 policy: Policy, profile: Profile, now: datetime) -> tuple[str | None, str]:
    """(channel, note): the preferred allowed channel, else the band's fallback order.

    Only channels `alerts.eligibility` allows count (authorised, and consented where the
    profile requires it; none left for want of consent: "no_consent"). An email left
    unopened escalates to WhatsApp/SMS (note "escalated"). Under a one-channel-a-week
    profile the channel of this week's earlier contact is kept (or, when it is no longer
    usable, nothing is sent: "cap").
    """
    reasons = {c: channel_reason(debtor, c, profile) for c in (*band_channels,
                                                               *ESCALATION_CHANNELS)}
    usable = [c for c in band_channels if reasons[c] is None]
    if not usable and any(reasons[c] == "no_consent" for c in band_channels):
        return None, "no_consent"
    escalation = [c for c in ESCALATION_CHANNELS if reasons[c] is None]
    if debtor.preferred_channel in usable:
        usable.remove(debtor.preferred_channel)
        usable.insert(0, debtor.preferred_channel)
    channel = usable[0] if usable else None
    note = ""
    if channel == "email":
        escalated = _escalate(debtor, history, policy, now, escalation)
        if escalated:
            channel, note = escalated, "escalated"
    if profile.one_channel_per_week:
        week = [c for c in history if now - c.at < timedelta(days=7)]
        if week:
            kept = max(week, key=lambda c: c.at).channel
            if reasons.get(kept, channel_reason(debtor, kept, profile)) is not None:
                return None, "cap"
            channel, note = kept, ""
    return channel, note
