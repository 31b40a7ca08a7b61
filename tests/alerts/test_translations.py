"""The alerts catalogues: complete, no fuzzy entries, placeholders kept, in sync with code."""

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2] / "alerts"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue(locale: str):
    with (ROOT / "translations" / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def code_messages() -> set[str]:
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(ROOT)):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("locale", ["es", "pt_BR"])
def test_every_message_is_translated_without_fuzzy_entries(locale):
    entries = [m for m in catalogue(locale) if m.id]
    assert {m.id[0] if isinstance(m.id, tuple) else m.id for m in entries} == code_messages()
    for message in entries:
        assert not message.fuzzy, message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        sources = message.id if isinstance(message.id, tuple) else (message.id,)
        assert all(s.strip() for s in strings), message.id
        wanted = set(PLACEHOLDER.findall(" ".join(sources))) - {"num"}
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) - {"num"} == wanted, (message.id, text)
