"""`saldo link CUSTOMER_ID`: print a fresh account link (support use; the demo prints three)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import case, select

from portal.extensions import db
from portal.links import account_url, issue_token, unsubscribe_url
from portal.models import Debtor, Invoice, Message

DEMO_LOCALES = ("es_CO", "pt_BR", "en_US", "es_MX")


@click.command("link")
@click.argument("customer_id")
@click.option("--unsubscribe", is_flag=True, help="Also print a one-click unsubscribe link.")
@with_appcontext
def link_command(customer_id: str, unsubscribe: bool) -> None:
    """Print a fresh signed link to CUSTOMER_ID's account."""
    debtor = db.session.scalar(select(Debtor).where(Debtor.external_id == customer_id))
    if debtor is None:
        raise click.ClickException(f"no customer with id {customer_id!r}")
    url = account_url(debtor)
    extra = unsubscribe_url(debtor) if unsubscribe else None
    db.session.commit()
    click.echo(url)
    if extra:
        click.echo(f"unsubscribe: {extra}")
    from portal.demo import demo_identity_fact

    fact = demo_identity_fact(debtor)
    if fact is not None:
        click.echo(f"identity check ({debtor.identity_kind}): {fact}  "
                   f"[demo debtor, {debtor.locale}]")


def demo_links(base_url: str, count: int = 3) -> list[str]:
    """Fresh links to `count` demo debtors in different locales (with open invoices), one
    line each with the identity answer, for `saldo demo` to print. Debtors whose reminder is
    already in the mail sink come first, so a newcomer can follow that email to the same
    account. Commits the links."""
    reminded = select(Message.id).where(Message.debtor_id == Debtor.id,
                                        Message.status == "sent",
                                        Message.channel == "email").exists()
    lines = []
    for locale in DEMO_LOCALES:
        row = db.session.execute(
            select(Debtor, reminded)
            .where(Debtor.external_id.like("DEMO-%"), Debtor.locale == locale,
                   Debtor.identity_hash.is_not(None), Debtor.email.is_not(None),
                   select(Invoice.id).where(Invoice.debtor_id == Debtor.id,
                                            Invoice.status == "open").exists())
            .order_by(case((reminded, 0), else_=1), Debtor.external_id).limit(1)).first()
        if row is None:
            continue
        debtor, has_reminder = row
        from portal.demo import demo_identity_fact

        url = f"{base_url.rstrip('/')}/l/{issue_token(debtor)}"
        mail = (f"  (reminder sent to {debtor.email}: see the mail sink)" if has_reminder
                else "")
        reply = ""
        if has_reminder and locale.startswith("es"):  # try the reply understanding
            reply = (f"\n         reply to that reminder as {debtor.name.split()[0]} would: "
                     f".venv/bin/saldo replies demo-reply {debtor.email} "
                     f"'les pago el viernes 200 mil'")
        lines.append(f"{locale:<6} {debtor.name} ({debtor.external_id}): {url}  "
                     f"[last 4 digits of document: {demo_identity_fact(debtor)}]{mail}{reply}")
        if len(lines) == count:
            break
    db.session.commit()
    return lines
