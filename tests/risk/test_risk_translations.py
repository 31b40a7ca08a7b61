"""The reason phrases are translated (es, pt_BR) with their placeholders intact."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

import risk
from risk.explain import MESSAGES, describe

LOCALES = ("es", "pt_BR")
FOLDER = Path(risk.__file__).parent / "translations"
PLACEHOLDER = re.compile(r"%\(\w+\)[dg]")


def _catalog(locale):
    with (FOLDER / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def _translations(locale) -> Translations:
    buffer = io.BytesIO()
    write_mo(buffer, _catalog(locale), use_fuzzy=False)
    buffer.seek(0)
    return Translations(buffer)


@pytest.mark.parametrize("locale", LOCALES)
def test_every_phrase_is_translated_with_its_placeholders(locale):
    catalog = _catalog(locale)
    for code, (message, _count) in MESSAGES.items():
        msgid = message if isinstance(message, str) else message[0]
        entry = catalog.get(msgid)
        assert entry is not None, code
        assert not entry.fuzzy, code
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        assert all(strings), code
        for string in strings:
            assert sorted(PLACEHOLDER.findall(string)) == sorted(PLACEHOLDER.findall(ids[-1]))


@pytest.mark.parametrize(("locale", "reason", "text"), [
    ("es", {"code": "late_share", "params": {"late": 4, "total": 5}},
     "pagó con retraso 4 de sus últimas 5 facturas"),
    ("es", {"code": "balance_ratio", "params": {"ratio": 3}}, "el saldo es 3× el habitual"),
    ("es", {"code": "days_late", "params": {"days": 1}},
     "paga con 1 día de retraso en promedio"),
    ("pt_BR", {"code": "overdue", "params": {"count": 2}}, "tem mais 2 faturas vencidas"),
    ("pt_BR", {"code": "disputed", "params": {}}, "a fatura está contestada"),
])
def test_describe_with_the_catalogues(locale, reason, text):
    translations = _translations(locale)
    assert describe(reason, translations.gettext, translations.ngettext) == text
