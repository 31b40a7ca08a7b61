"""One reply in, one Understanding out: intent, promised date, amount, language, confidence.

``understand_many(texts, today, model)`` is the whole pipeline, batched (the classifier is
vectorised, so a thousand replies cost little more than one):

1. normalise (``replies.text``);
2. language: the model's detector among the allowed languages (the debtor's, when known);
3. dates and amounts, in that language, relative to ``today`` (the day the reply was received
   in the debtor's time zone: ``replies.dates.local_today``);
4. rules first: a stop request is ``stop`` whatever the model thinks;
5. otherwise the calibrated classifier; "I have no money until the 15th" (hardship with a
   date still to come) is a promise for that date. ``promised_on`` is only given for promises.

The caller decides what confidence is enough (``CONFIDENT``): below it a person answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from replies import LANGUAGES
from replies.amounts import extract_amount, format_amount
from replies.dates import resolve_date
from replies.model import model_input
from replies.rules import asks_to_be_contacted, no_money_until, stop_rule
from replies.text import normalize

CONFIDENT = 0.6
RULE_CONFIDENCE = 0.99


@dataclass(frozen=True)
class Understanding:
    intent: str
    confidence: float
    language: str
    promised_on: date | None = None
    amount: Decimal | None = None
    by_rule: bool = False
    text: str = ""  # the reply as received (not part of the CLI contract)

    @property
    def confident(self) -> bool:
        return self.confidence >= CONFIDENT

    def as_json(self) -> dict:
        """The CLI contract's object."""
        return {"intent": self.intent,
                "promised_on": self.promised_on.isoformat() if self.promised_on else None,
                "amount": format_amount(self.amount), "language": self.language,
                "confidence": round(float(self.confidence), 4)}


def understand(text: str, today: date, model, languages=LANGUAGES) -> Understanding:
    return understand_many([text], today, model, languages)[0]


def understand_many(texts, today, model, languages=LANGUAGES) -> list[Understanding]:
    """Understand each text; ``today`` is one date or one per text."""
    texts = list(texts)
    days = list(today) if isinstance(today, list | tuple) else [today] * len(texts)
    normalised = [normalize(t or "") for t in texts]
    allowed = tuple(code for code in LANGUAGES if code in languages) or LANGUAGES
    if len(allowed) == 1:
        spoken = [allowed[0]] * len(texts)
    else:
        spoken = [str(max(p, key=p.get)) for p in model.language_proba(normalised, allowed)]
    named = [(resolve_date(n, lang, day), extract_amount(n, lang))
             for n, lang, day in zip(normalised, spoken, days, strict=True)]
    inputs = [model_input(n, d, day, a is not None)
              for n, (d, a), day in zip(normalised, named, days, strict=True)]
    proba = model.predict_proba(inputs)
    classes = list(model.classes_)
    results = []
    for text, n, lang, day, (when, amount), row in zip(texts, normalised, spoken, days, named,
                                                       proba, strict=True):
        if stop_rule(text or ""):
            results.append(Understanding("stop", RULE_CONFIDENCE, lang, None, amount, True,
                                         text or ""))
            continue
        best = int(row.argmax())
        intent, confidence = str(classes[best]), float(row[best])
        if when is not None and when >= day and no_money_until(n) \
                and intent in ("hardship", "promise", "other"):
            intent, confidence = "promise", max(RULE_CONFIDENCE - 0.09, confidence)
        elif intent == "hardship" and when is not None and when >= day:
            intent = "promise"
            confidence = confidence + float(row[classes.index("promise")])
        if intent == "promise" and asks_to_be_contacted(n):
            confidence = min(confidence, CONFIDENT - 0.1)  # a call, not a payment: a person
        results.append(Understanding(intent, confidence, lang,
                                     when if intent == "promise" else None, amount,
                                     text=text or ""))
    return results
