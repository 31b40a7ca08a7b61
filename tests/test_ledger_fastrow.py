"""The bulk import's quick path never disagrees with the full row rules."""

import itertools
import random
from datetime import date

from portal.ledger.fastrow import fast_row
from portal.ledger.rows import RowError, parse_row

TODAY = date(2026, 11, 22)
BASE = {"customer_id": "C1", "invoice_id": "I1", "issue_date": "2026-01-03",
        "due_date": "2026-02-02", "amount": "250.00", "currency": "USD", "paid_date": "",
        "paid_amount": "", "customer_name": "Ana", "email": "ana@example.com"}
TRICKY = {
    "customer_id": ["", " C1", "C1 ", "x" * 64, "x" * 65, "C\x001", "C\u00a01", "Ç1"],
    "invoice_id": ["", "I 1", "\tI1", "y" * 65],
    "issue_date": ["", "2026-02-30", "20260103", "2026-W01-1", "2026-1-3", "٢٠٢٦-٠١-٠٣",
                   "2026-01-03\n", "2027-01-03"],
    "due_date": ["2026-01-02", "2026-01-03", "2025-12-31", "x"],
    "amount": ["0", "0.00", "1", "1.5", "1.500", "1.505", "-1", "1e3", "1,000.00", "",
               "99999999999999.99", "9999999999999.99", " 1.00", "١٢"],
    "currency": ["", "usd", "CLP", "KWD", "COP", "XXX", "US", "USDX", "ZZZ", " usd"],
    "paid_date": ["", "2026-01-02", "2026-01-03", "2026-11-22", "2026-11-23", "bad"],
    "paid_amount": ["", "0", "0.00", "250.00", "100.00", "250.01", "10.001", "x"],
    "customer_name": ["", " Ana", "A" * 200, "A" * 201, "Ana\x07"],
    "email": ["", "ANA@Example.COM", "no-at", "a@b", "a b@c.de", " a@b.co"],
}
EXTRA = [{"disputed": "true"}, {"disputed": ""}, {"paperless": "no"}, {"phone": "+57 300"},
         {"locale": "es-CO"}, {"document_last4": "1234"}, {"document_last4": ""},
         {None: ["spill"]}, {"timezone": ""}]


def full(raw):
    try:
        return parse_row(raw, "USD", TODAY)
    except RowError as exc:
        return f"error: {exc}"


def agree(raw):
    quick = fast_row(raw, "USD", TODAY)
    assert quick is None or quick == full(raw), raw
    return quick is not None


def test_single_changes_agree():
    taken = [agree(BASE)]
    for column, values in TRICKY.items():
        for value in values:
            taken.append(agree({**BASE, column: value}))
    for extra in EXTRA:
        taken.append(agree({**BASE, **extra}))
    assert taken[0] and sum(taken) > 20  # the quick path does take the clean rows


def test_random_combinations_agree():
    rng = random.Random(16)
    columns = list(TRICKY)
    for _ in range(3000):
        raw = dict(BASE)
        for column in rng.sample(columns, rng.randint(1, 4)):
            raw[column] = rng.choice(TRICKY[column] + [BASE[column]])
        if rng.random() < 0.2:
            raw.update(rng.choice(EXTRA))
        agree(raw)


def test_missing_optional_columns_agree():
    for size in range(5, len(BASE) + 1):
        for keys in itertools.islice(itertools.combinations(BASE, size), 40):
            agree({k: BASE[k] for k in keys})
