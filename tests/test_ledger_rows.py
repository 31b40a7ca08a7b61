"""Every validation rule of the ledger CSV row parser."""

from datetime import date

import pytest

from portal.ledger.rows import RowError, missing_columns, parse_row

TODAY = date(2026, 11, 22)


def row(**overrides):
    base = {
        "customer_id": "C1", "invoice_id": "I1", "issue_date": "2026-01-03",
        "due_date": "2026-02-02", "amount": "55.94",
    }
    base.update(overrides)
    return base


def parse(**overrides):
    return parse_row(row(**overrides), "USD", TODAY)


def test_valid_minimal_row_uses_default_currency_and_minor_units():
    parsed = parse()
    assert parsed.amount_minor == 5594
    assert parsed.currency == "USD"
    assert parsed.issued_on == date(2026, 1, 3)
    assert parsed.settled_on is None and parsed.paid_minor is None


def test_missing_required_columns_are_named():
    assert missing_columns(["customer_id", "amount"]) == ["invoice_id", "issue_date", "due_date"]
    assert missing_columns([" customer_id", "invoice_id", "issue_date", "due_date", "amount"]) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"customer_id": ""}, "customer_id is required"),
        ({"invoice_id": "  "}, "invoice_id is required"),
        ({"issue_date": ""}, "issue_date is required"),
        ({"issue_date": "03/01/2026"}, "must be an ISO date"),
        ({"due_date": "2026-02-30"}, "not a real date"),
        ({"due_date": "2025-12-31"}, "is before issue_date"),
        ({"amount": "0"}, "greater than zero"),
        ({"amount": "-5.00"}, "decimal number"),
        ({"amount": "1,234.00"}, "decimal number"),
        ({"amount": "12.345"}, "at most 2 decimals"),
        ({"amount": "1e3"}, "decimal number"),
        ({"amount": ""}, "amount is required"),
        ({"amount": "100.5", "currency": "CLP"}, "at most 0 decimals"),
        ({"currency": "XYZ"}, "not a known ISO 4217"),
        ({"currency": "DOLLARS"}, "longer than 3"),
        ({"paid_amount": "60.00"}, "above the amount"),
        ({"paid_date": "2025-12-01"}, "before issue_date"),
        ({"paid_date": "2027-01-01"}, "in the future"),
        ({"paid_amount": "55.94"}, "paid_date is required"),
        ({"disputed": "maybe"}, "true or false"),
        ({"customer_name": "x" * 201}, "longer than 200"),
        ({"invoice_id": "I" * 65}, "longer than 64"),
        ({"email": "not-an-email"}, "not a valid address"),
        ({"phone": "call me"}, "phone must contain digits"),
        ({"locale": "xx_YY_ZZ"}, "not a known locale"),
        ({"timezone": "Mars/Olympus"}, "not a known IANA"),
        ({"country": "Colombia"}, "ISO 3166"),
        ({"customer_name": "bad\x00name"}, "control characters"),
        ({"amount": "9" * 16}, "implausibly large"),
    ],
)
def test_invalid_rows_are_rejected_with_a_reason(overrides, message):
    with pytest.raises(RowError, match=message):
        parse(**overrides)


def test_extra_fields_beyond_the_header_are_rejected():
    with pytest.raises(RowError, match="more fields than the header"):
        parse_row({**row(), None: ["x"]}, "USD", TODAY)


def test_paid_date_without_amount_settles_in_full():
    parsed = parse(paid_date="2026-02-10")
    assert parsed.settled_on == date(2026, 2, 10)
    assert parsed.paid_minor == 5594


def test_partial_payment_without_date_stays_open():
    parsed = parse(paid_amount="20.00")
    assert parsed.settled_on is None
    assert parsed.paid_minor == 2000


def test_zero_and_three_decimal_currencies():
    assert parse(amount="1500", currency="clp").amount_minor == 1500
    assert parse(amount="1.250", currency="KWD").amount_minor == 1250
    assert parse(amount="2500000.00", currency="COP").amount_minor == 250_000_000


def test_optional_contact_fields_are_normalised():
    parsed = parse(
        email="Ana@Example.COM", phone="+57 (300) 123-4567", locale="pt-BR",
        timezone="America/Sao_Paulo", country="br", disputed="TRUE", paperless="0",
    )
    assert parsed.email == "ana@example.com"
    assert parsed.phone == "+573001234567"
    assert parsed.locale == "pt_BR"
    assert parsed.country == "BR"
    assert parsed.disputed is True and parsed.paperless is False


def test_numeric_source_country_codes_are_kept():
    assert parse(country="770").country == "770"
