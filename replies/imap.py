"""An optional IMAP poller for creditors whose replies land in a plain mailbox.

Every minute (the scheduler's `replies_imap` job, a no-op without IMAP_HOST) it logs in,
selects IMAP_FOLDER, fetches each UNSEEN message's RFC 822 bytes, stores it with
`ingest_reply` (the same path as the webhook; a re-fetched message is stored once by its
Message-ID) and only then marks it \\Seen, so a crash in between re-reads it next time.
"""

from __future__ import annotations

import imaplib
import logging

from flask import current_app

from replies.email_in import from_mime, ingest_email
from replies.ingest import IngestError

log = logging.getLogger("saldo.replies")


def connect(config):
    """An authenticated IMAP4 client for the configured mailbox."""
    factory = imaplib.IMAP4_SSL if config.get("IMAP_SSL", True) else imaplib.IMAP4
    client = factory(config["IMAP_HOST"], int(config.get("IMAP_PORT") or 993))
    client.login(config["IMAP_USER"], config.get("IMAP_PASSWORD") or "")
    return client


def poll_mailbox(client=None, limit: int = 200) -> dict:
    """Ingest unseen messages; return counts {stored, duplicate, refused}."""
    config = current_app.config
    counts = {"stored": 0, "duplicate": 0, "refused": 0}
    if client is None:
        if not config.get("IMAP_HOST"):
            return counts
        client = connect(config)
    try:
        client.select(config.get("IMAP_FOLDER") or "INBOX")
        status, data = client.uid("SEARCH", None, "UNSEEN")
        if status != "OK":
            raise imaplib.IMAP4.error(f"SEARCH failed: {data!r}")
        for uid in (data[0] or b"").split()[:limit]:
            status, parts = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if status != "OK" or raw is None:
                continue
            try:
                inbound = ingest_email(from_mime(raw))
                counts["duplicate" if inbound.duplicate else "stored"] += 1
            except IngestError as exc:
                log.info("IMAP message %s not stored: %s", uid, exc)
                counts["refused"] += 1
            client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    finally:
        try:
            client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    if any(counts.values()):
        log.info("IMAP replies: %s", counts)
    return counts
