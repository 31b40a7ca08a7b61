"""An adapter that sends nothing: the message stays in the outbox as sent (the demo's SMS)."""

from __future__ import annotations

import logging

from alerts.channels.base import ChannelError, Outgoing

log = logging.getLogger("saldo.alerts")


class RecorderChannel:
    def __init__(self, name: str):
        self.name = name

    def send(self, message: Outgoing) -> str:
        if not message.to:
            raise ChannelError("no address", transient=False)
        log.info("outbox only: %s message %s recorded", self.name, message.message_id)
        return f"outbox:{message.message_id}"

    def close(self) -> None:
        return None
