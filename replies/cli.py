"""`saldo replies …`: feed and read inbound messages from the shell.

`ingest` calls the same `ingest_reply` as the webhooks; `list` prints one object per
message. Other reply commands (classification, training) are added to `replies_cli`.
"""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

replies_cli = AppGroup("replies", help="Replies from debtors: ingest, list, understanding.")


def as_dict(inbound) -> dict:
    """The JSON shape of one inbound message (CLI and API)."""
    return {
        "id": inbound.id, "conversation_id": inbound.conversation_id,
        "debtor_id": inbound.debtor_id, "channel": inbound.channel, "sender": inbound.sender,
        "to": inbound.to_address, "subject": inbound.subject, "text": inbound.text,
        "received_at": inbound.received_at.isoformat().replace("+00:00", "Z"),
        "matched_by": inbound.matched_by, "action": inbound.action,
        "read": inbound.read_at is not None,
    }


@replies_cli.command("ingest")
@click.option("--channel", required=True, type=click.Choice(["email", "sms", "whatsapp"]))
@click.option("--sender", required=True, help="Email address or phone number it came from.")
@click.option("--text", required=True, help="The message text.")
@click.option("--to", "to", help="The address it was sent to (a reply+… address).")
@click.option("--subject", help="Email subject.")
@click.option("--provider-id", help="The provider's message id (stored once).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def ingest_command(channel, sender, text, to, subject, provider_id, as_json) -> None:
    """Store one inbound message exactly as a webhook would."""
    from replies.ingest import IngestError, ingest_reply

    try:
        inbound = ingest_reply(channel, sender, text, to=to, provider_id=provider_id,
                               subject=subject)
    except IngestError as exc:
        raise click.BadParameter(str(exc)) from exc
    if as_json:
        click.echo(json.dumps({**as_dict(inbound), "duplicate": inbound.duplicate}))
        return
    who = f"debtor {inbound.debtor_id}" if inbound.debtor_id else "unknown sender"
    note = " (already stored)" if inbound.duplicate else ""
    click.echo(f"message {inbound.id} in conversation {inbound.conversation_id} from {who}"
               f" (matched by {inbound.matched_by}){note}"
               + (f"; action: {inbound.action}" if inbound.action else ""))


@replies_cli.command("list")
@click.option("--unread", is_flag=True, help="Only messages no one has read.")
@click.option("--limit", default=100, show_default=True, help="Newest first, at most this many.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def list_command(unread: bool, limit: int, as_json: bool) -> None:
    """List inbound messages, newest first."""
    from portal.extensions import db
    from portal.models import InboundMessage

    query = select(InboundMessage).order_by(InboundMessage.received_at.desc(),
                                            InboundMessage.id.desc()).limit(limit)
    if unread:
        query = query.where(InboundMessage.read_at.is_(None))
    rows = db.session.scalars(query).all()
    for inbound in rows:
        if as_json:
            click.echo(json.dumps(as_dict(inbound)))
        else:
            text = inbound.text.replace("\n", " ")
            click.echo(f"{inbound.received_at:%Y-%m-%d %H:%M}  {inbound.channel:<8} "
                       f"debtor={inbound.debtor_id or '-':<6} conv={inbound.conversation_id:<5}"
                       f" {text[:70]}")
    if not rows and not as_json:
        click.echo("no messages", err=True)
    sys.exit(0)


@replies_cli.command("demo-reply")
@click.argument("recipient")
@click.argument("text")
@click.option("--sink-port", default=8025, show_default=True, help="The mail sink's SMTP port.")
@click.option("--folder", help="The sink's folder (default: <instance>/mailsink).")
def demo_reply_command(recipient: str, text: str, sink_port: int, folder: str | None) -> None:
    """Answer the newest email the demo's mail sink holds for RECIPIENT with TEXT, as that
    debtor would (through SMTP, so it arrives like any reply)."""
    from pathlib import Path

    from flask import current_app

    from replies.demo_reply import NoReminder, reply_to_last_reminder

    folder = folder or str(Path(current_app.instance_path) / "mailsink")
    try:
        sent = reply_to_last_reminder(recipient, text, folder, port=sink_port)
    except (NoReminder, OSError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"replied to {sent['In-Reply-To'] or 'the reminder'} as {recipient}; see the "
               "staff inbox (handled replies are under Done) and the mail sink for the answer")


import replies.cli_understanding  # noqa: E402,F401  (attaches classify, train, evaluate)
