"""Concept tokens: small multilingual lexicons the classifier reads beside the raw n-grams.

"paguei", "ya consigné", "I sent it" and "fiz o pix" share no n-gram, but all say "a payment
was made". Appending ``c_paid`` when any of them appears lets the linear model learn the idea
once for every way of saying it, which is what carries it to phrasings it never saw. Each
lexicon is a regular expression over normalised text (``replies.text.normalize``).
"""

from __future__ import annotations

import re

LEXICONS = {
    "c_paid": r"pague|paguei|pagamos|pagou|pagaste|paid|sent it|i sent|transferi|deposite|"
              r"consigne|abone|liquide|quitei|quite|debitaron|debitado|debited|realice el pago|"
              r"hice el pago|hice la transferencia|hice el deposito|fiz o pix|fiz o pagamento|"
              r"fiz a transferencia|pix feito|made the payment|mailed|went through|taken care|"
              r"se pago|foi pago|ta pago|esta pago|esta pagado|quedo pagado|ya esta cancelado|"
              r"ya cancele|is paid|its paid|been paid|pago ya|ja foi",
    "c_receipt": r"comprobante|comprovante|recibo|receipt|soporte|ticket|voucher|foto",
    "c_already": r"ya|ja|already|just",
    "c_will": r"voy a|vou|i ll|ill|i will|will|gonna|going to|prometo|promise|comprometo|"
              r"le pago|te pago|les pago|pago el|pago la|pago en|deposito|transfiero|consigno|"
              r"le abono|cancelo|pagarei|vou pagar|faco|hago|mando|send|sin falta|sem falta|"
              r"seguro|for sure|cuente|pode contar|expect|tranquil[oa]|juro",
    "c_money": r"plata|dinero|lana|grana|money|cash|dinheiro|sueldo|salario|salary|quebrado|"
               r"pelado|broke|apretado|apertado|corto|tight|alcanza|afford|gastos|deudas|"
               r"bills|renda|ingresos|income|nada|nothing|nenhuma",
    "c_job": r"trabajo|empleo|chamba|job|work|emprego|trabalho|desempleado|desempregado|"
             r"demitido|laid off|echaron|despidieron|hours|horas|negocio|business",
    "c_health": r"enferm[oa]|hospital\w*|doente|sick|medical|medic[oa]s?|cirugia|surgery|"
                r"murio|died|falleci\w*",
    "c_hard": r"dificil|dura|duro|hard|struggling|dificuldades?|complicad[oa]s?|feia|"
              r"mal momento|emergencia|emergency|situacion|situacao|mas tiempo|mais tempo|"
              r"more time|plazo|prazo|esperarme|paciencia|no puedo|nao posso|nao consigo|"
              r"can ?t|cannot|no tengo|nao tenho|don ?t have|sin|sem|without|no me da|nao da",
    "c_not_mine": r"no es mi[ao]|nao e m(?:inha|eu)|not mine|isn ?t my|no debo|nao devo|"
                  r"don ?t owe|no reconozco|nao reconheco|don ?t recognize|wrong|errad[oa]|"
                  r"equivoca\w*|esta mal|incorrect\w*|not correct|no es la correcta|error|erro|"
                  r"mistake|indebid[oa]|indevid[oa]|fraude|golpe|reclam\w*|contest\w*|"
                  r"disput\w*|impugn\w*|overcharg\w*|de mas|a mais|dos veces|duas vezes|twice|"
                  r"nunca|never|defect\w*|defeito|danad[oa]|broken|no corresponde|nao bate|"
                  r"no estoy de acuerdo|inflad[oa]|no son|no es$",
    "c_service": r"servicio|servico|service|producto|produto|product|internet|item|contrat\w*|"
                 r"firme|assinei|signed|compre|comprei|ordered|bought|pedi",
    "c_messages": r"mensajes?|msj|mensage\w*|msgs?|messages?|texts?|texting|sms|whatsapp|"
                  r"lista|list|numero|number|contact\w*|escrib\w*|llam\w*|molest\w*|encher",
    "c_stop": r"stop|pare|parar|paren|parem|dejen|deja|basta|chega|no mas|no more|"
              r"no quiero|nao quero|don ?t want|remove|quit\w*|elimin\w*|borr\w*|tira|exclui|"
              r"bloque\w*|baja|unsub\w*|opt out|descadastr\w*|leave me",
    "c_wh": r"cuanto|cuanta|quanto|quanta|how|cual|qual|what|whats|donde|onde|where|cuando|"
            r"quando|when|como|puedo|posso|can i|tienen|aceptan|aceita|do you|se puede|"
            r"da pra|tem como|is there|me (?:pueden|puede|pasan|mandan|manda|passa|explican)",
    "c_account": r"saldo|balance|debo|devo|owe|total|valor|amount|falta|pendiente|left|"
                 r"cuotas?|parcelas?|installments?|planes|plan|parcelar|parcelamento|link|"
                 r"enlace|boleto|segunda via|pix|chave|cuenta|conta|vence|vencimiento|"
                 r"vencimento|due|fecha limite|descuento|desconto|discount|tarjeta|cartao|"
                 r"card|paypal|nequi|oxxo|efectivo|bill|factura|fatura|minimum|minimo",
    "c_ack": r"ok|okay|gracias|obrigad[oa]|brigad[oa]|obg|thanks|thx|listo|recibido|"
             r"received|got it|entendido|entendi|bueno|vale|sim|si|sure|alright|blz|beleza|"
             r"valeu|certo|ta bom|esta bien|k|cool|bendig\w*|abencoe|bless",
    "c_who": r"quien|quem|who|empresa|company|asesor|atendente|person[a]?|humano|human|"
             r"robot|agent\w*|que es esto|what is this",
    "c_busy": r"manejando|driving|ocupad[oa]|busy|luego|later|depois|despues|llamenme|"
              r"me liga|call me|revisar|verificar|ver|check|aviso|respondo",
}
_COMPILED = [(name, re.compile(rf"\b(?:{pattern})\b")) for name, pattern in LEXICONS.items()]


def concept_tokens(normalised: str) -> str:
    """The concept tokens present in ``normalised``, space-separated ('' when none)."""
    text = normalised.replace("'", " ")
    return " ".join(name for name, pattern in _COMPILED if pattern.search(text))
