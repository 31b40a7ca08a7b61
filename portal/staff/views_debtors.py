"""Debtor search, the debtor timeline, and the open promises list (agents and admins)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import abort, render_template, request
from flask_babel import get_translations
from sqlalchemy import select

from portal.extensions import db, limiter
from portal.models import Debtor, PromiseToPay
from portal.staff import bp
from portal.staff.access import role_required
from portal.staff.timeline import search_debtors, timeline


def money(amount_minor: int, currency: str) -> str:
    from payments.money import format_money

    try:
        return format_money(amount_minor, currency, "en_US")
    except ValueError:
        return f"{amount_minor} {currency} (minor units)"


def describe_reason(reason: dict) -> str:
    from risk.explain import describe

    translations = get_translations()
    try:
        return describe(reason, translations.gettext, translations.ngettext)
    except (KeyError, TypeError, ValueError):
        return str(reason.get("code", reason))


@bp.route("/debtors")
@role_required("debtors")
@limiter.limit("120 per minute")
def debtors():
    q = request.args.get("q", "").strip()
    results = search_debtors(q) if q else []
    return render_template("staff/debtors.html", q=q, results=results)


@bp.route("/debtors/<int:debtor_id>")
@role_required("debtors")
def debtor(debtor_id: int):
    person = db.session.get(Debtor, debtor_id) or abort(404)
    kinds = request.args.getlist("kind")
    entries = timeline(person, describe_reason, money)
    if kinds:
        entries = [e for e in entries if e.kind in kinds]
    open_minor: dict[str, int] = {}
    for invoice in person.invoices:
        if invoice.status == "open":
            open_minor[invoice.currency] = open_minor.get(invoice.currency, 0) + \
                invoice.balance_minor
    from portal.debtor.consent import consents_of

    return render_template("staff/debtor.html", debtor=person, entries=entries, kinds=kinds,
                           balances=[money(v, c) for c, v in sorted(open_minor.items())],
                           consents=consents_of(person), consent_labels=consent_labels())


def consent_labels() -> list[tuple[str, str]]:
    from flask_babel import gettext as _

    return [("email", _("Email")), ("sms", _("SMS")), ("whatsapp", _("WhatsApp"))]


@bp.route("/promises")
@role_required("disputes")
def promises():
    status = request.args.get("status", "open")
    query = select(PromiseToPay).order_by(PromiseToPay.promised_on)
    if status in ("open", "kept", "broken", "cancelled"):
        query = query.where(PromiseToPay.status == status)
    rows = db.session.scalars(query.limit(500)).all()
    today = datetime.now(UTC).date()
    return render_template("staff/promises.html", promises=rows, status=status, money=money,
                           today=today, soon=today + timedelta(days=3))
