"""The default reminder copy: tone × locale, with an email version and a short one.

Reviewed for an empathetic, respectful voice: no threats, no shaming, an easy way to pay,
ask for time or stop the messages. SMS, WhatsApp and web push use the short version (push
shows the subject as its title). Staff overrides live in MessageTemplate rows.
Placeholders: name, amount, due_date, invoice, when, link, unsubscribe, company.
"""

from __future__ import annotations

PLACEHOLDERS = frozenset(
    {"name", "amount", "due_date", "invoice", "when", "link", "unsubscribe", "company"}
)
LOCALES = ("es", "pt_BR", "en")

_ES = {
    "gentle": {
        "subject": "Un recordatorio amable sobre tu factura {{ invoice }}",
        "email": (
            "Hola, {{ name }}:\n\n"
            "Te escribimos solo para recordarte que tu factura {{ invoice }} por {{ amount }} "
            "{{ when }}. Si ya la pagaste, ¡gracias! No tienes que hacer nada más.\n\n"
            "Puedes ver el detalle, pagar o elegir un plan de pagos aquí: {{ link }}\n\n"
            "Si necesitas más tiempo, desde el mismo enlace puedes proponernos una fecha.\n\n"
            "Un saludo,\n{{ company }}"
        ),
        "short": "{{ company }}: Hola, {{ name }}. Tu factura {{ invoice }} por {{ amount }} "
                 "{{ when }}. Detalle y pago: {{ link }} No recibir más: {{ unsubscribe }}",
    },
    "neutral": {
        "subject": "Recordatorio de pago: factura {{ invoice }}",
        "email": (
            "Hola, {{ name }}:\n\n"
            "Te recordamos que tu factura {{ invoice }} por {{ amount }} {{ when }}.\n\n"
            "Consulta el detalle y paga en línea aquí: {{ link }}\n\n"
            "Si no puedes pagar el total, en el mismo enlace puedes elegir un plan de pagos "
            "o comprometerte con una fecha.\n\n"
            "Atentamente,\n{{ company }}"
        ),
        "short": "{{ company }}: {{ name }}, tu factura {{ invoice }} por {{ amount }} "
                 "{{ when }}. Paga aquí: {{ link }} No recibir más: {{ unsubscribe }}",
    },
    "firm": {
        "subject": "Importante: tu factura {{ invoice }} requiere atención",
        "email": (
            "Hola, {{ name }}:\n\n"
            "Tu factura {{ invoice }} por {{ amount }} {{ when }} y aún figura como pendiente. "
            "Te pedimos ponerte al día lo antes posible.\n\n"
            "Paga en línea, elige un plan de pagos o indícanos una fecha aquí: {{ link }}\n\n"
            "Si crees que hay un error en esta factura, puedes reportarlo desde el mismo "
            "enlace y la revisaremos.\n\n"
            "Atentamente,\n{{ company }}"
        ),
        "short": "{{ company }}: {{ name }}, tu factura {{ invoice }} por {{ amount }} "
                 "{{ when }} y sigue pendiente. Ponte al día aquí: {{ link }} "
                 "No recibir más: {{ unsubscribe }}",
    },
}

_PT = {
    "gentle": {
        "subject": "Um lembrete amigável sobre a sua fatura {{ invoice }}",
        "email": (
            "Olá, {{ name }}!\n\n"
            "Passando só para lembrar que a sua fatura {{ invoice }} de {{ amount }} "
            "{{ when }}. Se você já pagou, obrigado! Não precisa fazer mais nada.\n\n"
            "Veja os detalhes, pague ou escolha um parcelamento aqui: {{ link }}\n\n"
            "Se precisar de mais prazo, pelo mesmo link você pode nos propor uma data.\n\n"
            "Um abraço,\n{{ company }}"
        ),
        "short": "{{ company }}: Olá, {{ name }}. A sua fatura {{ invoice }} de {{ amount }} "
                 "{{ when }}. Detalhes e pagamento: {{ link }} Não receber mais: "
                 "{{ unsubscribe }}",
    },
    "neutral": {
        "subject": "Lembrete de pagamento: fatura {{ invoice }}",
        "email": (
            "Olá, {{ name }}.\n\n"
            "Lembramos que a sua fatura {{ invoice }} de {{ amount }} {{ when }}.\n\n"
            "Consulte os detalhes e pague on-line aqui: {{ link }}\n\n"
            "Se não puder pagar o valor total, pelo mesmo link você pode escolher um "
            "parcelamento ou se comprometer com uma data.\n\n"
            "Atenciosamente,\n{{ company }}"
        ),
        "short": "{{ company }}: {{ name }}, a sua fatura {{ invoice }} de {{ amount }} "
                 "{{ when }}. Pague aqui: {{ link }} Não receber mais: {{ unsubscribe }}",
    },
    "firm": {
        "subject": "Importante: a sua fatura {{ invoice }} precisa de atenção",
        "email": (
            "Olá, {{ name }}.\n\n"
            "A sua fatura {{ invoice }} de {{ amount }} {{ when }} e ainda consta como "
            "pendente. Pedimos que regularize a situação o quanto antes.\n\n"
            "Pague on-line, escolha um parcelamento ou informe uma data aqui: {{ link }}\n\n"
            "Se você acredita que há um erro nesta fatura, pode contestá-la pelo mesmo link "
            "e nós vamos analisá-la.\n\n"
            "Atenciosamente,\n{{ company }}"
        ),
        "short": "{{ company }}: {{ name }}, a sua fatura {{ invoice }} de {{ amount }} "
                 "{{ when }} e segue pendente. Regularize aqui: {{ link }} "
                 "Não receber mais: {{ unsubscribe }}",
    },
}

_EN = {
    "gentle": {
        "subject": "A friendly reminder about invoice {{ invoice }}",
        "email": (
            "Hello {{ name }},\n\n"
            "Just a quick reminder that your invoice {{ invoice }} for {{ amount }} "
            "{{ when }}. If you have already paid, thank you! There is nothing else to do.\n\n"
            "You can see the details, pay or choose a payment plan here: {{ link }}\n\n"
            "If you need more time, you can suggest a date from the same link.\n\n"
            "Kind regards,\n{{ company }}"
        ),
        "short": "{{ company }}: Hi {{ name }}, your invoice {{ invoice }} for {{ amount }} "
                 "{{ when }}. Details and payment: {{ link }} Stop messages: {{ unsubscribe }}",
    },
    "neutral": {
        "subject": "Payment reminder: invoice {{ invoice }}",
        "email": (
            "Hello {{ name }},\n\n"
            "This is a reminder that your invoice {{ invoice }} for {{ amount }} {{ when }}."
            "\n\nSee the details and pay online here: {{ link }}\n\n"
            "If you cannot pay it all at once, the same link lets you choose a payment plan "
            "or commit to a date.\n\n"
            "Regards,\n{{ company }}"
        ),
        "short": "{{ company }}: {{ name }}, your invoice {{ invoice }} for {{ amount }} "
                 "{{ when }}. Pay here: {{ link }} Stop messages: {{ unsubscribe }}",
    },
    "firm": {
        "subject": "Important: invoice {{ invoice }} needs your attention",
        "email": (
            "Hello {{ name }},\n\n"
            "Your invoice {{ invoice }} for {{ amount }} {{ when }} and is still unpaid. "
            "Please bring it up to date as soon as you can.\n\n"
            "Pay online, choose a payment plan or tell us a date here: {{ link }}\n\n"
            "If you believe this invoice is wrong, you can dispute it from the same link and "
            "we will review it.\n\n"
            "Regards,\n{{ company }}"
        ),
        "short": "{{ company }}: {{ name }}, your invoice {{ invoice }} for {{ amount }} "
                 "{{ when }} and is still unpaid. Pay here: {{ link }} "
                 "Stop messages: {{ unsubscribe }}",
    },
}

DEFAULT_COPY = {"es": _ES, "pt_BR": _PT, "en": _EN}

# Plan instalment reminders (`{{ invoice }}` is the instalment's number, such as "#2"): the
# debtor already agreed a plan, so these say "instalment", never "invoice", and stay neutral.
INSTALLMENT_COPY = {
    "es": {
        "subject": "Recordatorio: cuota {{ invoice }} de tu plan de pagos",
        "email": (
            "Hola, {{ name }}:\n\n"
            "Te recordamos que la cuota {{ invoice }} de tu plan de pagos, por {{ amount }}, "
            "{{ when }}. Si ya la pagaste, ¡gracias! No tienes que hacer nada más.\n\n"
            "Consulta tu plan y paga aquí: {{ link }}\n\n"
            "Un saludo,\n{{ company }}"
        ),
        "short": "{{ company }}: Hola, {{ name }}. La cuota {{ invoice }} de tu plan de pagos "
                 "por {{ amount }} {{ when }}. Detalle y pago: {{ link }} No recibir más: "
                 "{{ unsubscribe }}",
    },
    "pt_BR": {
        "subject": "Lembrete: parcela {{ invoice }} do seu parcelamento",
        "email": (
            "Olá, {{ name }}!\n\n"
            "Lembramos que a parcela {{ invoice }} do seu parcelamento, de {{ amount }}, "
            "{{ when }}. Se você já pagou, obrigado! Não precisa fazer mais nada.\n\n"
            "Consulte o seu parcelamento e pague aqui: {{ link }}\n\n"
            "Um abraço,\n{{ company }}"
        ),
        "short": "{{ company }}: Olá, {{ name }}. A parcela {{ invoice }} do seu parcelamento, "
                 "de {{ amount }}, {{ when }}. Detalhes e pagamento: {{ link }} Não receber "
                 "mais: {{ unsubscribe }}",
    },
    "en": {
        "subject": "Reminder: instalment {{ invoice }} of your payment plan",
        "email": (
            "Hello {{ name }},\n\n"
            "This is a reminder that instalment {{ invoice }} of your payment plan, for "
            "{{ amount }}, {{ when }}. If you have already paid, thank you! There is nothing "
            "else to do.\n\n"
            "See your plan and pay here: {{ link }}\n\n"
            "Kind regards,\n{{ company }}"
        ),
        "short": "{{ company }}: Hi {{ name }}, instalment {{ invoice }} of your payment plan "
                 "for {{ amount }} {{ when }}. Details and payment: {{ link }} "
                 "Stop messages: {{ unsubscribe }}",
    },
}


def default_copy(tone: str, channel: str, locale: str,
                 kind: str | None = None) -> tuple[str, str]:
    """(subject, body) shipped for this tone, channel and locale (falls back to Spanish);
    plan instalment reminders (`kind` "installment") have their own wording."""
    if kind == "installment":
        texts = INSTALLMENT_COPY.get(locale, INSTALLMENT_COPY["es"])
        body = texts["email"] if channel == "email" else texts["short"]
        return texts["subject"], body
    texts = DEFAULT_COPY.get(locale, _ES).get(tone) or DEFAULT_COPY.get(locale, _ES)["neutral"]
    body = texts["email"] if channel == "email" else texts["short"]
    return texts["subject"], body
