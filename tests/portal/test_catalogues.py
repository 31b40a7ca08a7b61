"""Every catalogue (portal, payments, alerts, risk) is complete in es and pt_BR: no entry
missing, empty or fuzzy, and no translation uses a placeholder its source does not fill
(that would raise KeyError at render time)."""

from __future__ import annotations

import re

import pytest
from babel.messages.pofile import read_po

from portal.i18n import po_files

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
REQUIRED = ("es", "pt_BR")


def _catalogue(path):
    with path.open("rb") as fh:
        return read_po(fh, locale=path.parent.parent.name)


def _required_files():
    return [p for p in po_files() if p.parent.parent.name in REQUIRED]


def test_portal_catalogues_exist():
    names = {(p.parents[3].name, p.parent.parent.name) for p in po_files()}
    assert {("portal", "es"), ("portal", "pt_BR")} <= names


@pytest.mark.parametrize("path", _required_files(), ids=lambda p: f"{p.parents[3].name}-"
                         f"{p.parent.parent.name}")
def test_no_missing_or_fuzzy_entries(path):
    problems = []
    for message in _catalogue(path):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if message.fuzzy:
            problems.append(f"fuzzy: {ids[0]!r}")
        if not all(s and s.strip() for s in strings):
            problems.append(f"missing: {ids[0]!r}")
        wanted = set(PLACEHOLDER.findall(ids[-1]))
        for text in strings:
            unknown = set(PLACEHOLDER.findall(text or "")) - wanted - {"num"}
            if unknown:
                problems.append(f"unknown placeholders {sorted(unknown)}: {ids[0]!r}")
    assert not problems, f"{path}: " + "; ".join(problems)


def test_both_languages_cover_the_same_messages():
    by_package: dict[str, dict[str, set]] = {}
    for path in _required_files():
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(path) if m.id}
        by_package.setdefault(path.parents[3].name, {})[path.parent.parent.name] = ids
    for package, locales in by_package.items():
        if len(locales) == 2:
            assert locales["es"] == locales["pt_BR"], package


def test_every_catalogue_of_a_language_declares_the_same_plural_forms():
    """Flask-Babel merges the catalogues but keeps the plural rule of the last one merged: a
    catalogue without a Plural-Forms header gets CLDR's (three forms for es in Babel 2.19),
    and every plural of the other catalogues falls back to English."""
    rules: dict[str, set] = {}
    for path in po_files():
        catalogue = _catalogue(path)
        rules.setdefault(path.parent.parent.name, set()).add(
            (catalogue.num_plurals, catalogue.plural_expr))
    assert all(len(found) == 1 for found in rules.values()), rules
