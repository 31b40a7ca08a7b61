"""What happens after an inbound message is stored: a list of handlers, run in order.

Each handler takes the stored `InboundMessage` (inside `ingest_reply`'s transaction; do not
commit) and returns True to stop the chain. A handler records what it did in
`inbound.action`. The list: the stop-word rule first (a STOP is always honoured, whatever
else the message says), then understanding (``replies.respond``: intent, date, amount,
the action through the shared operations, and the answer through the outbox).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask_babel import lazy_gettext as _l

from alerts.enqueue import enqueue
from portal.extensions import db
from portal.models import Debtor, InboundMessage
from replies.stopwords import is_stop

log = logging.getLogger("saldo.replies")

Handler = Callable[[InboundMessage], bool | None]

# The confirmation the law allows after a STOP: one message, on that channel, saying so.
OPT_OUT_CONFIRMATION = _l("%(company)s: you will not get more messages on this channel. "
                          "To talk to us, reply or use your account page.")


def stop_words(inbound: InboundMessage) -> bool:
    """STOP and friends: opt out of that channel now and queue one confirmation."""
    if inbound.debtor_id is None or inbound.channel == "portal" or not is_stop(inbound.text):
        return False
    from portal.debtor.preferences import opt_out_channel

    debtor = db.session.get(Debtor, inbound.debtor_id)
    changed = opt_out_channel(debtor, inbound.channel, source=f"reply:{inbound.id}",
                              actor_type="debtor")
    inbound.action = "opt_out"
    inbound.read_at = inbound.received_at  # handled by rule: nothing for staff to read
    if changed:
        enqueue(debtor, "opt_out_confirmation", inbound.channel,
                reason=f"stop_reply:{inbound.id}",
                dedupe_key=f"opt_out_confirmation:{debtor.id}:{inbound.channel}:{inbound.id}")
    log.info("debtor %s opted out of %s by reply %s", debtor.id, inbound.channel, inbound.id)
    return True


def understand_reply(inbound: InboundMessage) -> bool:
    """Understand the reply, act on it and answer (``replies.respond``)."""
    from replies.respond import understand_reply as run

    return run(inbound)


HANDLERS: list[Handler] = [stop_words, understand_reply]


def register(handler: Handler) -> None:
    """Add a handler after the existing ones (idempotent)."""
    if handler not in HANDLERS:
        HANDLERS.append(handler)


def run_handlers(inbound: InboundMessage) -> None:
    """Run HANDLERS in order until one returns True."""
    for handler in HANDLERS:
        if handler(inbound):
            return
