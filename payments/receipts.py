"""Emails to the debtor about payments: receipts and plan notices, in the debtor's language.

Each email is claimed before it is sent (a conditional UPDATE on `receipt_sent_at`), so the
browser, the webhook and the reconciliation job never send the same receipt twice; a
transient SMTP failure releases the claim and reconciliation tries again.
"""

from __future__ import annotations

import logging

from babel.dates import format_date
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import update

from payments.money import format_money
from portal.extensions import db
from portal.i18n import ui_language
from portal.mailer import MailError, build_email, send_email
from portal.models import Debtor, Payment, utcnow

log = logging.getLogger(__name__)


def _money(debtor: Debtor):
    return lambda amount, currency: format_money(amount, currency, debtor.locale or "es")


def _day(debtor: Debtor):
    return lambda value: format_date(value, format="long", locale=debtor.locale or "es")


def send_receipt(payment: Payment) -> bool:
    """Email the receipt for a succeeded payment once; True when it was sent now."""
    debtor = payment.debtor
    if not debtor.email or payment.status == "pending":
        return False
    claimed = db.session.execute(
        update(Payment).where(Payment.id == payment.id, Payment.receipt_sent_at.is_(None))
        .values(receipt_sent_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return False
    try:
        with force_locale(ui_language(debtor.locale) or "es"):
            subject = _("Payment receipt %(number)s", number=payment.id)
            context = {"payment": payment, "debtor": debtor, "money": _money(debtor),
                       "day": _day(debtor)}
            text = render_template("payments/email/receipt.txt", **context)
        send_email(build_email(debtor.email, subject, text))
    except MailError as exc:
        log.warning("receipt for payment %s not sent: %s", payment.id, exc)
        if exc.transient:
            db.session.execute(update(Payment).where(Payment.id == payment.id)
                               .values(receipt_sent_at=None))
            db.session.commit()
        return False
    return True


def send_plan_notice(debtor: Debtor, kind: str, **context) -> bool:
    """Tell the debtor about their plan: kind is accepted, charge_failed or broken."""
    if not debtor.email:
        return False
    with force_locale(ui_language(debtor.locale) or "es"):
        subjects = {
            "accepted": _("Your payment plan is active"),
            "charge_failed": _("We could not charge your instalment"),
            "broken": _("Your payment plan was cancelled"),
        }
        text = render_template(f"payments/email/plan_{kind}.txt", debtor=debtor,
                               money=_money(debtor), day=_day(debtor), **context)
    try:
        send_email(build_email(debtor.email, subjects[kind], text))
    except MailError as exc:
        log.warning("plan notice %s for debtor %s not sent: %s", kind, debtor.id, exc)
        return False
    return True
