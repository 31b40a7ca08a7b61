"""Delivery channels behind one small interface (see `base.Channel`).

`channel_for(name, config)` picks the real adapter from the configuration: SMTP for email,
a Twilio-compatible HTTP API for SMS and WhatsApp when `SMS_API_BASE` is set (otherwise an
adapter that only records to the outbox, for the demo), Web Push with VAPID, and signed
HTTP POSTs for outbound webhooks.
"""

from __future__ import annotations

from alerts.channels.base import Channel, ChannelError, Outgoing


def channel_for(name: str, config) -> Channel:
    """The adapter for `name` configured from a Flask config mapping."""
    if name == "email":
        from alerts.channels.email import SmtpChannel

        return SmtpChannel(config)
    if name in ("sms", "whatsapp"):
        if not config.get("SMS_API_BASE"):
            from alerts.channels.recorder import RecorderChannel

            return RecorderChannel(name)
        from alerts.channels.twilio import TwilioChannel

        return TwilioChannel(name, config)
    if name == "push":
        from alerts.channels.push import PushChannel

        return PushChannel(config)
    if name == "webhook":
        from alerts.channels.webhook import WebhookChannel

        return WebhookChannel(config)
    raise ValueError(f"unknown channel {name!r}")


__all__ = ["Channel", "ChannelError", "Outgoing", "channel_for"]
