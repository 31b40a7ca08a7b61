"""Rendering the outbox's other kinds: sign-in links, receipts, plan notices, dispute
outcomes, staff replies and opt-out confirmations, in the debtor's language.

`render_kind(message, debtor, link)` returns (subject, text, html) for one claimed row; the
facts come from the row's foreign keys (payment, instalment, dispute) and `data`, so the
text is the one of the moment it is sent. Reminders are rendered by `alerts.templates`.
"""

from __future__ import annotations

from babel.dates import format_date
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from payments.money import format_money
from portal.extensions import db
from portal.i18n import ui_language
from portal.models import Debtor, Dispute, Installment, Message, Payment

# Which signed links each kind carries (minted in bulk by the dispatcher).
LINK_PURPOSES = {"reminder": ("account", "unsubscribe"), "signin_link": ("account",),
                 "dispute_outcome": ("account",)}


def _money(debtor: Debtor):
    return lambda amount, currency: format_money(amount, currency, debtor.locale or "es")


def _day(debtor: Debtor):
    return lambda value: format_date(value, format="long", locale=debtor.locale or "es")


def _signin_link(message: Message, debtor: Debtor, link: str) -> tuple[str, str]:
    if message.channel != "email":
        return "", _("Your link to your account: %(url)s", url=link)
    return (_("Your link to your account"),
            render_template("debtor/email/link.txt", debtor=debtor, url=link))


def _receipt(message: Message, debtor: Debtor, link: str) -> tuple[str, str]:
    payment = db.session.get(Payment, message.payment_id)
    context = {"payment": payment, "debtor": debtor, "money": _money(debtor),
               "day": _day(debtor)}
    return (_("Payment receipt %(number)s", number=payment.id),
            render_template("payments/email/receipt.txt", **context))


def _plan_notice(message: Message, debtor: Debtor, link: str) -> tuple[str, str]:
    installment = db.session.get(Installment, message.installment_id)
    plan = installment.plan
    notice = message.template.removeprefix("plan_")
    subjects = {
        "accepted": _("Your payment plan is active"),
        "charge_failed": _("We could not charge your instalment"),
        "broken": _("Your payment plan was cancelled"),
    }
    url = current_app.config["BASE_URL"].rstrip("/") + f"/plans/{plan.id}"
    text = render_template(f"payments/email/plan_{notice}.txt", debtor=debtor,
                           money=_money(debtor), day=_day(debtor), plan=plan,
                           installment=installment, url=url,
                           last4=(message.data or {}).get("last4"))
    return subjects[notice], text


def _dispute_outcome(message: Message, debtor: Debtor, link: str) -> tuple[str, str]:
    from portal.staff.notify import compose

    return compose(db.session.get(Dispute, message.dispute_id), link or None)


def _reply(message: Message, debtor: Debtor, link: str) -> tuple[str, str]:
    company = current_app.config.get("COMPANY_NAME", "Saldo")
    subject = message.subject or _("Your account with %(company)s", company=company)
    return subject, message.body or ""


def _opt_out_confirmation(message: Message, debtor: Debtor, link: str) -> tuple[str, str]:
    from replies.handlers import OPT_OUT_CONFIRMATION

    company = current_app.config.get("COMPANY_NAME", "Saldo")
    text = str(OPT_OUT_CONFIRMATION) % {"company": company}
    return (_("You will not get more emails from %(company)s", company=company)
            if message.channel == "email" else ""), text


RENDERERS = {
    "signin_link": _signin_link, "receipt": _receipt, "plan_notice": _plan_notice,
    "dispute_outcome": _dispute_outcome, "reply": _reply,
    "opt_out_confirmation": _opt_out_confirmation,
}


def render_kind(message: Message, debtor: Debtor, link: str) -> tuple[str, str, str]:
    """(subject, text, html) for a non-reminder message, in the debtor's language."""
    renderer = RENDERERS.get(message.kind)
    if renderer is None:
        raise ValueError(f"no renderer for message kind {message.kind!r}")
    with force_locale(ui_language(debtor.locale) or current_app.config["DEFAULT_LOCALE"]):
        subject, text = renderer(message, debtor, link)
    return subject, text, ""


def block_kind(message: Message, debtor: Debtor) -> str | None:
    """Why a non-reminder message must not go out (None: send it).

    These are answers to something the debtor did or asked for (a link, a payment, a
    dispute, a reply, a STOP), so reminder opt-outs do not hold them back.
    """
    if message.kind == "receipt" and message.payment_id is None:
        return "paid"
    return None
