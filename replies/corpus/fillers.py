"""Fillers the corpus generator combines with the hand-written replies in ``phrases.py``:
date phrases with the rule that gives their gold date, amounts with their gold value, and the
greetings, sign-offs, emoji and abbreviations people actually use.

The gold dates are computed here, independently of ``replies.dates``: each phrase says what it
means (weekday strictly after today, next day-of-month on or after today, and so on), exactly
as the issue specifies, so the benchmark checks the resolver against the specification.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

MONTH_NAMES = {
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"],
    "pt": ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
           "setembro", "outubro", "novembro", "dezembro"],
    "en": ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"],
}


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _next_month(day: date) -> date:
    return (_month_end(day) + timedelta(days=1))


def gold_date(kind: str, arg, today: date) -> date | None:
    """What each kind of date phrase means, relative to ``today`` (the issue's rules)."""
    if kind == "none":
        return None
    if kind == "today":
        return today
    if kind == "plus":
        return today + timedelta(days=arg)
    if kind == "wd":  # a weekday: the next one strictly after today
        return today + timedelta(days=(arg - today.weekday() - 1) % 7 + 1)
    if kind == "wd_next_week":  # that weekday in the next calendar week
        return today - timedelta(days=today.weekday()) + timedelta(days=7 + arg)
    if kind == "day":  # the next such day of the month on or after today
        cursor = today.replace(day=1)
        while True:
            if arg <= calendar.monthrange(cursor.year, cursor.month)[1] \
                    and cursor.replace(day=arg) >= today:
                return cursor.replace(day=arg)
            cursor = _next_month(cursor)
    if kind == "eom":
        return _month_end(today)
    if kind == "eom_next":
        return _month_end(_next_month(today))
    if kind == "quincena":  # the 15th or the month's last day, whichever comes next
        return today.replace(day=15) if today.day <= 15 else _month_end(today)
    if kind == "weekend":  # the coming Saturday (today if it is one)
        return today + timedelta(days=(5 - today.weekday()) % 7)
    raise ValueError(kind)


# (phrase, kind, argument). "{md}" phrases are filled with a day of next month by the generator.
DATES = {
    "es": [
        ("el viernes", "wd", 4), ("el lunes", "wd", 0), ("el martes", "wd", 1),
        ("el miércoles", "wd", 2), ("el jueves", "wd", 3), ("el sábado", "wd", 5),
        ("el próximo viernes", "wd", 4), ("el viernes que viene", "wd", 4),
        ("este viernes", "wd", 4), ("el lunes de la otra semana", "wd_next_week", 0),
        ("mañana", "plus", 1), ("mañana temprano", "plus", 1), ("pasado mañana", "plus", 2),
        ("hoy", "today", None), ("hoy en la noche", "today", None),
        ("el 15", "day", 15), ("el día 10", "day", 10), ("el 30", "day", 30), ("el 5", "day", 5),
        ("el 20", "day", 20), ("dia 25", "day", 25), ("el quince", "day", 15),
        ("en la quincena", "quincena", None), ("la quincena", "quincena", None),
        ("cuando me paguen la quincena", "quincena", None),
        ("a fin de mes", "eom", None), ("a finales de mes", "eom", None),
        ("a fin del mes que viene", "eom_next", None),
        ("la otra semana", "plus", 7), ("la próxima semana", "plus", 7),
        ("la semana que viene", "plus", 7), ("en 3 días", "plus", 3),
        ("en una semana", "plus", 7), ("en dos semanas", "plus", 14), ("en 10 dias", "plus", 10),
        ("este fin de semana", "weekend", None), ("el finde", "weekend", None),
        ("el {d} de {month}", "md", None), ("el {d}/{m}", "md_num", None),
    ],
    "pt": [
        ("sexta", "wd", 4), ("na sexta", "wd", 4), ("sexta-feira", "wd", 4),
        ("na segunda", "wd", 0), ("na terça", "wd", 1), ("quarta-feira", "wd", 2),
        ("na quinta", "wd", 3), ("sábado", "wd", 5), ("na próxima sexta", "wd", 4),
        ("sexta da semana que vem", "wd_next_week", 4),
        ("amanhã", "plus", 1), ("amanha cedo", "plus", 1), ("depois de amanhã", "plus", 2),
        ("hoje", "today", None), ("hj a noite", "today", None), ("hoje ainda", "today", None),
        ("dia 10", "day", 10), ("no dia 15", "day", 15), ("dia 5", "day", 5),
        ("dia 20", "day", 20), ("até o dia 30", "day", 30), ("dia 25", "day", 25),
        ("semana que vem", "plus", 7), ("na semana que vem", "plus", 7),
        ("na próxima semana", "plus", 7), ("no fim do mês", "eom", None),
        ("final do mês", "eom", None), ("no fim do mês que vem", "eom_next", None),
        ("daqui a 5 dias", "plus", 5), ("em 3 dias", "plus", 3), ("daqui uma semana", "plus", 7),
        ("em duas semanas", "plus", 14), ("no fim de semana", "weekend", None),
        ("dia {d} de {month}", "md", None), ("dia {d}/{m}", "md_num", None),
        ("na quinzena", "quincena", None),
    ],
    "en": [
        ("friday", "wd", 4), ("on friday", "wd", 4), ("this friday", "wd", 4),
        ("next friday", "wd", 4), ("monday", "wd", 0), ("on tuesday", "wd", 1),
        ("wednesday", "wd", 2), ("thursday", "wd", 3), ("saturday", "wd", 5), ("fri", "wd", 4),
        ("friday next week", "wd_next_week", 4),
        ("tomorrow", "plus", 1), ("tmrw", "plus", 1), ("day after tomorrow", "plus", 2),
        ("today", "today", None), ("tonight", "today", None),
        ("on the 15th", "day", 15), ("the 10th", "day", 10), ("on the 5th", "day", 5),
        ("by the 20th", "day", 20), ("on the 30th", "day", 30), ("the 1st", "day", 1),
        ("next week", "plus", 7), ("at the end of the month", "eom", None),
        ("end of month", "eom", None), ("end of next month", "eom_next", None),
        ("in 3 days", "plus", 3), ("in a week", "plus", 7), ("in two weeks", "plus", 14),
        ("this weekend", "weekend", None),
        ("{month} {d}", "md", None), ("{month} {d}th", "md", None), ("on {m}/{d}", "md_num", None),
    ],
}

AMOUNTS = {
    "es": [("200 mil", "200000"), ("200k", "200000"), ("$200.000", "200000"),
           ("doscientos mil", "200000"), ("medio millón", "500000"), ("50 mil pesos", "50000"),
           ("150 lucas", "150000"), ("$1.200.000", "1200000"), ("100 mil", "100000"),
           ("trescientos mil pesos", "300000"), ("80.000", "80000"), ("$500", "500"),
           ("1500 pesos", "1500"), ("un millón", "1000000"), ("350mil", "350000")],
    "pt": [("R$ 200", "200"), ("200 reais", "200"), ("duzentos reais", "200"),
           ("R$150,50", "150.50"), ("mil reais", "1000"), ("R$ 1.200", "1200"),
           ("cem reais", "100"), ("R$ 350,00", "350.00"), ("500 reais", "500"),
           ("quinhentos reais", "500"), ("R$80", "80"), ("1.500 reais", "1500")],
    "en": [("$200", "200"), ("200 dollars", "200"), ("two hundred dollars", "200"),
           ("$1,200", "1200"), ("$150.50", "150.50"), ("500 bucks", "500"), ("$75", "75"),
           ("a hundred dollars", "100"), ("$1,000", "1000"), ("300 dollars", "300"),
           ("$2.5k", "2500"), ("$49.99", "49.99")],
}

GREETINGS = {
    "es": ["", "", "", "hola ", "buenas ", "buenos días, ", "buenas tardes ", "hola señorita ",
           "q más, ", "quiubo ", "oiga ", "mire ", "disculpe ", "buen día "],
    "pt": ["", "", "", "oi ", "olá, ", "bom dia ", "boa tarde, ", "opa ", "e aí, ", "moça, ",
           "boa noite "],
    "en": ["", "", "", "hi ", "hello, ", "hey ", "good morning, ", "hi there, ", "yo ",
           "sorry, "],
}
SIGN_OFFS = {
    "es": ["", "", "", " gracias", " mil gracias", " dios le pague", " bendiciones",
           " quedo atento", " porfa", " 🙏", " 👍", " gracias 🙏", " q pena", " saludos"],
    "pt": ["", "", "", " obrigado", " obg", " brigada", " valeu", " 🙏", " 👍", " abs",
           " desculpa", " tmj"],
    "en": ["", "", "", " thanks", " thx", " ty", " 🙏", " 👍", " sorry", " pls", " cheers"],
}
ABBREVIATIONS = {
    "es": {"que": "q", "porque": "xq", "por qué": "xq", "por favor": "porfa", "también": "tb",
           "mensaje": "msj", "gracias": "grax", "para": "pa", "días": "dias", "usted": "ud",
           "está": "ta", "cuánto": "cuanto", "pues": "pues", "todo": "to"},
    "pt": {"você": "vc", "vocês": "vcs", "também": "tb", "porque": "pq", "que": "q",
           "para": "pra", "não": "n", "está": "tá", "agora": "agr", "beleza": "blz",
           "obrigado": "obg", "mensagem": "msg", "hoje": "hj", "estou": "to"},
    "en": {"you": "u", "please": "pls", "are": "r", "tomorrow": "tmrw", "thanks": "thx",
           "because": "bc", "okay": "ok", "i am": "im", "don't": "dont", "can't": "cant",
           "i'll": "ill", "to": "2", "for": "4", "tonight": "2nite"},
}
