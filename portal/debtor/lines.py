"""The account page's invoice lines, worked out in one pass in Python.

A debtor with two years of history has a few dozen lines, each with a link, a title, an
amount, a date sentence and a status tag. Written as template filters and macros that was
most of the page's cost (every call goes through Jinja's context and Flask-Babel's lookups);
here each line is a handful of cached formatter calls. Only presentation: the statuses and
amounts come from `portal.debtor.account`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from flask import request, url_for
from markupsafe import Markup

from portal.debtor.account import InvoiceView
from portal.debtor.format import (
    display_locale,
    invoice_title,
    money,
    short_date,
    status_tag,
    title_of,
)
from portal.i18n import babel_context
from portal.i18n import gettext as _


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    href: str
    title: str
    amount: str
    meta: str  # "Due 4/12/2026 · promised for 10/12/2026", "Paid 3/11/2026"
    status: Markup  # the status tag


def open_lines(items: list[InvoiceView]) -> list[InvoiceLine]:
    """Open invoices: what is left to pay, when it is due, any promise."""
    locale, lines = display_locale(), []
    for item in items:
        invoice = item.invoice
        meta = _("Due %(date)s", date=short_date(invoice.due_on, locale))
        if item.promise is not None:
            meta += " · " + _("promised for %(date)s",
                              date=short_date(item.promise.promised_on, locale))
        lines.append(InvoiceLine(url_for("debtor.invoice", invoice_id=invoice.id),
                                 invoice_title(invoice, locale),
                                 money(invoice.balance_minor, invoice.currency, locale),
                                 meta, status_tag(item.status)))
    return lines


def paid_lines(items: list[InvoiceView]) -> list[InvoiceLine]:
    """Paid invoices: the amount billed and the day it was settled.

    A paid invoice's line no longer changes, and a debtor with two years of history has two
    dozen of them on every visit: each is made once per process and kept (bounded), keyed by
    everything it shows and the languages and address it is shown in."""
    locale = display_locale()
    page = str(getattr(babel_context(), "babel_locale", "") or "")
    root = request.script_root
    return [
        _paid_line(item.invoice.id, item.invoice.amount_minor, item.invoice.currency,
                   item.invoice.settled_on, item.invoice.description, item.invoice.issued_on,
                   locale, page, root)
        for item in items
    ]


@lru_cache(maxsize=20_000)
def _paid_line(invoice_id: int, amount_minor: int, currency: str, settled_on: date | None,
               description: str | None, issued_on: date, locale: str, page: str,
               root: str) -> InvoiceLine:
    # `page` (the page's language, which `_` translates into) and `root` (the app's address,
    # in the link) are only part of the key: the request being served has them.
    return InvoiceLine(
        url_for("debtor.invoice", invoice_id=invoice_id),
        title_of(description, issued_on, locale),
        money(amount_minor, currency, locale),
        _("Paid %(date)s", date=short_date(settled_on, locale)) if settled_on else "",
        status_tag("paid"))
