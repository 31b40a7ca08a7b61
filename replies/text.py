"""Normalising what people type on WhatsApp and SMS before anything reads it.

Lower case, accents and emoji folded away (but kept as tokens when they carry meaning),
repeated letters squeezed ("holaaaa" -> "holaa"), punctuation made into spaces except the
characters dates and amounts need (``/ . , $``).
"""

from __future__ import annotations

import re
import unicodedata

_EMOJI_TOKENS = {
    "🙏": " emo_pray ", "😔": " emo_sad ", "😢": " emo_sad ", "😭": " emo_sad ",
    "😞": " emo_sad ", "😩": " emo_sad ", "🥺": " emo_sad ", "😡": " emo_angry ",
    "🤬": " emo_angry ", "😠": " emo_angry ", "👍": " emo_ok ", "👌": " emo_ok ",
    "✅": " emo_ok ", "🙂": " emo_smile ", "😊": " emo_smile ", "😀": " emo_smile ",
    "❓": " ? ", "❔": " ? ", "🤔": " emo_think ", "💸": " emo_money ", "💰": " emo_money ",
    "💵": " emo_money ", "🧾": " emo_receipt ", "🛑": " stop ", "⛔": " stop ",
}
_REPEATS = re.compile(r"([a-z])\1{2,}")
_NON_TEXT = re.compile(r"[^a-z0-9?/$.,%#@_ ]+")
_SPACES = re.compile(r"\s+")
_LONE_PUNCT = re.compile(r"(?<![0-9])[.,]|[.,](?![0-9])")


def strip_accents(text: str) -> str:
    """'Já paguei, ¿cuánto?' -> 'Ja paguei, ¿cuanto?' (ñ becomes n, ç becomes c)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize(text: str) -> str:
    """The form every rule and the classifier see (see the module docstring)."""
    for emoji, token in _EMOJI_TOKENS.items():
        if emoji in text:
            text = text.replace(emoji, token)
    text = strip_accents(text.lower()).replace("¿", " ").replace("¡", " ")
    text = text.replace("r$", " r$ ").replace("?", " ? ")
    text = _REPEATS.sub(r"\1\1", text)
    text = _NON_TEXT.sub(" ", text)
    text = _LONE_PUNCT.sub(" ", text)
    return _SPACES.sub(" ", text).strip()
