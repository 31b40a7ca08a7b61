from decimal import Decimal

import pytest

from payments.money import MoneyError, exponent, format_money, to_major, to_minor


def nbsp(text: str) -> str:
    return text.replace("\xa0", " ")


def test_exponents_follow_stripe_and_iso():
    assert exponent("USD") == 2
    assert exponent("COP") == 2
    assert exponent("CLP") == 0
    assert exponent("JPY") == 0
    assert exponent("KWD") == 3


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
    assert nbsp(format_money(250_000_000, "COP", "es_CO")) == "$ 2.500.000,00"
    assert nbsp(format_money(123_450, "BRL", "pt_BR")) == "R$ 1.234,50"
    assert format_money(123_450, "USD", "en_US") == "$1,234.50"
    assert format_money(1_234, "CLP", "es_CL") == "$1.234"


def test_typed_amounts_are_read_the_way_the_locale_writes_them():
    from payments.money import parse_typed_amount

    assert parse_typed_amount("150.000", "COP", "es_CO") == 150_000_00
    assert parse_typed_amount("1.234,50", "BRL", "pt_BR") == 1_234_50
    assert parse_typed_amount("150000.50", "COP", "es_CO") == 150_000_50  # plain decimal
    assert parse_typed_amount("1500,5", "USD", "en_US") == 1_500_50
    assert parse_typed_amount("1,234.50", "USD", "en_US") == 1_234_50
    for junk in ("", "-5", "1e5", "abc", "12.345.6", "1.001", "10.005"):
        assert parse_typed_amount(junk, "USD", "en_US") is None, junk
