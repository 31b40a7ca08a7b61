"""Vocabularies the date rules read: weekdays, months and small numbers, per language.

Spelled as ``replies.text.normalize`` leaves them (lower case, no accents).
"""

from __future__ import annotations

WEEKDAYS = {
    "es": {"lunes": 0, "martes": 1, "miercoles": 2, "mierc": 2, "jueves": 3, "viernes": 4,
           "viernez": 4, "sabado": 5, "sabados": 5, "domingo": 6},
    "pt": {"segunda": 0, "terca": 1, "quarta": 2, "quinta": 3, "sexta": 4, "sabado": 5,
           "domingo": 6},
    "en": {"monday": 0, "tuesday": 1, "tues": 1, "wednesday": 2, "weds": 2, "thursday": 3,
           "thurs": 3, "friday": 4, "fri": 4, "saturday": 5, "sunday": 6},
}

_NOT_TYPOS = frozenset({"mates", "marte", "quita", "quint", "quina", "unday", "frida",
                        "sunda", "monda", "viene", "vienes", "artes", "mares", "venes",
                        "vines", "sbado"})


def with_typos(days: dict[str, int]) -> dict[str, int]:
    """Each weekday of six letters or more also with one letter dropped or two swapped
    ("juevs", "vienres"), as people type; never a variant that is a word of its own."""
    out = dict(days)
    for word, index in days.items():
        if len(word) < 6:
            continue
        variants = {word[:i] + word[i + 1:] for i in range(len(word))}
        variants |= {word[:i] + word[i + 1] + word[i] + word[i + 2:]
                     for i in range(len(word) - 1)}
        for variant in variants - _NOT_TYPOS:
            out.setdefault(variant, index)
    return out


WEEKDAYS = {language: with_typos(days) for language, days in WEEKDAYS.items()}


MONTHS = {
    "es": {"enero": 1, "ene": 1, "febrero": 2, "feb": 2, "marzo": 3, "abril": 4, "abr": 4,
           "mayo": 5, "junio": 6, "jun": 6, "julio": 7, "jul": 7, "agosto": 8, "ago": 8,
           "septiembre": 9, "setiembre": 9, "sept": 9, "sep": 9, "octubre": 10, "oct": 10,
           "noviembre": 11, "nov": 11, "diciembre": 12, "dic": 12},
    "pt": {"janeiro": 1, "jan": 1, "fevereiro": 2, "fev": 2, "marco": 3, "abril": 4, "abr": 4,
           "maio": 5, "junho": 6, "jun": 6, "julho": 7, "jul": 7, "agosto": 8, "ago": 8,
           "setembro": 9, "set": 9, "outubro": 10, "out": 10, "novembro": 11, "nov": 11,
           "dezembro": 12, "dez": 12},
    "en": {"january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "april": 4, "apr": 4,
           "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
           "september": 9, "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11,
           "nov": 11, "december": 12, "dec": 12},
}

_ES_DAYS = ("primero dos tres cuatro cinco seis siete ocho nueve diez once doce trece catorce "
            "quince dieciseis diecisiete dieciocho diecinueve veinte veintiuno veintidos "
            "veintitres veinticuatro veinticinco veintiseis veintisiete veintiocho veintinueve "
            "treinta").split()
_PT_DAYS = ("primeiro dois tres quatro cinco seis sete oito nove dez onze doze treze catorze "
            "quinze dezesseis dezessete dezoito dezenove vinte").split()
_EN_DAYS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
            "twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth "
            "nineteenth twentieth").split()

# Day numbers written as words (never "un", "one"...: "the one who" is not a date).
DAY_WORDS = {
    "es": {word: n for n, word in enumerate(_ES_DAYS, start=1)} | {"treinta y uno": 31},
    "pt": {word: n for n, word in enumerate(_PT_DAYS, start=1)}
    | {"quatorze": 14, "vinte e cinco": 25, "trinta": 30, "trinta e um": 31},
    "en": {word: n for n, word in enumerate(_EN_DAYS, start=1)}
    | {"twenty fifth": 25, "thirtieth": 30, "thirty first": 31},
}

# Counts in "en tres dias", "em duas semanas", "in two weeks".
COUNT_WORDS = {
    "es": {"un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5,
           "seis": 6, "siete": 7, "ocho": 8, "diez": 10, "quince": 15, "veinte": 20},
    "pt": {"um": 1, "uma": 1, "dois": 2, "duas": 2, "tres": 3, "quatro": 4, "cinco": 5,
           "seis": 6, "sete": 7, "oito": 8, "dez": 10, "quinze": 15, "vinte": 20},
    "en": {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
           "seven": 7, "eight": 8, "ten": 10, "fifteen": 15, "twenty": 20, "a couple of": 2,
           "a few": 3},
}
