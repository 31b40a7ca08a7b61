"""Email over SMTP: HTML + text, one-click unsubscribe headers, a Message-ID that never changes.

The Message-ID is derived from the outbox dedupe key, so a message sent again after a
crash (see alerts.outbox) carries the same Message-ID and receiving systems that
de-duplicate by Message-ID keep one copy. Each adapter keeps one SMTP connection open for
its batch. The MIME document (multipart/alternative, UTF-8, base64 parts) is assembled
directly: the stdlib `email` builder costs more than the rest of a send.
"""

from __future__ import annotations

import base64
import smtplib
from email.header import Header
from email.utils import formatdate, parseaddr

from alerts.channels.base import ChannelError, Outgoing

CRLF = "\r\n"


def message_id_for(message: Outgoing, sender: str) -> str:
    domain = sender.rsplit("@", 1)[-1].strip(">").strip() or "saldo.local"
    return f"<{message.idempotency_key}@{domain}>"


def _header(value: str) -> str:
    return value if value.isascii() else Header(value, "utf-8").encode()


def _part(content_type: str, body: str) -> str:
    encoded = base64.encodebytes(body.encode("utf-8")).decode("ascii").replace("\n", CRLF)
    return (f'Content-Type: {content_type}; charset="utf-8"{CRLF}'
            f"Content-Transfer-Encoding: base64{CRLF}{CRLF}{encoded}")


def mime_bytes(message: Outgoing, sender: str) -> bytes:
    """The full RFC 5322 message: headers, text part and (if any) HTML part."""
    headers = {"From": sender, "To": message.to, "Subject": _header(message.subject),
               "Date": formatdate(usegmt=True), "Message-ID": message_id_for(message, sender),
               "MIME-Version": "1.0", "X-Saldo-Message": str(message.message_id)}
    if message.reply_to:
        headers["Reply-To"] = message.reply_to
    for name in ("In-Reply-To", "References"):
        if message.headers.get(name):
            headers[name] = message.headers[name]
    if message.unsubscribe_url:
        headers["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    head = "".join(f"{name}: {value}{CRLF}" for name, value in headers.items())
    if not message.html:
        return (head + _part("text/plain", message.text)).encode("ascii")
    boundary = f"=_saldo_{message.idempotency_key}"
    body = (f'Content-Type: multipart/alternative; boundary="{boundary}"{CRLF}{CRLF}'
            f"--{boundary}{CRLF}{_part('text/plain', message.text)}"
            f"--{boundary}{CRLF}{_part('text/html', message.html)}--{boundary}--{CRLF}")
    return (head + body).encode("ascii")


class SmtpChannel:
    name = "email"

    def __init__(self, config, timeout: float = 15.0):
        self.config = config
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is None:
            smtp = smtplib.SMTP(self.config["SMTP_HOST"], self.config["SMTP_PORT"],
                                timeout=self.timeout)
            if self.config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if self.config.get("SMTP_USERNAME"):
                smtp.login(self.config["SMTP_USERNAME"], self.config.get("SMTP_PASSWORD") or "")
            self._smtp = smtp
        return self._smtp

    def send(self, message: Outgoing) -> str:
        if not message.to:
            raise ChannelError("no email address", transient=False)
        sender = self.config["MAIL_FROM"]
        data = mime_bytes(message, sender)
        try:
            self._connect().sendmail(parseaddr(sender)[1], [message.to], data)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelError(f"recipient refused: {list(exc.recipients)}", False) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise ChannelError(f"SMTP {exc.smtp_code}", exc.smtp_code < 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise ChannelError(f"SMTP unavailable: {exc}", transient=True) from exc
        return message_id_for(message, sender)

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None
