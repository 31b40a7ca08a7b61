""""Ask us": the account page's 24/7 assistant.

The debtor writes a question or says what they will do ("¿cuánto debo?", "puedo pagar el
15"); it is stored in their conversation like any message (`ingest_reply`, channel
"portal"), understood and acted on through the same operations as replies
(`replies.respond.respond`, without sending anything: the answer is shown on the page), and
handed to a person, honestly, when Saldo is not sure. A plain form without JavaScript
(the answer comes back on its own page); `ask.js` shows it in place.
"""

from __future__ import annotations

import re

from flask import jsonify, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from portal.auth import debtor_required
from portal.debtor import bp
from portal.debtor.forms import AskForm
from portal.debtor.util import me
from portal.extensions import db, limiter
from replies import answers
from replies.ingest import IngestError, ingest_reply

# Paths the assistant's answers link to (the portal's own pages only).
_LINK = re.compile(r"(/(?:account|plans|preferences|dispute|invoices/\d+/dispute)"
                   r"(?:\?[\w=&%-]*)?)")


def _label(path: str) -> str:
    if path.startswith("/plans"):
        return _("See the plans")
    if path.startswith("/preferences"):
        return _("Your preferences")
    if path.startswith("/invoices/"):
        return _("Send the receipt")
    if path.startswith("/dispute"):
        return _("Dispute an invoice")
    return _("Pay now")


def linkify(text: str) -> Markup:
    """The answer as HTML: escaped, with the portal paths it names made into links."""
    parts = _LINK.split(text or "")
    html = [escape(part) if i % 2 == 0 else
            Markup('<a href="{}">{}</a>').format(part, _label(part))
            for i, part in enumerate(parts)]
    return Markup("").join(html)


def _answer(debtor, text: str) -> tuple[str, bool]:
    """(the answer to show, handled) for one question; commits."""
    # scikit-learn loads on the first question, not at start
    from replies.respond import respond_or_leave

    sender = debtor.email or debtor.phone or f"debtor:{debtor.id}"
    inbound = ingest_reply("portal", sender, text, debtor_id=debtor.id)
    record = respond_or_leave(inbound, debtor, deliver=False)  # None: it waits for a person
    answer, handled = (record.answer, record.handled) if record else (None, False)
    db.session.commit()
    if not answer:  # nothing Saldo can say with certainty: a person answers, and we say so
        with force_locale(debtor.locale or "es"):
            answer = answers.person_will_answer_here()
    return answer, handled


@bp.route("/ask", methods=["GET", "POST"])
@debtor_required
@limiter.limit("10 per minute;60 per day", methods=["POST"])
def ask():
    debtor = me()
    form = AskForm()
    wants_json = request.accept_mimetypes.best == "application/json"
    if form.validate_on_submit():
        try:
            answer, handled = _answer(debtor, form.question.data)
        except IngestError:
            form.question.errors.append("")
        else:
            if wants_json:
                return jsonify(answer=answer, html=str(linkify(answer)), handled=handled)
            return render_template("debtor/ask.html", form=AskForm(formdata=None),
                                   question=form.question.data, answer=linkify(answer),
                                   handled=handled)
    if wants_json and request.method == "POST":
        return jsonify(error="question"), 422
    return render_template("debtor/ask.html", form=form, question=None, answer=None,
                           handled=None), 422 if form.errors else 200
