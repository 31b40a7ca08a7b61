"""Stop words: a reply that says only STOP (BAJA, SAIR, PARAR, CANCELAR, UNSUBSCRIBE, …)
opts the debtor out of that channel at once, by rule, and gets one confirmation.

Only the first line of the fresh text counts (quoted history and signatures below it are
ignored), compared without case, accents or trailing punctuation, so "Stop.", "baja",
"PARAR!" and "Cancelar" match but "please don't stop calling my lawyer" does not.
"""

from __future__ import annotations

import re
import unicodedata

STOP_WORDS = frozenset({
    # English (CTIA / Twilio's standard list)
    "STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT",
    "OPT OUT", "REVOKE",
    # Spanish
    "BAJA", "DAR DE BAJA", "DARME DE BAJA", "PARAR", "CANCELAR", "ALTO", "DETENER",
    "NO MAS", "NO ENVIAR", "DESUSCRIBIR", "DESUSCRIBIRME",
    # Portuguese
    "SAIR", "PARE", "DESCADASTRAR", "REMOVER", "NAO QUERO",
})


def _plain(line: str) -> str:
    decomposed = unicodedata.normalize("NFKD", line)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    letters = re.sub(r"[^\w\s]", " ", letters.upper())
    return " ".join(letters.split())


def first_line(text: str) -> str:
    """The first non-empty line that is not quoted history."""
    for line in (text or "").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(">"):
            return stripped
    return ""


def is_stop(text: str) -> bool:
    """Whether the message asks to stop (by the first line of its fresh text)."""
    return _plain(first_line(text)) in STOP_WORDS
