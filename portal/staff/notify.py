"""Telling a debtor how their dispute was resolved, by email (through the outbox), in their
language.

The wording is debtor-facing, so it is translated (es, pt_BR) from this package's own small
catalogue (`portal/staff/translations/`), kept apart from the English-only console strings.
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from portal.i18n import ui_language
from portal.models import Dispute

CATALOGUE = Path(__file__).resolve().parent / "translations"


def _(message: str) -> str:
    """Marker for Babel extraction; translation happens in `_translations`."""
    return message


SUBJECT_ACCEPTED = _("Your dispute about invoice %(ref)s was accepted")
SUBJECT_REJECTED = _("Your dispute about invoice %(ref)s was reviewed")
GREETING = _("Hello %(name)s,")
BODY_ADJUST = _("We reviewed your dispute about invoice %(ref)s and corrected its amount to "
                "%(amount)s.")
BODY_CANCEL = _("We reviewed your dispute about invoice %(ref)s and cancelled the invoice. "
                "You owe nothing for it.")
BODY_REJECT = _("We reviewed your dispute about invoice %(ref)s and could not accept it. The "
                "invoice remains due for %(amount)s.")
NOTE = _("Note from our team: %(note)s")
LINK = _("See your account and pay online: %(url)s")
SIGNATURE = _("Thank you,\nThe billing team")


@lru_cache(maxsize=8)
def _load(language: str, mtime: float) -> NullTranslations:
    po = CATALOGUE / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


def _translations(language: str | None) -> NullTranslations:
    if not language:
        return NullTranslations()
    po = CATALOGUE / language / "LC_MESSAGES" / "messages.po"
    return _load(language, po.stat().st_mtime if po.exists() else 0.0)


def compose(dispute: Dispute, account_link: str | None) -> tuple[str, str]:
    """Subject and body for the debtor, in the debtor's language."""
    from payments.money import format_money

    debtor, invoice = dispute.debtor, dispute.invoice
    t = _translations(ui_language(debtor.locale))
    ref = invoice.external_id
    # Adjusted: the invoice's new amount; rejected: what is still due on it.
    shown = invoice.amount_minor if dispute.resolution_action == "adjust" \
        else invoice.balance_minor
    amount = format_money(shown, invoice.currency, debtor.locale)
    body = {"adjust": BODY_ADJUST, "cancel": BODY_CANCEL, "reject": BODY_REJECT}
    subject = SUBJECT_REJECTED if dispute.status == "rejected" else SUBJECT_ACCEPTED
    lines = [t.gettext(GREETING) % {"name": debtor.name or ""}, "",
             t.gettext(body[dispute.resolution_action]) % {"ref": ref, "amount": amount}]
    if dispute.resolution_note:
        lines += ["", t.gettext(NOTE) % {"note": dispute.resolution_note}]
    if account_link and dispute.resolution_action != "cancel":
        lines += ["", t.gettext(LINK) % {"url": account_link}]
    lines += ["", t.gettext(SIGNATURE)]
    return t.gettext(subject) % {"ref": ref}, "\n".join(lines)


def notify_debtor(dispute: Dispute) -> str | None:
    """Queue the outcome email (the dispatcher renders it with `compose` and sends it);
    return an error text, or None when queued. The caller commits."""
    from alerts.enqueue import enqueue

    if not dispute.debtor.email:
        return "no email address"
    enqueue(dispute.debtor, "dispute_outcome", "email", reason=f"dispute_{dispute.status}",
            dedupe_key=f"dispute_outcome:{dispute.id}", dispute_id=dispute.id)
    return None
