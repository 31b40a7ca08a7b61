"""Dates in replies: common expressions, month ends, leap years and time zones."""

from datetime import UTC, date, datetime

import pytest

from replies.dates import local_today, next_day_of_month, quincena, resolve_date
from replies.text import normalize

THU = date(2026, 11, 26)  # a Thursday


def when(text, language="es", today=THU):
    return resolve_date(normalize(text), language, today)


@pytest.mark.parametrize(("text", "language", "expected"), [
    ("les pago el viernes 200 mil", "es", date(2026, 11, 27)),
    ("el próximo viernes", "es", date(2026, 11, 27)),
    ("el jueves", "es", date(2026, 12, 3)),  # today is Thursday: the next one
    ("la otra semana", "es", date(2026, 12, 3)),
    ("semana que vem", "pt", date(2026, 12, 3)),
    ("next week", "en", date(2026, 12, 3)),
    ("el viernes de la otra semana", "es", date(2026, 12, 4)),
    ("a fin de mes", "es", date(2026, 11, 30)),
    ("fim do mês que vem", "pt", date(2026, 12, 31)),
    ("la quincena", "es", date(2026, 11, 30)),
    ("dia 10", "pt", date(2026, 12, 10)),
    ("puedo pagar el 15", "es", date(2026, 12, 15)),
    ("on the 5th", "en", date(2026, 12, 5)),
    ("mañana", "es", date(2026, 11, 27)),
    ("amanhã cedo", "pt", date(2026, 11, 27)),
    ("pasado mañana", "es", date(2026, 11, 28)),
    ("hoy en la noche", "es", THU),
    ("en 3 días", "es", date(2026, 11, 29)),
    ("in two weeks", "en", date(2026, 12, 10)),
    ("el 15 de diciembre", "es", date(2026, 12, 15)),
    ("el 10 de enero", "es", date(2027, 1, 10)),
    ("dec 15th", "en", date(2026, 12, 15)),
    ("15/12", "es", date(2026, 12, 15)),
    ("12/15", "en", date(2026, 12, 15)),
    ("this weekend", "en", date(2026, 11, 28)),
    ("next payday, the 30th", "en", date(2026, 11, 30)),
    ("na sexta", "pt", date(2026, 11, 27)),
])
def test_common_expressions(text, language, expected):
    assert when(text, language) == expected


@pytest.mark.parametrize(("text", "language"), [
    ("next payday", "en"), ("cuando me paguen", "es"), ("quando o salario cair", "pt"),
    ("en la mañana", "es"), ("manda a segunda via do boleto", "pt"), ("I may pay", "en"),
    ("te pago 15 mil", "es"),
])
def test_no_date_named(text, language):
    assert when(text, language) is None


def test_past_dates_read_as_past_and_lose_to_a_coming_one():
    assert when("pagué el viernes pasado") == date(2026, 11, 20)
    assert when("ja paguei ontem", "pt") == date(2026, 11, 25)
    assert when("ayer no pude, le pago el lunes") == date(2026, 11, 30)


def test_quincena_is_the_15th_or_the_months_last_day_whichever_comes_next():
    assert quincena(date(2026, 11, 3)) == date(2026, 11, 15)
    assert quincena(date(2026, 11, 15)) == date(2026, 11, 15)
    assert quincena(date(2026, 11, 16)) == date(2026, 11, 30)
    assert quincena(date(2027, 2, 20)) == date(2027, 2, 28)
    assert quincena(date(2028, 2, 20)) == date(2028, 2, 29)


def test_month_ends():
    assert when("el 31", today=date(2026, 11, 26)) == date(2026, 12, 31)  # November has 30
    assert when("el 30", today=date(2027, 2, 10)) == date(2027, 3, 30)
    assert when("a fin de mes", today=date(2026, 12, 31)) == date(2026, 12, 31)
    assert when("el lunes", today=date(2026, 12, 31)) == date(2027, 1, 4)
    assert when("mañana", today=date(2026, 12, 31)) == date(2027, 1, 1)
    assert when("la quincena", today=date(2026, 4, 30)) == date(2026, 4, 30)
    assert when("el 5", today=date(2026, 12, 20)) == date(2027, 1, 5)


def test_leap_years():
    assert when("dia 29", "pt", today=date(2028, 2, 10)) == date(2028, 2, 29)
    assert when("dia 29", "pt", today=date(2027, 2, 10)) == date(2027, 3, 29)
    assert when("a fin de mes", today=date(2028, 2, 3)) == date(2028, 2, 29)
    assert when("a fin de mes", today=date(2027, 2, 3)) == date(2027, 2, 28)
    assert when("mañana", today=date(2028, 2, 28)) == date(2028, 2, 29)
    assert when("29 de febrero", today=date(2026, 11, 26)) == date(2028, 2, 29)
    assert next_day_of_month(date(2028, 1, 31), 30) == date(2028, 3, 30)


def test_time_zones_decide_what_today_is():
    late_evening_bogota = datetime(2026, 11, 27, 3, 30, tzinfo=UTC)  # Thu 22:30 in Bogotá
    assert local_today(late_evening_bogota, "America/Bogota") == date(2026, 11, 26)
    assert local_today(late_evening_bogota, "Europe/Madrid") == date(2026, 11, 27)
    bogota = when("mañana", today=local_today(late_evening_bogota, "America/Bogota"))
    madrid = when("mañana", today=local_today(late_evening_bogota, "Europe/Madrid"))
    assert (bogota, madrid) == (date(2026, 11, 27), date(2026, 11, 28))


def test_weekdays_with_a_typo_still_count_but_real_words_do_not():
    assert when("t pago el juevs") == date(2026, 12, 3)
    assert when("le pago el vienres") == date(2026, 11, 27)
    assert when("viene mi hermano y paga") is None
    assert when("la semana que viene") == date(2026, 12, 3)


def test_this_morning_is_today_but_past():
    from replies.dates import said_as_past

    assert when("pagué esta mañana") == THU
    assert said_as_past("pague esta manana") and not said_as_past("pago manana")
