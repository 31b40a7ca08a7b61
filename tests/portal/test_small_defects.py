"""The smaller defects found on a phone (issue 17): each one, fixed and held by a test."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.models import Dispute, PromiseToPay
from tests.factories import make_debtor, make_invoice, sign_in
from tests.portal.conftest import csrf_from, post_form

ROOT = Path(__file__).resolve().parents[2]


def _paid(debtor, description, issued_on, settled_on):
    return make_invoice(debtor, description=description, issued_on=issued_on,
                        status="paid", paid_minor=150_000_00, settled_on=settled_on)


# Disputes: nothing preselected, and a confirmation before anything is filed -------------

def test_the_dispute_reason_is_not_preselected(signed_client, db, debtor):
    invoice = make_invoice(debtor)
    db.session.commit()
    page = signed_client.get(f"/invoices/{invoice.id}/dispute").get_data(as_text=True)
    select_html = re.search(r'<select[^>]*name="reason".*?</select>', page, re.S).group(0)
    first = re.search(r"<option[^>]*>", select_html).group(0)
    assert 'value=""' in first and "Elige un motivo" in select_html
    assert "selected" not in select_html


@pytest.mark.parametrize(("fields", "error"), [
    ({"reason": "", "confirm": "y"}, "Elige el motivo de tu reclamo."),
    ({"reason": "wrong_amount"}, "Marca la casilla para confirmar tu reclamo."),
])
def test_a_dispute_needs_a_reason_and_a_confirmation(signed_client, db, debtor, fields,
                                                      error):
    invoice = make_invoice(debtor)
    db.session.commit()
    url = f"/invoices/{invoice.id}/dispute"
    response = post_form(signed_client, url, {"message": "No es mío", **fields},
                         content_type="multipart/form-data")
    assert response.status_code == 400
    assert error in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Dispute)) == 0
    db.session.refresh(invoice)
    assert not invoice.disputed


# Promises: not for an invoice that is already paid ----------------------------------------

def test_the_promise_form_is_refused_for_a_paid_invoice_reached_by_url(signed_client, db,
                                                                       debtor):
    invoice = _paid(debtor, "2026-10", date(2026, 10, 1), date(2026, 10, 20))
    open_one = make_invoice(debtor)
    db.session.commit()
    url = f"/invoices/{invoice.id}/promise"
    token = csrf_from(signed_client, f"/invoices/{open_one.id}/promise")
    shown = signed_client.get(url)
    assert shown.status_code == 302 and shown.headers["Location"].endswith(
        f"/invoices/{invoice.id}")
    posted = signed_client.post(url, data={"csrf_token": token, "amount": "1000",
                                           "promised_on": "2026-12-01"})
    assert posted.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(PromiseToPay)) == 0
    landing = signed_client.get(shown.headers["Location"]).get_data(as_text=True)
    assert "no hay nada que prometer" in landing


# Paid invoices: titled and sorted by the month they bill ---------------------------------

def test_paid_invoices_are_sorted_by_the_month_they_bill(signed_client, db, debtor):
    _paid(debtor, "2026-09", date(2026, 9, 1), settled_on=date(2026, 11, 2))
    _paid(debtor, "2026-11", date(2026, 11, 1), settled_on=date(2026, 11, 10))
    _paid(debtor, "2026-10", date(2026, 10, 1), settled_on=date(2026, 10, 15))
    db.session.commit()
    page = signed_client.get("/account").get_data(as_text=True)
    paid = page[page.index('id="paid-h"'):]
    titles = re.findall(r'<span class="row-title">([^<]+)</span>', paid)
    assert titles == ["Factura de noviembre de 2026", "Factura de octubre de 2026",
                      "Factura de septiembre de 2026"]


@pytest.mark.parametrize(("locale", "title", "paid_tag"), [
    ("es_CO", "Factura de noviembre de 2026", "Pagada"),
    ("pt_BR", "Fatura de novembro de 2026", "Paga"),
    ("en_US", "Invoice for November 2026", "Paid"),
])
def test_invoices_have_a_human_title_and_feminine_status(client, db, locale, title, paid_tag):
    debtor = make_debtor(locale=locale)
    invoice = _paid(debtor, "2026-11", date(2026, 11, 1), date(2026, 11, 20))
    db.session.commit()
    sign_in(client, debtor)
    account = client.get("/account").get_data(as_text=True)
    assert title in account
    tags = re.findall(r'<span class="tag tag-paid">([^<]+)</span>', account)
    assert tags == [paid_tag]
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    heading = re.search(r"<h1>([^<]*)</h1>", page).group(1)
    assert heading == title and invoice.external_id not in heading
    assert invoice.external_id in page  # the number is still there, as a fact


def test_a_free_text_description_is_the_title(signed_client, db, debtor):
    invoice = make_invoice(debtor, description="Servicio de agua, octubre")
    db.session.commit()
    page = signed_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "<h1>Servicio de agua, octubre</h1>" in page



@pytest.mark.parametrize("description", ["2026-10", "Servicio de agua, octubre"])
def test_the_invoice_page_does_not_repeat_its_description_below_the_title(
        signed_client, db, debtor, description):
    """The heading is made of the description; a row "Description: 2026-10" under "Factura
    de octubre de 2026" was noise (and the raw period, cryptic), on screen and in print."""
    invoice = make_invoice(debtor, description=description)
    db.session.commit()
    for url in (f"/invoices/{invoice.id}", f"/invoices/{invoice.id}/print"):
        page = signed_client.get(url).get_data(as_text=True)
        facts = page[page.index('<dl class="facts">'):page.index("</dl>")]
        assert description not in facts and "Descripción" not in facts
        assert invoice.external_id in facts


# English: one spelling -----------------------------------------------------------------

GETTEXT_CALL = re.compile(r"""(?:\b_|_l|gettext|ngettext|pgettext)\(\s*(?:"[^"]*",\s*)?"""
                          r"""(["'])(.*?)\1""", re.S)


def test_english_says_instalments_everywhere():
    found = []
    for folder in ("portal", "payments", "alerts"):
        for path in (ROOT / folder).rglob("*"):
            if path.suffix not in (".py", ".html", ".txt") or "translations" in path.parts:
                continue
            for _quote, text in GETTEXT_CALL.findall(path.read_text(encoding="utf-8")):
                if "installment" in text.lower():
                    found.append(f"{path.relative_to(ROOT)}: {text}")
    assert found == []


# Preferences: a time zone people recognise; no notification box that cannot work --------

@pytest.mark.parametrize(("locale", "zone", "name"), [
    ("es_CO", "America/Bogota", "hora de Colombia"),
    ("pt_BR", "America/Sao_Paulo", "Horário de Brasília"),
    ("en_US", "America/Bogota", "Colombia Time"),
])
def test_preferences_name_the_time_zone_in_the_debtors_language(client, db, locale, zone,
                                                                 name):
    debtor = make_debtor(locale=locale, timezone=zone)
    db.session.commit()
    sign_in(client, debtor)
    page = client.get("/preferences").get_data(as_text=True)
    assert name in page and zone not in page


def test_browser_notifications_are_offered_only_when_they_work(app, signed_client, db,
                                                               debtor):
    app.config["VAPID_PUBLIC_KEY"] = None
    page = signed_client.get("/preferences").get_data(as_text=True)
    assert 'name="allow_push"' not in page and 'value="push"' not in page
    debtor.allow_push = True
    db.session.commit()
    saved = post_form(signed_client, "/preferences", {
        "allow_email": "y", "preferred_channel": "email", "language": "es"})
    assert saved.status_code == 302
    db.session.refresh(debtor)
    assert debtor.allow_push is True  # a choice the page did not show is left as it was
    app.config["VAPID_PUBLIC_KEY"] = "BExampleKey"
    page = signed_client.get("/preferences").get_data(as_text=True)
    assert 'name="allow_push"' in page and 'value="push"' in page


# The favicon -----------------------------------------------------------------------------

def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00" and b"PNG" in response.data[:40]
    response.close()


# Staff pages: badge contrast (WCAG AA) and no empty table header --------------------------

def _luminance(hex_colour: str) -> float:
    value = hex_colour.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    high, low = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_every_staff_badge_meets_wcag_aa_contrast():
    css = (ROOT / "portal/static/staff/staff.css").read_text()
    variables = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", css))
    ink = variables["ink"]
    base = re.search(r"\.badge\s*\{([^}]*)\}", css).group(1)
    base_bg = re.search(r"background:\s*(#[0-9a-fA-F]+)", base).group(1)
    checked = 0
    for selectors, body in re.findall(r"([^{}]*\.badge[^{}]*)\{([^}]*)\}", css):
        colour = re.search(r"(?<![-\w])color:\s*(var\(--([\w-]+)\)|#[0-9a-fA-F]+)", body)
        background = re.search(r"background:\s*(#[0-9a-fA-F]+)", body)
        fg = (variables[colour.group(2)] if colour and colour.group(2)
              else colour.group(1) if colour else ink)
        bg = background.group(1) if background else base_bg
        assert contrast(fg, bg) >= 4.5, (selectors.strip(), fg, bg, contrast(fg, bg))
        checked += 1
    assert checked >= 3


def test_no_staff_table_has_an_empty_header():
    empty = []
    for path in (ROOT / "portal/templates/staff").glob("*.html"):
        for header in re.findall(r"<th[^>]*>(.*?)</th>", path.read_text(), re.S):
            if not re.sub(r"<[^>]+>", "", header).strip():
                empty.append(path.name)
    assert empty == []
