"""The amount a reply names, in major units, as a Decimal.

Reads what people type: "$200.000", "200 mil", "200k", "150 lucas", "un palo", "medio millon",
"R$ 150,50", "$1,200.50", and numbers in words through ``text2num`` ("doscientos mil",
"duzentos e cinquenta reais", "two hundred"). A separator followed by exactly three digits
groups thousands; one followed by one or two digits is the decimal point, whichever symbol it
is. Numbers that are part of a date ("el 15", "15/12") are not amounts; a bare number counts
only from 100 up (and not a year such as 2026).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from text_to_num import alpha2digit

_SCALES = {"mil": 1000, "k": 1000, "lucas": 1000, "luca": 1000, "barras": 1000, "barra": 1000,
           "millon": 10**6, "millones": 10**6, "milhao": 10**6, "milhoes": 10**6,
           "million": 10**6, "millions": 10**6, "palo": 10**6, "palos": 10**6, "mm": 10**6}
_NUMBER = r"\d+(?:[.,]\d+)*"
_SCALED = re.compile(rf"\b(?P<num>{_NUMBER}|un|una|um|uma|a)\s*"
                     rf"(?P<scale>{'|'.join(sorted(_SCALES, key=len, reverse=True))})\b")
_HALF_MILLION = re.compile(r"\b(?:medio\s+millon|meio\s+milhao|half\s+a\s+million)\b")
_AND_A_HALF = re.compile(r"\b(?P<num>\d+)\s+(?:y|e|and)\s+(?:medio|meio|a\s+half)\b")
_MARKED = re.compile(
    rf"(?:us\$|r\$|\$|\bcop|\bmxn|\bbrl|\busd)\s*(?P<pre>{_NUMBER})"
    rf"|\b(?P<post>{_NUMBER})\s*(?:pesos|peso|pesitos|reais|real|dolares|dollars|dolar|dollar|"
    r"bucks|varos|cop|mxn|brl|usd)\b")
_BARE = re.compile(rf"(?<![/\d.,-])\b(?P<num>{_NUMBER})\b(?![/-]\d)")
_DATE_LEAD = re.compile(r"(?:\b(?:el|del|dia|the|on|by)\s+|\d[/-])$")


def parse_number(text: str) -> Decimal | None:
    """'200.000' -> 200000, '1,200.50' -> 1200.50, '150,50' -> 150.50, '1.5' -> 1.5."""
    text = text.strip(".,")
    if not text:
        return None
    marks = [i for i, ch in enumerate(text) if ch in ".,"]
    if marks:
        last = marks[-1]
        decimals = len(text) - last - 1
        kinds = {text[i] for i in marks}
        if decimals != 3 and (len(kinds) == 2 or len(marks) == 1):
            text = text[:last].replace(".", "").replace(",", "") + "." + text[last + 1:]
        else:
            text = text.replace(".", "").replace(",", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _scaled(match) -> str:
    number = match.group("num")
    value = Decimal(1) if number in ("un", "una", "um", "uma", "a") else parse_number(number)
    if value is None:
        return match.group(0)
    return _plain(value * _SCALES[match.group("scale")])


def _plain(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value, "f")


def _half(match) -> str:
    value = int(match.group("num"))
    return str(value + 500_000) if value and value % 1_000_000 == 0 else match.group(0)


def spell_out_numbers(text: str, language: str) -> str:
    """Scales and words made into digits: '200 mil' -> '200000', 'medio millon' -> '500000'."""
    text = _HALF_MILLION.sub("500000", text)
    text = _SCALED.sub(_scaled, text)
    if language in ("es", "pt", "en"):
        text = alpha2digit(text, language)
        text = _SCALED.sub(_scaled, text)
    return _AND_A_HALF.sub(_half, text)


def extract_amount(text: str, language: str) -> Decimal | None:
    """The first amount a normalised reply names (see the module docstring), or None."""
    digits = spell_out_numbers(text, language)
    marked = _MARKED.search(digits)
    if marked:
        return parse_number(marked.group("pre") or marked.group("post"))
    for match in _BARE.finditer(digits):
        if _DATE_LEAD.search(digits[:match.start()]):
            continue
        value = parse_number(match.group("num"))
        if value is None or value < 100 or len(match.group("num")) > 12:
            continue
        if value == value.to_integral_value() and 2000 <= value <= 2099 \
                and match.group("num").isdigit():
            continue
        return value
    return None


def format_amount(value: Decimal | None) -> str | None:
    """The decimal string the CLI prints ('200000', '150.50')."""
    return None if value is None else _plain(value)
