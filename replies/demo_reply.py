"""Answering a reminder from the demo's mail sink as the debtor would: the newest email the
sink holds for an address is answered (From the debtor, To its Reply-To address, threaded
with In-Reply-To) and mailed through the sink's SMTP port, which hands it to Saldo's
`/inbound/email` exactly like a real provider. `saldo replies demo-reply` runs it.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from pathlib import Path

from portal.mailsink import read_folder


class NoReminder(LookupError):
    """The sink holds no email with a Reply-To address for that recipient."""


def reply_to_last_reminder(recipient: str, text: str, folder: str | Path,
                           host: str = "127.0.0.1", port: int = 8025) -> EmailMessage:
    """Answer the newest email the sink delivered to ``recipient``; returns what was sent."""
    wanted = recipient.strip().lower()
    for sent in read_folder(folder):
        if parseaddr(str(sent.get("To", "")))[1].lower() == wanted and sent.get("Reply-To"):
            break
    else:
        raise NoReminder(f"no email with a Reply-To address for {recipient} in {folder}")
    answer = EmailMessage()
    answer["From"] = sent["To"]
    answer["To"] = sent["Reply-To"]
    subject = str(sent.get("Subject", ""))
    answer["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    answer["Message-ID"] = make_msgid(domain="demo.saldo.local")
    if sent.get("Message-ID"):
        answer["In-Reply-To"] = answer["References"] = sent["Message-ID"]
    answer.set_content(text)
    with smtplib.SMTP(host, port, timeout=20) as smtp:
        smtp.send_message(answer)
    return answer
