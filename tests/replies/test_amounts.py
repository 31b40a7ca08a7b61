"""Amounts in replies, in major units."""

import pytest

from replies.amounts import extract_amount, format_amount, parse_number
from replies.text import normalize


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("les pago el viernes 200 mil", "es", "200000"),
    ("200k el 15", "es", "200000"),
    ("$200.000 mañana", "es", "200000"),
    ("doscientos mil pesos", "es", "200000"),
    ("medio millón", "es", "500000"),
    ("un millón y medio", "es", "1500000"),
    ("150 lucas", "es", "150000"),
    ("R$ 150,50 amanhã", "pt", "150.50"),
    ("duzentos e cinquenta reais", "pt", "250"),
    ("$1,200.50 friday", "en", "1200.50"),
    ("two hundred dollars", "en", "200"),
    ("el 15/12 pago 50000", "es", "50000"),
    ("i can pay 2.5k", "en", "2500"),
])
def test_amounts(text, language, expected):
    assert format_amount(extract_amount(normalize(text), language)) == expected


@pytest.mark.parametrize(("text", "language"), [
    ("le pago el 15", "es"), ("tengo 2 hijos", "es"), ("el 20 de diciembre de 2026", "es"),
    ("half now", "en"), ("no tengo ni un peso", "es"),
])
def test_no_amount(text, language):
    assert extract_amount(normalize(text), language) is None


def test_separators():
    assert str(parse_number("1.200.000")) == "1200000"
    assert str(parse_number("1.200,50")) == "1200.50"
    assert str(parse_number("1,200")) == "1200"
    assert str(parse_number("150.5")) == "150.5"
