"""Build the shipped corpus: ``python -m replies.corpus.generate`` rewrites ``<lang>.jsonl``.

Each example is one hand-written phrase (``phrases.py``) with its date and amount filled from
``fillers.py``, framed by a greeting, a second sentence or a sign-off, and written the way
people type: abbreviations, missing accents, odd capitals, a typo, emoji. Deterministic (fixed
seed), so the committed files are reproducible. Every fourth phrase of each intent is held
out (``split: heldout``): its examples are never trained on, so the held-out figures measure
replies phrased in ways the model has not seen.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path

from replies.corpus.fillers import (
    ABBREVIATIONS,
    AMOUNTS,
    DATES,
    GREETINGS,
    MONTH_NAMES,
    SIGN_OFFS,
    gold_date,
)
from replies.corpus.phrases import PHRASES
from replies.text import strip_accents

PER_INTENT = {"promise": 200, "already_paid": 84, "hardship": 84, "dispute": 80, "stop": 56,
              "question": 84, "other": 72}
SECOND_SENTENCES = {
    "es": ["recibí el mensaje.", "disculpe la demora.", "vi su mensaje.",
           "perdón por no responder antes.", "les escribo por lo de la factura."],
    "pt": ["recebi a mensagem.", "desculpa a demora.", "vi a msg agora.",
           "sobre a fatura:"],
    "en": ["got your message.", "sorry for the delay.", "just saw this.",
           "about the bill:"],
}
FOLDER = Path(__file__).resolve().parent
SEED = 15


def reference_day(rng: random.Random) -> date:
    """A day in 2026-2028, month ends and February (2028 is a leap year) over-represented."""
    if rng.random() < 0.3:
        year, month = rng.choice((2026, 2027, 2028)), rng.randint(1, 12)
        if rng.random() < 0.3:
            month = 2
        first_next = date(year + month // 12, month % 12 + 1, 1)
        return first_next - timedelta(days=rng.randint(1, 3))
    return date(2026, 1, 1) + timedelta(days=rng.randint(0, 3 * 365))


def fill_date(language: str, rng: random.Random, today: date) -> tuple[str, date | None]:
    phrase, kind, arg = rng.choice(DATES[language])
    if kind in ("md", "md_num"):
        nxt = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        day = rng.randint(1, 28)
        text = phrase.format(d=day, m=nxt.month, month=MONTH_NAMES[language][nxt.month - 1])
        return text, nxt.replace(day=day)
    return phrase, gold_date(kind, arg, today)


def roughen(text: str, language: str, rng: random.Random) -> str:
    """Type it like a phone: abbreviations, accents dropped, a typo, careless capitals."""
    for word, short in ABBREVIATIONS[language].items():
        if rng.random() < 0.35:
            text = _replace_word(text, word, short)
    if rng.random() < 0.2:
        text = _typo(text, rng)
    if rng.random() < 0.15:
        text = text.replace("?", "").replace(".", "")
    elif rng.random() < 0.12:
        text = text + rng.choice(("!!", "...", " !", "??"[: 1 if "?" in text else 0]))
    return text


def _replace_word(text: str, word: str, short: str) -> str:
    out, low, start = [], text.lower(), 0
    while True:
        at = low.find(word, start)
        if at < 0:
            break
        before = low[at - 1] if at else " "
        after = low[at + len(word)] if at + len(word) < len(low) else " "
        if not before.isalpha() and not after.isalpha() and "{" not in text[at:at + len(word)]:
            out.append(text[start:at] + short)
        else:
            out.append(text[start:at + len(word)])
        start = at + len(word)
    return "".join(out) + text[start:]


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    spots = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not spots:
        return text
    i = rng.choice(spots)
    w = words[i]
    k = rng.randint(1, len(w) - 2)
    words[i] = rng.choice((w[:k] + w[k + 1:], w[:k] + w[k + 1] + w[k] + w[k + 2:],
                           w[:k] + w[k] + w[k:]))
    return " ".join(words)


def make_example(language: str, intent: str, index: int, rng: random.Random) -> dict:
    phrase = PHRASES[language][intent][index]
    today = reference_day(rng)
    text = roughen(phrase, language, rng)
    frame = rng.random()
    if intent != "stop" or frame < 0.3:
        if frame < 0.25:
            text = f"{rng.choice(SECOND_SENTENCES[language])} {text}"
        text = f"{rng.choice(GREETINGS[language])}{text}{rng.choice(SIGN_OFFS[language])}"
    promised_on = amount = None
    if "{date}" in text:
        spoken, promised_on = fill_date(language, rng, today)
        text = text.replace("{date}", spoken)
    if "{amount}" in text:
        spoken, amount = rng.choice(AMOUNTS[language])
        text = text.replace("{amount}", spoken)
    if rng.random() < 0.6:
        text = strip_accents(text)
    casing = rng.random()
    text = text.lower() if casing < 0.5 else (text.upper() if casing < 0.55 else
                                               text[:1].upper() + text[1:])
    return {"text": " ".join(text.split()), "intent": intent, "language": language,
            "today": today.isoformat(),
            "promised_on": promised_on.isoformat() if promised_on and intent == "promise"
            else None,
            "amount": amount, "split": "heldout" if index % 4 == 3 else "train",
            "phrase": f"{intent}/{index}"}


def build(language: str) -> list[dict]:
    rng = random.Random(f"{SEED}-{language}")
    examples, seen = [], set()
    for intent, count in PER_INTENT.items():
        phrases = PHRASES[language][intent]
        attempts = 0
        made = 0
        while made < count and attempts < count * 20:
            attempts += 1
            example = make_example(language, intent, made % len(phrases) if attempts <= count
                                   else rng.randrange(len(phrases)), rng)
            key = example["text"].lower()
            if key in seen:
                continue
            seen.add(key)
            examples.append(example)
            made += 1
    for n, example in enumerate(examples, start=1):
        example["id"] = f"{language}-{n:04d}"
    return examples


def main() -> None:
    for language in PHRASES:
        path = FOLDER / f"{language}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for example in build(language):
                handle.write(json.dumps(example, ensure_ascii=False, sort_keys=True) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
