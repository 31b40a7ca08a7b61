"""Contact preferences and browser-notification subscriptions (plain functions)."""

from __future__ import annotations

from datetime import time

from sqlalchemy import select

from portal import audit
from portal.debtor.format import locale_for
from portal.extensions import db
from portal.models import CHANNELS, Debtor, PushSubscription

FIELDS = ("allow_email", "allow_sms", "allow_whatsapp", "allow_push", "preferred_channel",
          "quiet_start", "quiet_end", "locale", "opted_out_at")


class PreferenceError(ValueError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code  # preferred_off | quiet_pair | no_channel


def language_of(locale: str | None) -> str:
    """The portal language a saved locale belongs to (es_CO -> es, pt_BR -> pt_BR)."""
    locale = locale or ""
    return "pt_BR" if locale.startswith("pt") else locale.split("_")[0]


def snapshot(debtor: Debtor) -> dict:
    out = {}
    for name in FIELDS:
        value = getattr(debtor, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def save_preferences(debtor: Debtor, *, channels: dict[str, bool], preferred: str | None,
                     quiet_start: time | None, quiet_end: time | None, language: str,
                     resume: bool) -> None:
    """Validate and apply a debtor's preferences; audit before/after (the caller commits)."""
    if preferred and not channels.get(preferred):
        raise PreferenceError("preferred_off")
    if (quiet_start is None) != (quiet_end is None) or (quiet_start and quiet_start == quiet_end):
        raise PreferenceError("quiet_pair")
    before = snapshot(debtor)
    turned_off = [c for c in CHANNELS if getattr(debtor, f"allow_{c}") and not channels.get(c)]
    for channel in CHANNELS:
        setattr(debtor, f"allow_{channel}", bool(channels.get(channel)))
    debtor.preferred_channel = preferred or None
    debtor.quiet_start, debtor.quiet_end = quiet_start, quiet_end
    if language != language_of(debtor.locale):
        debtor.locale = locale_for(language, debtor.country)
    if resume:
        debtor.opted_out_at = None
    after = snapshot(debtor)
    if after != before:
        audit.record("debtor", debtor.id, "preferences.updated", debtor,
                     before=before, after=after)
    for channel in turned_off:
        report_opt_out(debtor, channel, "preferences")
    _consent_to_chosen_channels(debtor, channels)


def _consent_to_chosen_channels(debtor: Debtor, channels: dict[str, bool]) -> None:
    """Choosing a channel in the portal is the debtor's own explicit consent to it: record
    today's date for each chosen channel without one (audited as consent.updated)."""
    from datetime import UTC, datetime

    from portal.debtor.consent import CONSENT_CHANNELS, consents_of, set_consents

    today = datetime.now(UTC).date()
    recorded = consents_of(debtor)
    new = {c: today for c in CONSENT_CHANNELS if channels.get(c) and recorded[c] is None}
    if new:
        set_consents(debtor, new, today, actor_type="debtor", actor_id=debtor.id)


def opt_out(debtor: Debtor, *, source: str, actor_type: str = "debtor", actor_id=None,
            detail: dict | None = None) -> bool:
    """Stop every message to the debtor now (unsubscribe link, one-click, …); pending ones are
    cancelled. False when they had already opted out. The caller commits."""
    from datetime import UTC, datetime

    from sqlalchemy import update

    from portal.models import Message

    if debtor.opted_out_at is not None:
        return False
    debtor.opted_out_at = datetime.now(UTC)
    audit.record(actor_type, debtor.id if actor_id is None else actor_id, "debtor.unsubscribed",
                 debtor, after={"source": source, **(detail or {})})
    db.session.execute(update(Message)
                       .where(Message.debtor_id == debtor.id, Message.status == "pending")
                       .values(status="cancelled", last_error="unsubscribed"))
    report_opt_out(debtor, None, source, debtor.opted_out_at)
    return True


def report_opt_out(debtor: Debtor, channel: str | None, source: str, at=None) -> None:
    """The `debtor.opted_out` webhook, from every opt-out path (all channels: `channel`
    None; one channel: a STOP reply, the preferences page)."""
    from datetime import UTC, datetime

    from portal.webhooks.events import emit

    emit("debtor.opted_out", {"object": "debtor_opt_out", "customer_id": debtor.external_id,
                              "channel": channel, "source": source,
                              "opted_out_at": (at or datetime.now(UTC)).isoformat()})


def subscribe_push(debtor: Debtor, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """Store (or move to this debtor) a Web Push subscription; turn push on."""
    sub = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if sub is None:
        sub = PushSubscription(debtor_id=debtor.id, endpoint=endpoint, p256dh=p256dh, auth=auth)
        db.session.add(sub)
    else:
        sub.debtor_id, sub.p256dh, sub.auth = debtor.id, p256dh, auth
    debtor.allow_push = True
    db.session.flush()
    audit.record("debtor", debtor.id, "push.subscribed", sub)
    return sub


def unsubscribe_push(debtor: Debtor, endpoint: str) -> bool:
    """Remove the debtor's subscription for `endpoint`; push goes off with the last one."""
    sub = db.session.scalar(select(PushSubscription).where(
        PushSubscription.endpoint == endpoint, PushSubscription.debtor_id == debtor.id))
    if sub is None:
        return False
    audit.record("debtor", debtor.id, "push.unsubscribed", sub)
    db.session.delete(sub)
    db.session.flush()
    remaining = db.session.scalar(select(PushSubscription.id).where(
        PushSubscription.debtor_id == debtor.id).limit(1))
    if remaining is None:
        debtor.allow_push = False
    return True


def opt_out_channel(debtor: Debtor, channel: str, *, source: str, actor_type: str = "debtor",
                    actor_id=None) -> bool:
    """Stop every reminder on one channel now (a STOP reply, say); the caller commits.

    Pending reminders on that channel are cancelled. Returns False when the channel was
    already off (nothing changed).
    """
    from sqlalchemy import update

    from portal.models import Message

    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    field = f"allow_{channel}"
    if not getattr(debtor, field):
        return False
    before = snapshot(debtor)
    setattr(debtor, field, False)
    if debtor.preferred_channel == channel:
        debtor.preferred_channel = None
    db.session.execute(update(Message).where(
        Message.debtor_id == debtor.id, Message.channel == channel, Message.kind == "reminder",
        Message.status == "pending").values(status="cancelled", last_error="opted_out"))
    audit.record(actor_type, debtor.id if actor_id is None else actor_id,
                 "preferences.channel_opt_out", debtor, before=before,
                 after={**snapshot(debtor), "channel": channel, "source": source})
    report_opt_out(debtor, channel, source)
    return True
