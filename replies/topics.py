"""What a question is about: the balance, the due date, how to pay, or payment plans.

An automatic answer is only given when exactly one topic is asked about; anything else (no
topic, several, or a question about something the account cannot answer) goes to a person.
"""

from __future__ import annotations

import re

TOPICS = {
    "balance": r"cuanto (?:le |les |te |yo )?(?:debo|es|tengo|me falta|queda|sale)|"
               r"cual es (?:mi|el) saldo|saldo|quanto (?:eu )?(?:devo|e|falta|fica|ta|esta)|"
               r"qual (?:o|e o)? ?(?:meu )?saldo|"
               r"valor total|total (?:a pagar|da divida)|how much (?:do i owe|is left|is it)|"
               r"balance|amount due|what do i owe|lo que debo|o que devo",
    "due": r"cuando vence|vencimiento|fecha limite|hasta cuando|quando vence|vencimento|"
           r"ate quando|when is (?:it|my \w+) due|due date|when do i have to pay|proximo pago|"
           r"next payment",
    "how_to_pay": r"como (?:puedo )?pag\w*|donde pag\w*|como (?:faco|fa[cz]o) (?:pra|para) pagar|"
                  r"onde pag\w*|how (?:can|do) i pay|where (?:do|can) i pay|link|enlace|"
                  r"numero de cuenta|chave pix|boleto|segunda via|payment link|pay online",
    "plans": r"cuotas|plan(?:es)? de pago|a plazos|en partes|parcel\w*|installments?|"
             r"payment plans?|la mitad|metade|half|split it|dividir",
}
_COMPILED = {name: re.compile(rf"\b(?:{pattern})\b") for name, pattern in TOPICS.items()}


def question_topics(normalised: str) -> set[str]:
    """The topics a normalised question asks about."""
    return {name for name, pattern in _COMPILED.items() if pattern.search(normalised)}


def single_topic(normalised: str) -> str | None:
    """The one topic asked about, or None when there is none or more than one."""
    found = question_topics(normalised)
    return found.pop() if len(found) == 1 else None
