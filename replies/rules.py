"""Rules that run before the classifier: stop words and unmistakable patterns.

A rule answers only when it cannot be wrong in practice: the whole message (or one of its
sentences) is a stop word ("STOP", "BAJA", "SAIR", "PARAR", "CANCELAR", "UNSUBSCRIBE" and
their usual variants, with greetings, "please" and emoji around them), or it asks, in so many
words, to stop receiving messages; or it says there is no money until a day still to come
(a promise for that day). Everything else goes to the classifier.
"""

from __future__ import annotations

import re

from replies.text import normalize

STOP_WORDS = frozenset({
    "stop", "stopall", "stop all", "unsubscribe", "unsub", "cancel", "end", "quit", "opt out",
    "optout", "baja", "dar de baja", "darme de baja", "de baja", "parar", "para", "pare", "paren",
    "cancelar", "alto", "basta", "detener", "sair", "descadastrar", "remover", "remove",
    "remove me", "no mas", "chega",
})
_FILLER = re.compile(
    r"\b(?:hola|oi|ola|hi|hey|hello|yo|ya|please|pls|plz|por favor|porfa|xfa|pf|gracias|"
    r"mil gracias|obrigad[oa]|brigad[oa]|obg|valeu|thanks|thx|ty|cheers|sorry|emo_\w+|ok|"
    r"buen[oa]s(?: dias| tardes| noches)?|buen dia|bom dia|boa tarde|boa noite|good morning|"
    r"senorita|moca|oiga|mire|disculpe|opa|e ai|saludos|bendiciones|abs|tmj|desculpa|"
    r"q pena|quedo atento|dios le pague)\b|[?.,!]")
_SENTENCES = re.compile(r"[.!?;\n]+")
_STOP_PATTERNS = re.compile("|".join((
    r"\bno (?:me|nos) (?:escriba|escriban|manden|mande|envien|contacten|molesten|llamen)\w* mas\b",
    r"\b(?:dejen|deja|deje|dejar) de (?:escribir|mandar|enviar|molestar|llamar)",
    r"\bno (?:quiero|deseo) (?:recibir|que me (?:escriban|manden|envien))\w* mas\b",
    r"\b(?:quitenme|borrenme|eliminenme|sacarme|sacame|quitame) de\b",
    r"\bno (?:me )?(?:mand\w+|envi\w+) mais\b",
    r"\bpar(?:a|e|em) de (?:me )?(?:mandar|enviar|encher|ligar)",
    r"\bnao quero (?:mais )?receber\b", r"\bme (?:tira|tirem|exclui|excluam) d[ae]",
    r"\bstop (?:texting|messaging|sending|contacting|calling)\b",
    r"\b(?:do ?n[o']?t|dont|do not) (?:text|message|contact|call)\w* (?:me|this)",
    r"\b(?:remove|take) me (?:off|from)\b",
    r"\bno (?:me |nos )?(?:vuelvan|vuelva|volver) a (?:escribir|llamar|mandar|enviar)",
    r"\bnao (?:me )?(?:mandem|mande|enviem|envie) mais\b",
)))


_UNTIL = re.compile(r"\b(?:no tengo|no tenemos|nao tenho|don ?t have|dont have|sin|sem|no me pagan|"
                    r"nao recebo|no cobro)\b.*\b(?:hasta|ate|until|till|antes de)\b")


def no_money_until(normalised: str) -> bool:
    """'No tengo plata hasta la quincena', 'não tenho até sexta', 'I don't have it until the
    15th': with a date still to come, a promise for that date (``replies.understand``)."""
    return bool(_UNTIL.search(normalised.replace("'", " ")))


def stop_rule(text: str) -> bool:
    """True when the message (as typed) asks to stop messages on this channel: one of its
    sentences is a stop word (greetings and thanks aside), or it says so in so many words."""
    for sentence in _SENTENCES.split(text):
        bare = " ".join(_FILLER.sub(" ", normalize(sentence)).split())
        if bare in STOP_WORDS:
            return True
    return bool(_STOP_PATTERNS.search(normalize(text)))


_CONTACT_ME = re.compile(r"\b(?:llam\w*|call(?:ing)?|liga\w*|ligu\w*|contact\w*|"
                         r"comuni\w*|whatsapp|numero|number|correo|e ?mail)\b")
_PAY_WORD = re.compile(r"\b(?:pag\w*|pay\w*|abon\w*|deposit\w*|consign\w*|transf\w*|cancel[oa]|"
                       r"quit\w*|pix|cubro|liquid\w*|doy|dou|cumplo|mil|reais|pesos|\d+)\b")


def asks_to_be_contacted(normalised: str) -> bool:
    """'¿Me pueden llamar mañana?', 'call me Friday': a day is named, but for a call, not a
    payment. Such a message is never read as a confident promise (a person answers)."""
    text = normalised.replace("'", " ")
    return bool(_CONTACT_ME.search(text)) and not _PAY_WORD.search(
        re.sub(r"\b(?:el|dia|day|the)\s+\d+\b", "", text))
