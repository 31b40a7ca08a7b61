"""The debtor-facing dispute emails: their catalogue is complete and in sync with the code."""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from portal.staff import notify

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def source_ids() -> set[str]:
    return {message for _line, message, _comments, _context
            in extract_from_file("python", notify.__file__)}


@pytest.mark.parametrize("locale", ["es", "pt_BR"])
def test_catalogue_is_complete(locale):
    path = notify.CATALOGUE / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalogue = read_po(fh, locale=locale)
    entries = {m.id: m for m in catalogue if m.id}
    assert set(entries) == source_ids()
    for msgid, message in entries.items():
        assert not message.fuzzy and message.string.strip(), msgid
        assert set(PLACEHOLDER.findall(message.string)) == set(PLACEHOLDER.findall(msgid))
