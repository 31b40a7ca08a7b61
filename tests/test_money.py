from decimal import Decimal

import pytest

from payments.currencies import MINOR_UNITS, STRIPE_EXPONENT
from payments.money import (
    MoneyError,
    exponent,
    format_money,
    from_stripe_amount,
    to_major,
    to_minor,
    to_stripe_amount,
)


def nbsp(text: str) -> str:
    return text.replace("\xa0", " ")


@pytest.mark.parametrize("code, places", [
    ("COP", 2), ("CLP", 0), ("JPY", 0), ("KWD", 3), ("BRL", 2), ("MXN", 2), ("USD", 2),
    ("ISK", 0), ("UGX", 0), ("HUF", 2), ("TWD", 2), ("CLF", 4), ("EUR", 2), ("PEN", 2),
])
def test_minor_units_come_from_our_table_not_babel(code, places):
    assert exponent(code) == places


def test_babel_currency_digits_do_not_change_our_exponents(monkeypatch):
    """Babel 2.19 says COP has 0 digits; whatever it says, our table decides."""
    import babel.numbers

    monkeypatch.setattr(babel.numbers, "get_currency_precision", lambda code: 0)
    assert exponent("COP") == 2
    assert to_minor("793400", "COP") == 79_340_000
    assert nbsp(format_money(79_340_000, "COP", "es_CO")) == "$ 793.400"


def test_table_is_complete_and_sane():
    assert len(MINOR_UNITS) >= 160
    assert all(len(code) == 3 and code.isupper() for code in MINOR_UNITS)
    assert set(MINOR_UNITS.values()) <= {0, 2, 3, 4}
    assert set(STRIPE_EXPONENT) - set(MINOR_UNITS) == set()


def test_stripe_amounts_follow_stripes_exceptions():
    assert to_stripe_amount(79_340_000, "COP") == 79_340_000
    assert to_stripe_amount(1_234, "CLP") == 1_234
    assert to_stripe_amount(1_234_567, "KWD") == 1_234_567
    assert to_stripe_amount(5, "ISK") == 500  # zero-decimal, sent as two decimals
    assert from_stripe_amount(500, "isk") == 5
    assert to_stripe_amount(1_000, "MGA") == 10  # ISO 2 decimals, Stripe whole ariary
    with pytest.raises(MoneyError):
        to_stripe_amount(1_050, "MGA")
    with pytest.raises(MoneyError):
        from_stripe_amount(501, "ISK")


def test_to_minor_is_exact_and_strict():
    assert to_minor("0.1", "USD") + to_minor("0.2", "USD") == to_minor("0.3", "USD") == 30
    assert to_minor(Decimal("1234.5"), "BRL") == 123450
    with pytest.raises(MoneyError):
        to_minor("1.001", "USD")
    with pytest.raises(MoneyError):
        to_minor("NaN", "USD")
    with pytest.raises(MoneyError):
        to_minor("1", "ZZZ")
    assert to_major(123450, "BRL") == Decimal("1234.50")


def test_formats_in_the_debtors_locale():
    assert nbsp(format_money(250_000_000, "COP", "es_CO")) == "$ 2.500.000"
    assert nbsp(format_money(123_450, "BRL", "pt_BR")) == "R$ 1.234,50"
    assert format_money(123_450, "USD", "en_US") == "$1,234.50"
    assert format_money(1_234, "CLP", "es_CL") == "$1.234"
    assert nbsp(format_money(10_050, "MXN", "es_MX")) == "$100.50"


def test_display_never_hides_a_non_zero_minor_part():
    assert nbsp(format_money(79_340_050, "COP", "es_CO")) == "$ 793.400,50"
    assert nbsp(format_money(79_340_000, "COP", "es_CO")) == "$ 793.400"
    assert format_money(5, "USD", "en_US") == "$0.05"
    assert format_money(1_234_567, "KWD", "en_US").endswith("1,234.567")


def test_typed_amounts_are_read_the_way_the_locale_writes_them():
    from payments.money import parse_typed_amount

    assert parse_typed_amount("150.000", "COP", "es_CO") == 150_000_00
    assert parse_typed_amount("1.234,50", "BRL", "pt_BR") == 1_234_50
    assert parse_typed_amount("150000.50", "COP", "es_CO") == 150_000_50  # plain decimal
    assert parse_typed_amount("1500,5", "USD", "en_US") == 1_500_50
    assert parse_typed_amount("1,234.50", "USD", "en_US") == 1_234_50
    for junk in ("", "-5", "1e5", "abc", "12.345.6", "1.001", "10.005"):
        assert parse_typed_amount(junk, "USD", "en_US") is None, junk
