"""The date a reply names, relative to the day it was received in the debtor's time zone.

``resolve_date(normalised_text, language, today)`` returns the last date the text names, or
None. Common spoken forms are resolved by explicit rules (a weekday is the next one strictly
after today; "dia 10" the next 10th on or after today, skipping months without one; "la
quincena" the 15th or the month's last day, whichever comes first on or after today; "a fin
de mes" the month's last day; "la otra semana" / "semana que vem" / "next week" a week from
today). Written dates ("15 de diciembre", "dec 15th", "15/12") go through ``dateparser``,
restricted to the message's language, with a year in the future when none is written.
"Next payday" and "cuando me paguen" name no date: they resolve to None unless a date follows.

``local_today(received_at, tz)`` is the calendar day a UTC timestamp falls on in ``tz``.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import dateparser

from replies.words import COUNT_WORDS, DAY_WORDS, MONTHS, WEEKDAYS


def local_today(received_at: datetime, tz: str) -> date:
    """The day ``received_at`` (aware) falls on in time zone ``tz``."""
    return received_at.astimezone(ZoneInfo(tz)).date()


def last_day(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_weekday(today: date, weekday: int) -> date:
    """The next ``weekday`` (Monday 0) strictly after today."""
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def next_day_of_month(today: date, day: int) -> date | None:
    """The next date on or after today whose day of the month is ``day``."""
    if not 1 <= day <= 31:
        return None
    cursor = today.replace(day=1)
    for _ in range(13):
        if day <= calendar.monthrange(cursor.year, cursor.month)[1]:
            candidate = cursor.replace(day=day)
            if candidate >= today:
                return candidate
        cursor = add_months(cursor, 1)
    return None


def quincena(today: date) -> date:
    """The 15th or the month's last day, whichever comes first on or after today."""
    return today.replace(day=15) if today.day <= 15 else last_day(today.year, today.month)


def _alternatives(words) -> str:
    return "|".join(sorted(map(re.escape, words), key=len, reverse=True))


_NOT_AMOUNT = (r"(?!\s*(?:mil\b|k\b|%|pesos|reais|real\b|dolares|dollars|bucks|lucas|barras|"
               r"millon|milhao|million|[/.,:]\d|am\b|pm\b|h\b|hs\b|horas|hours))")
_DAY_LEAD = (r"(?:el\s+dia|el|del|dia|no\s+dia|o\s+dia|ate\s+o\s+dia|ate\s+dia|pro\s+dia|"
             r"para\s+el|hasta\s+el|antes\s+del|on\s+the|by\s+the|before\s+the|the)")
_ORD = r"(?:st|nd|rd|th|o|a)?"
_NEXT_WEEK = (r"(?:de\s+la\s+otra\s+semana|de\s+la\s+proxima\s+semana|de\s+la\s+semana\s+"
              r"(?:que|q)\s+viene|da\s+semana\s+(?:que|q)\s+vem|da\s+proxima\s+semana|next\s+week)")


def _rules(language: str) -> list[tuple[re.Pattern, object]]:
    """(pattern, resolver) pairs, most specific first; a span is read by the first that fits."""
    weekdays, months = WEEKDAYS[language], MONTHS[language]
    day_words, counts = DAY_WORDS[language], COUNT_WORDS[language]
    wd, mo = _alternatives(weekdays), _alternatives(months)
    day = rf"\d{{1,2}}|{_alternatives(day_words)}"

    def number(token: str, table: dict) -> int | None:
        return int(token) if token.isdigit() else table.get(token)

    def by_day(match, today):
        value = number(match.group("day"), day_words)
        return next_day_of_month(today, value) if value else None

    def by_month(match, today):
        return _written_date(match.group(0), language, today,
                             number(match.group("day"), day_words), months[match.group("mo")],
                             match.group("year"))

    def by_numbers(match, today):
        first, second = int(match.group("a")), int(match.group("b"))
        d, m = (second, first) if language == "en" and first <= 12 else (first, second)
        return _written_date(match.group(0), language, today, d, m, match.group("year"))

    def weekday_next_week(match, today):
        monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
        return monday + timedelta(days=weekdays[match.group("wd")])

    def in_n(match, today):
        count = number(match.group("n"), counts)
        weeks = match.group("unit").startswith(("semana", "week"))
        return today + timedelta(days=count * (7 if weeks else 1)) if count else None

    def last_weekday(match, today):
        weekday = weekdays[match.group("wd") or match.group("wd2")]
        return today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)

    def ago(match, today):
        count = number(match.group("n") or match.group("n2"), counts)
        unit = match.group("unit") or match.group("unit2")
        weeks = unit.startswith(("semana", "week"))
        return today - timedelta(days=count * (7 if weeks else 1)) if count else None

    def end_of_month(match, today):
        later = add_months(today, 1) if match.group("next") or match.group("next2") else today
        return last_day(later.year, later.month)

    rules = [
        (rf"\b(?P<wd>{wd})\s*(?:el\s+|dia\s+|the\s+)?(?P<day>\d{{1,2}}){_ORD}\b"
         + _NOT_AMOUNT, by_day),
        (rf"\b(?P<day>{day}){_ORD}\s*(?:de\s+|of\s+)?(?P<mo>{mo})\b"
         r"(?:\s*(?:de|del)?\s*(?P<year>20\d\d))?", by_month),
        (rf"\b(?P<mo>{mo})\s+(?P<day>\d{{1,2}}){_ORD}\b(?:\s*(?P<year>20\d\d))?", by_month),
        (r"\b(?P<a>\d{1,2})[/-](?P<b>\d{1,2})(?:[/-](?P<year>(?:20)?\d\d))?\b", by_numbers),
        (rf"\b(?P<wd>{wd})\s+{_NEXT_WEEK}", weekday_next_week),
        (rf"\b(?:(?:el|la|o|a|na|no)\s+)?(?P<wd>{wd})(?:\s+feira)?\s+(?:pasad[oa]|passad[oa])\b"
         rf"|\blast\s+(?P<wd2>{wd})\b", last_weekday),
        (r"\b(?:antier|anteayer|antes\s+de\s+ayer|anteontem|day\s+before\s+yesterday)\b",
         lambda m, t: t - timedelta(days=2)),
        (r"\b(?:ayer|ontem|yesterday|yday)\b", lambda m, t: t - timedelta(days=1)),
        (r"\b(?:la\s+semana\s+pasada|semana\s+passada|last\s+week)\b",
         lambda m, t: t - timedelta(days=7)),
        (r"\b(?:el\s+mes\s+pasado|mes\s+passado|last\s+month)\b",
         lambda m, t: add_months(t, -1)),
        (rf"\b(?:hace|ha|faz)\s+(?P<n>\d{{1,2}}|{_alternatives(counts)})\s+"
         r"(?P<unit>dias|dia|semanas|semana)\b"
         rf"|\b(?P<n2>\d{{1,2}}|{_alternatives(counts)})\s+(?P<unit2>days|day|weeks|week)\s+ago\b",
         ago),
        (r"\b(?:esta\s+manana|hoy\s+temprano|hoje\s+cedo|this\s+morning|hoje\s+de\s+manha)\b",
         lambda m, t: t),
        (r"\b(?:pasado\s+manana|depois\s+de\s+amanha|day\s+after\s+tomorrow)\b",
         lambda m, t: t + timedelta(days=2)),
        (r"(?<!\bla )(?<!\bpor la )(?<!\ben la )(?<!\bpela )(?<!\bde )(?<!\bda )(?<!\besta )"
         r"\b(?:manana|amanha|tomorrow|tomorow|tomoro|tmrw|tmr|2morrow|2moro)\b",
         lambda m, t: t + timedelta(days=1)),
        (r"\b(?:hoy|hoje|hj|today|tonight|tdy|ahora\s+mismo|agora\s+mesmo|"
         r"esta\s+noche|esta\s+tarde|hoy\s+mismo|2nite)\b", lambda m, t: t),
        (rf"\b(?:en|em|dentro\s+de|daqui\s+a|daqui|in|within)\s+(?:unos\s+|uns\s+)?"
         rf"(?P<n>\d{{1,2}}|{_alternatives(counts)})\s+"
         r"(?P<unit>dias|dia|days|day|semanas|semana|weeks|week)\b", in_n),
        (r"\b(?:la\s+otra\s+semana|otra\s+semana|la\s+proxima\s+semana|proxima\s+semana|"
         r"la\s+semana\s+(?:que|q)\s+viene|semana\s+(?:que|q)\s+viene|la\s+semana\s+entrante|"
         r"semana\s+(?:que|q)\s+vem|next\s+week)\b", lambda m, t: t + timedelta(days=7)),
        (r"\b(?:a\s+)?(?:fin|finales|final|fim|end)\s+(?:de|del|do|da|of\s+the|of)\s+"
         r"(?:(?P<next>proximo|next)\s+)?(?:mes|month)\b(?P<next2>\s+que\s+(?:viene|vem))?"
         r"|\bmonth\s+end\b(?P<x>)|\beom\b", end_of_month),
        (r"\b(?:el\s+mes\s+(?:que|q)\s+viene|el\s+otro\s+mes|el\s+proximo\s+mes|proximo\s+mes|"
         r"mes\s+(?:que|q)\s+viene|mes\s+(?:que|q)\s+vem|next\s+month|el\s+mes\s+entrante)\b",
         lambda m, t: add_months(t, 1)),
        (r"\b(?:quincena|quinzena)\b", lambda m, t: quincena(t)),
        (r"\b(?:fin\s+de\s+semana|finde|fim\s+de\s+semana|weekend)\b",
         lambda m, t: t + timedelta(days=(5 - t.weekday()) % 7)),
        (rf"\b(?P<wd>{wd})\b(?!\s*(?:via|cuota|parcela))",
         lambda m, t: next_weekday(t, weekdays[m.group("wd")])),
        (rf"\b{_DAY_LEAD}\s+(?P<day>{day}){_ORD}\b" + _NOT_AMOUNT, by_day),
        (r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)\b", by_day),
    ]
    return [(re.compile(pattern), resolve) for pattern, resolve in rules]


def _written_date(span: str, language: str, today: date, day, month, year) -> date | None:
    """A written day and month (maybe a year): dateparser reads the span, restricted to the
    message's language; without a year, the next such day on or after today."""
    if not day or not month:
        return None
    parsed = dateparser.parse(span, languages=[language], settings={
        "RELATIVE_BASE": datetime(today.year, today.month, today.day),
        "PREFER_DATES_FROM": "future", "DATE_ORDER": "MDY" if language == "en" else "DMY"})
    if year:
        full = int(year) + (2000 if len(year) == 2 else 0)
        if parsed is not None and (parsed.year, parsed.month, parsed.day) == (full, month, day):
            return parsed.date()
        return _safe_date(full, month, day)
    if parsed is not None and (parsed.month, parsed.day) == (month, day) \
            and parsed.date() >= today:
        return parsed.date()
    for offset in range(5):  # 29 February waits for a leap year
        candidate = _safe_date(today.year + offset, month, day)
        if candidate is not None and candidate >= today:
            return candidate
    return None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


_CACHE: dict[str, list] = {}


_THIS_MORNING = re.compile(r"\b(?:esta\s+manana|hoy\s+temprano|hoje\s+cedo|hoje\s+de\s+manha|"
                           r"this\s+morning|earlier\s+today)\b")


def said_as_past(text: str) -> bool:
    """'esta mañana', 'hoje cedo', 'this morning': today, but already gone by."""
    return bool(_THIS_MORNING.search(text))


def resolve_date(text: str, language: str, today: date) -> date | None:
    """The last date to come that ``text`` (normalised) names, else the last past one."""
    rules = _CACHE.get(language)
    if rules is None:
        rules = _CACHE[language] = _rules(language)
    taken: list[tuple[int, int, date | None]] = []
    for pattern, resolve in rules:
        for match in pattern.finditer(text):
            start, end = match.span()
            if any(start < e and s < end for s, e, _ in taken):
                continue
            taken.append((start, end, resolve(match, today)))
    found = [(start, day) for start, _end, day in taken if day is not None]
    coming = [pair for pair in found if pair[1] >= today]
    return max(coming or found)[1] if found else None
