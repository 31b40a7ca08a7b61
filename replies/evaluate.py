"""Held-out measurements of a reply model: macro-F1 per language, exact promise dates.

Pure functions over the shipped corpus; the benchmark and the champion/challenger decision in
``replies.registry`` both use ``evaluate``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sklearn.metrics import f1_score

from replies import INTENTS, LANGUAGES
from replies.amounts import extract_amount
from replies.corpus import load_corpus
from replies.dates import resolve_date
from replies.model import ReplyClassifier, model_input
from replies.text import normalize
from replies.understand import understand_many


def training_inputs(rows) -> tuple[list[str], list[str], list[str]]:
    """(model inputs, intents, languages) for labelled rows (corpus or staff corrections)."""
    texts = []
    for row in rows:
        text, language = normalize(row["text"]), row["language"]
        today = date.fromisoformat(row["today"]) if row.get("today") else date(2026, 1, 1)
        texts.append(model_input(text, resolve_date(text, language, today), today,
                                 extract_amount(text, language) is not None))
    return texts, [r["intent"] for r in rows], [r["language"] for r in rows]


def fit_model(extra_rows=(), random_state: int = 0, **params) -> ReplyClassifier:
    """A classifier fitted on the corpus' training split plus ``extra_rows`` (corrections)."""
    texts, intents, languages = training_inputs(load_corpus("train") + list(extra_rows))
    return ReplyClassifier(random_state=random_state, **params).fit(texts, intents, languages)


def evaluate(model, rows=None) -> dict:
    """Per language and overall: macro-F1, promise-date accuracy, language accuracy, n."""
    rows = load_corpus("heldout") if rows is None else rows
    days = [date.fromisoformat(r["today"]) for r in rows]
    found = understand_many([r["text"] for r in rows], days, model)
    report = {}
    for language in (*LANGUAGES, "all"):
        pairs = [(r, u) for r, u in zip(rows, found, strict=True)
                 if language == "all" or r["language"] == language]
        if not pairs:
            continue
        gold = [r["intent"] for r, _ in pairs]
        got = [u.intent for _, u in pairs]
        dated = [(r, u) for r, u in pairs if r["intent"] == "promise" and r["promised_on"]]
        report[language] = {
            "n": len(pairs),
            "macro_f1": float(f1_score(gold, got, labels=list(INTENTS), average="macro",
                                       zero_division=0)),
            "accuracy": sum(g == p for g, p in zip(gold, got, strict=True)) / len(pairs),
            "promise_date_accuracy": (sum(
                u.promised_on is not None and u.promised_on.isoformat() == r["promised_on"]
                for r, u in dated) / len(dated)) if dated else None,
            "n_dated_promises": len(dated),
            "amount_accuracy": _amount_accuracy(pairs),
            "language_accuracy": sum(r["language"] == u.language for r, u in pairs)
            / len(pairs),
        }
    return report


def _amount_accuracy(pairs) -> float | None:
    with_amount = [(r, u) for r, u in pairs if r["amount"]]
    if not with_amount:
        return None
    return sum(u.amount is not None and u.amount == Decimal(r["amount"])
               for r, u in with_amount) / len(with_amount)
