"""`saldo payments …`: reconciliation, instalment charging and refunds from the shell."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

payments_cli = AppGroup("payments", help="Stripe payments: reconcile, charge plans, refund.")


@payments_cli.command("reconcile")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def reconcile_command(as_json: bool) -> None:
    """Apply PaymentIntents that succeeded at Stripe but are missing here (lost webhooks);
    refund (or flag for staff) charges that match no payment or charge one twice."""
    from payments.jobs import reconcile

    result = reconcile()
    if as_json:
        click.echo(json.dumps(result))
    else:
        for line in result.pop("actions", []):
            click.echo(line)
        click.echo(", ".join(f"{key}: {value}" for key, value in result.items()))
    if result.get("error"):
        sys.exit(1)


@payments_cli.command("charge-installments")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Charge as of this day (default: today, UTC).")
def charge_command(day) -> None:
    """Charge the plan instalments due (or due for a retry) today."""
    from payments.jobs import charge_due_installments

    result = charge_due_installments(day.date() if day else None)
    click.echo(", ".join(f"{key}: {value}" for key, value in result.items()))


@payments_cli.command("refund")
@click.argument("payment_id", type=int)
@click.option("--amount", help="Amount in major units (default: everything left).")
def refund_command(payment_id: int, amount: str | None) -> None:
    """Refund a card payment (all or part) and reopen the invoices it paid."""
    from payments.money import MoneyError, to_minor
    from payments.refunds import RefundError, refund_payment
    from portal.extensions import db
    from portal.models import Payment

    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise click.ClickException(f"no payment {payment_id}")
    try:
        minor = to_minor(amount, payment.currency) if amount else None
        released = refund_payment(payment, minor)
    except (MoneyError, RefundError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"refunded payment {payment_id}; {released} minor units reopened on invoices")
