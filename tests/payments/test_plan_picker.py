"""The plan picker for a phone (issue 17, part 3): at most 4 offers first, each led by its
instalment, one recommended by a documented rule, the rest behind "Other options"."""

from __future__ import annotations

import re
from datetime import date

from payments.plan_picker import usual_payment
from payments.plans import first_view, offers_for, recommend
from portal.extensions import db
from tests.factories import make_debtor, make_invoice, make_payment, sign_in

POLICY = {"installments": [2, 3, 4, 6], "frequencies": ["weekly", "fortnightly", "monthly"],
          "min_installment_major": {"COP": 20000}, "max_duration_days": 180,
          "first_due_today": True}
TODAY = date(2026, 11, 26)


def _offers(balance=1_200_000_00):
    return offers_for(balance, "COP", POLICY, TODAY)


def test_the_recommended_plan_is_the_fewest_instalments_that_fit_the_usual_payment():
    offers = _offers()
    assert recommend(offers, 400_000_00).key == "3-monthly-COP"  # 3 × 400.000 fits
    assert recommend(offers, 399_999_99).key == "4-monthly-COP"  # 3 × 400.000 does not
    assert recommend(offers, 10_000_00).key == "6-monthly-COP"  # nothing fits: the smallest
    assert recommend(offers, None).key == "2-monthly-COP"  # no history: the fewest
    assert recommend([], 1) is None


def test_the_first_view_has_at_most_four_offers_with_the_recommended_one():
    offers = _offers()
    chosen = recommend(offers, 300_000_00)
    shown, others = first_view(offers, chosen, 300_000_00)
    assert len(offers) == 12 and len(shown) == 4
    assert chosen in shown
    assert sorted(o.key for o in shown + others) == sorted(o.key for o in offers)
    assert [o.count for o in shown] == sorted(o.count for o in shown)


def test_the_usual_payment_is_the_median_payment_else_the_median_invoice(app, db):
    debtor = make_debtor()
    invoices = [make_invoice(debtor, issued_on=date(2026, m, 1), amount_minor=amount)
                for m, amount in ((6, 300_000_00), (7, 100_000_00), (8, 200_000_00))]
    db.session.commit()
    assert usual_payment(debtor, "COP") == 200_000_00
    for invoice, paid in zip(invoices, (50_000_00, 70_000_00, 90_000_00), strict=True):
        make_payment(invoice, paid)
    db.session.commit()
    assert usual_payment(debtor, "COP") == 70_000_00
    assert usual_payment(debtor, "USD") is None


def test_the_picker_page_leads_with_the_instalment(stripe_app, client):
    debtor = make_debtor(locale="es_CO")
    for month in range(1, 13):  # billed 100.000 a month, paid so each month
        invoice = make_invoice(debtor, issued_on=date(2025, month, 1), amount_minor=100_000_00,
                               status="paid", paid_minor=0, settled_on=date(2025, month, 20))
        make_payment(invoice)
    make_invoice(debtor, issued_on=date(2026, 10, 1), amount_minor=600_000_00)
    db.session.commit()
    sign_in(client, debtor)
    page = client.get("/plans").get_data(as_text=True)
    first, _, rest = page.partition('<details class="more-offers">')
    shown = re.findall(r'name="offer" value="([^"]+)"', first)
    hidden = re.findall(r'name="offer" value="([^"]+)"', rest)
    assert 1 <= len(shown) <= 4 and hidden and not set(shown) & set(hidden)
    assert "Otras opciones" in rest
    checked = re.search(r'value="([^"]+)" checked', page).group(1)
    assert checked == "6-monthly-COP"  # 6 × 100.000: the fewest that fit 100.000 a month
    label = re.search(r'data-testid="offer-label-6-monthly-COP">(.*?)</label>', page,
                      re.S).group(1)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", label)).strip()
    first_due = re.search(r"\d+/\d+/\d{4}", text).group(0)
    assert text.index("6 ×") < text.index("cada mes") < text.index(first_due) < text.index(
        "Total")
    assert "Recomendado" in text
