"""Outgoing email over SMTP (the local mail sink by default, a real server in production)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app


class MailError(Exception):
    """Sending failed. `transient` says whether trying again later may succeed."""

    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


def build_email(to: str, subject: str, text: str, html: str | None = None,
                headers: dict[str, str] | None = None, sender: str | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender or current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    domain = message["From"].rsplit("@", 1)[-1].strip(">") or "saldo.local"
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def send_email(message: EmailMessage, timeout: float = 15.0) -> str:
    """Send one message with the configured SMTP server; return its Message-ID."""
    config = current_app.config
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=timeout) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("SMTP_USERNAME"):
                smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
            smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"recipient refused: {exc.recipients}", transient=False) from exc
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                        transient=exc.smtp_code < 500) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP unavailable: {exc}", transient=True) from exc
    return message["Message-ID"]
