"""The channel interface: `send(Outgoing) -> provider id`, raising ChannelError on failure."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol


class ChannelError(Exception):
    """Delivery failed. `transient`: trying again later may succeed. `gone`: the address is
    no longer valid (a push subscription that answered 404/410)."""

    def __init__(self, message: str, transient: bool, gone: bool = False):
        super().__init__(message)
        self.transient = transient
        self.gone = gone


@dataclass
class Outgoing:
    """One rendered message ready to hand to a provider."""

    message_id: int
    dedupe_key: str
    channel: str
    to: str
    subject: str
    text: str
    html: str = ""
    unsubscribe_url: str = ""
    link: str = ""
    push_subscriptions: list = field(default_factory=list)  # (id, endpoint, p256dh, auth)
    gone_subscription_ids: list = field(default_factory=list)  # set by the push adapter
    reply_to: str = ""  # email: the debtor's signed reply address
    headers: dict = field(default_factory=dict)  # email: In-Reply-To / References
    secret: str = ""  # webhook: the endpoint's signing secret (signed at each attempt)
    retry_until: datetime | None = None  # retried until then (webhooks) …
    max_delay: timedelta | None = None  # … at most this far apart (see alerts.retry)
    attempt: dict | None = None  # webhook: {status_code, error, duration_ms}, set by the adapter

    @property
    def idempotency_key(self) -> str:
        """A stable id for this message derived from its dedupe key (same on every retry)."""
        return hashlib.sha256(self.dedupe_key.encode()).hexdigest()[:32]


class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> str: ...

    def close(self) -> None: ...
