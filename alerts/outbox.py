"""The outbox dispatcher: claim due messages atomically, send, record; retry with backoff.

Claiming is one UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) … RETURNING on
PostgreSQL (SQLite runs the same UPDATE; its single writer makes it atomic), so two
dispatchers never take the same row. A claimed row is 'sending'; after the provider accepts
it, the row becomes 'sent' with the provider id. Sender threads hand outcomes back to the
dispatching thread, which records each group of finished sends in one commit before more
messages are handed out.

What "exactly once" means here, honestly: no protocol lets us ask an SMTP server (or an SMS
API) whether it already accepted a message, so a process killed after the provider accepted
a message but before the 'sent' commit leaves the outcome unknown. Such a row stays
'sending' until its lease (ALERTS_LEASE_SECONDS, default 300 s) expires and is then sent
again — with the same Message-ID / idempotency key / push Topic, all derived from the
dedupe key, so receivers that de-duplicate (mailbox providers by Message-ID, Twilio-style
APIs by idempotency key, push services by Topic) keep one copy. At most `workers`
messages are ever in flight or sent-but-unrecorded, so a crash can repeat at most that many
transmissions (each with its original ids), never create a second message for the same
(debtor, invoice, rule, date), and never lose one. tests/alerts/test_exactly_once.py kills
a dispatcher 20 times at random moments and checks exactly that: every message arrives, a
mailbox keyed by Message-ID holds each once, raw re-sends stay within workers × kills.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, insert, select, text, update

from alerts.channels import ChannelError, channel_for
from alerts.delivery import RENDER_FAILED, prepare
from alerts.retry import MAX_ATTEMPTS, backoff, retry_at
from portal.extensions import db
from portal.models import Message, PushSubscription, WebhookAttempt

log = logging.getLogger("saldo.alerts")
__all__ = ["MAX_ATTEMPTS", "backoff", "claim", "dispatch", "record"]
def expire_missed(now: datetime, lease_seconds: int | None = None) -> int:
    """Cancel pending messages whose sending window closed (never send a reminder late).

    A stale claim (its dispatcher died mid-send) is treated the same way once its lease has
    expired: when the window closed meanwhile it is cancelled rather than sent during quiet
    hours.
    """
    closed = (Message.not_after.is_not(None)) & (Message.not_after <= now)
    result = db.session.execute(
        update(Message).where(Message.status == "pending", closed)
        .values(status="cancelled", last_error="window_closed"))
    cancelled = result.rowcount or 0
    if lease_seconds is not None:
        stale = (Message.status == "sending") & \
            (Message.claimed_at < now - timedelta(seconds=lease_seconds))
        cancelled += db.session.execute(
            update(Message).where(stale, closed)
            .values(status="cancelled", last_error="window_closed")).rowcount or 0
    db.session.commit()
    return cancelled


def claim(now: datetime, batch: int, lease_seconds: int,
          kinds: tuple[str, ...] | None = None) -> list[int]:
    """Atomically mark up to `batch` due rows as 'sending' (and take over stale ones);
    only rows of `kinds` when given (the urgent loop)."""
    stale = now - timedelta(seconds=lease_seconds)
    open_window = Message.not_after.is_(None) | (Message.not_after > now)
    due = (((Message.status == "pending") & (Message.send_at <= now)) |
           ((Message.status == "sending") & (Message.claimed_at < stale))) & open_window
    if kinds is not None:
        due = due & Message.kind.in_(kinds)
    # A materialised CTE: PostgreSQL must not re-run the LIMIT … SKIP LOCKED pick per row.
    chosen = (select(Message.id).where(due).order_by(Message.send_at, Message.id).limit(batch)
              .with_for_update(skip_locked=True).cte("picked")
              .prefix_with("MATERIALIZED", dialect="postgresql"))
    ids = db.session.scalars(
        update(Message).where(Message.id.in_(select(chosen.c.id)), due)
        .values(status="sending", claimed_at=now, attempts=Message.attempts + 1)
        .returning(Message.id)
        .execution_options(synchronize_session=False)).all()
    db.session.commit()
    return sorted(ids)


def _finish(message_id: int, **values) -> None:
    db.session.execute(update(Message).where(Message.id == message_id,
                                             Message.status == "sending").values(**values)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def _fast_commit() -> None:
    """Outcome records need not wait for the WAL flush on PostgreSQL: losing the last few
    to a *database server* crash only means resending them with the same ids (see above)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def record(results: list[tuple[int, int, object, object]], now: datetime,
           counts: dict) -> None:
    """Store a group of send outcomes — (message id, attempts, Outgoing, provider id or
    ChannelError) — in one transaction (one statement per outcome kind)."""
    _fast_commit()
    groups: dict[str, list[dict]] = {"sent": [], "retry": [], "failed": []}
    sent_at = datetime.now(UTC)
    for message_id, attempts, outgoing, outcome in results:
        again = isinstance(outcome, ChannelError) and outcome.transient and retry_at(
            attempts, now, retry_until=outgoing.retry_until, max_delay=outgoing.max_delay)
        if not isinstance(outcome, ChannelError):
            groups["sent"].append({"mid": message_id, "provider": str(outcome)[:128]})
        elif again:
            groups["retry"].append({"mid": message_id, "error": str(outcome)[:500],
                                    "retry_at": again})
        else:
            groups["failed"].append({"mid": message_id, "error": str(outcome)[:500]})
    table = Message.__table__
    mine = (table.c.id == bindparam("mid")) & (table.c.status == "sending")
    values = {
        "sent": {"status": "sent", "provider_id": bindparam("provider"), "sent_at": sent_at,
                 "last_error": None},
        "retry": {"status": "pending", "send_at": bindparam("retry_at"),
                  "last_error": bindparam("error")},
        "failed": {"status": "failed", "last_error": bindparam("error")},
    }
    connection = db.session.connection()
    for kind, rows in groups.items():
        if rows:
            connection.execute(table.update().where(mine).values(**values[kind]), rows)
            counts[kind] += len(rows)
    db.session.commit()


class Senders:
    """One adapter per channel per sender thread (SMTP connections are not shareable)."""

    def __init__(self, injected: dict | None):
        self.injected = injected or {}
        self.config = current_app.config
        self.local = threading.local()
        self.created: list = []
        self.lock = threading.Lock()

    def send(self, outgoing):
        """The provider id, or the ChannelError that stopped this message. Any other error
        of an adapter (a TLS failure deep in a library, a bug) becomes a transient
        ChannelError too: it fails only its own message (retried with backoff, then failed
        with the reason), never the dispatcher or the other messages in flight."""
        try:
            return self._adapter(outgoing.channel).send(outgoing)
        except ChannelError as exc:
            log.warning("message %s: %s", outgoing.message_id, exc)
            return exc
        except Exception as exc:  # noqa: BLE001 - the per-message boundary
            log.exception("message %s: unexpected %s error", outgoing.message_id,
                          outgoing.channel)
            return ChannelError(f"{outgoing.channel} failed: {type(exc).__name__}: {exc}",
                                transient=True)

    def _adapter(self, channel: str):
        if channel in self.injected:
            return self.injected[channel]
        adapters = self.local.__dict__.setdefault("adapters", {})
        if channel not in adapters:
            adapters[channel] = channel_for(channel, self.config)
            with self.lock:
                self.created.append(adapters[channel])
        return adapters[channel]

    def close(self) -> None:
        for adapter in [*self.created, *self.injected.values()]:
            try:
                adapter.close()
            except Exception:  # noqa: BLE001 - closing one adapter must not hide the others
                log.exception("closing the %s adapter failed", getattr(adapter, "name", "?"))


def _forget_subscriptions(outgoing_list) -> None:
    gone = [i for o in outgoing_list for i in o.gone_subscription_ids]
    if gone:
        db.session.execute(delete(PushSubscription).where(PushSubscription.id.in_(gone)))


def _log_webhook_attempts(finished, now: datetime) -> None:
    """The webhook delivery log: one row per HTTP attempt, in the outcome's transaction."""
    rows = []
    for (message_id, _, outgoing), outcome in finished:
        if outgoing.channel != "webhook":
            continue
        attempt = outgoing.attempt or {"status_code": None, "error": str(outcome)[:500],
                                       "duration_ms": 0}
        rows.append({"message_id": message_id, "attempted_at": now, **attempt})
    if rows:
        db.session.execute(insert(WebhookAttempt), rows)


class Pipeline:
    """Prepared messages waiting, and sends in flight: at most `workers` messages are ever
    in flight or sent-but-unrecorded. The next batch is claimed and rendered while the
    sender threads work."""

    def __init__(self, pool, senders: Senders, workers: int, now: datetime, counts: dict):
        self.pool, self.senders, self.workers = pool, senders, workers
        self.now, self.counts = now, counts
        self.waiting: deque = deque()
        self.in_flight: dict = {}

    def add(self, prepared) -> None:
        for message_id, attempts, outgoing, cancel in prepared:
            if cancel and cancel.startswith(RENDER_FAILED):
                _finish(message_id, status="failed", last_error=cancel)
                self.counts["failed"] += 1
            elif cancel:
                _finish(message_id, status="cancelled", last_error=cancel)
                self.counts["cancelled"] += 1
            else:
                self.waiting.append((message_id, attempts, outgoing))

    def fill(self) -> None:
        while self.waiting and len(self.in_flight) < self.workers:
            item = self.waiting.popleft()
            self.in_flight[self.pool.submit(self.senders.send, item[2])] = item

    def collect(self, block: bool) -> None:
        """Record every finished send (waiting for one first when `block`)."""
        if not self.in_flight:
            return
        done, _ = wait(self.in_flight, timeout=None if block else 0,
                       return_when=FIRST_COMPLETED)
        if not done:
            return
        finished = [(self.in_flight.pop(future), future.result()) for future in done]
        _forget_subscriptions([item[2] for item, _ in finished])
        _log_webhook_attempts(finished, datetime.now(UTC))
        record([(*item, outcome) for item, outcome in finished], self.now, self.counts)


def dispatch(now: datetime | None = None, batch: int = 50, limit: int | None = None,
             channels: dict | None = None, workers: int | None = None,
             kinds: tuple[str, ...] | None = None) -> dict:
    """Send every due message (of `kinds`, when given); return counts (sent, retry,
    failed, cancelled).

    `workers` sender threads (ALERTS_SEND_WORKERS, default 8) each hold their own provider
    connection; outcomes are recorded by this thread, a group per commit.
    """
    now = now or datetime.now(UTC)
    config = current_app.config
    lease = int(config.get("ALERTS_LEASE_SECONDS", 300))
    workers = workers or int(config.get("ALERTS_SEND_WORKERS", 8))
    senders = Senders(channels)
    counts = {"sent": 0, "retry": 0, "failed": 0, "cancelled": expire_missed(now, lease)}
    claimed, exhausted = 0, False
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            line = Pipeline(pool, senders, workers, now, counts)
            while True:
                line.collect(block=False)  # record finished sends before anything slow
                if not exhausted and len(line.waiting) < workers:
                    size = batch if limit is None else min(batch, limit - claimed)
                    ids = claim(now, size, lease, kinds) if size > 0 else []
                    exhausted = not ids
                    claimed += len(ids)
                    line.add(prepare(ids, now) if ids else [])
                line.fill()
                if not line.in_flight and not line.waiting and exhausted:
                    break
                line.collect(block=exhausted or len(line.waiting) >= workers)
    finally:
        senders.close()
    return counts
