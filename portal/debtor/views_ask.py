""""Ask us": the debtor's 24/7 assistant on the account page.

A plain form that works without JavaScript (POST, then the page shows the answer); with
``static/js/ask.js`` the same POST is sent with ``Accept: application/json`` and the answer
is added to the conversation on the page. Each question goes through ``ingest_reply`` on the
``portal`` channel, so it lands in the debtor's conversation in the staff inbox and the same
understanding and actions run as for an SMS or an email; when the assistant is not sure, it
says so and the question waits for a person in the inbox.
"""

from __future__ import annotations

from flask import jsonify, render_template, request
from sqlalchemy import select

from portal.auth import debtor_required
from portal.debtor import bp
from portal.debtor.forms import AskForm
from portal.debtor.util import me
from portal.extensions import db, limiter
from portal.models import ReplyUnderstanding


def _debtor_key() -> str:
    debtor = me()
    return f"ask:{debtor.id}"


@bp.route("/ask", methods=["GET", "POST"])
@debtor_required
@limiter.limit("20 per hour;5 per minute", key_func=_debtor_key, methods=["POST"])
def ask():
    from replies.ingest import ingest_reply

    debtor = me()
    form = AskForm()
    answer = None
    wants_json = request.accept_mimetypes.best == "application/json"
    if form.validate_on_submit():
        inbound = ingest_reply("portal", f"debtor:{debtor.id}", form.question.data.strip(),
                               debtor_id=debtor.id)
        row = db.session.scalar(select(ReplyUnderstanding).where(
            ReplyUnderstanding.inbound_message_id == inbound.id))
        answer = _answer(row)
        if wants_json:
            return jsonify(answer)
        form.question.data = ""
    elif wants_json and request.method == "POST":
        return jsonify({"error": " ".join(e for errs in form.errors.values() for e in errs)}), 400
    return render_template("debtor/ask.html", form=form, answer=answer, debtor=debtor)


def _answer(row: ReplyUnderstanding | None) -> dict:
    from flask_babel import gettext as _

    if row is None or not row.answer:
        return {"question_handled": False, "person": True,
                "text": _("Thank you. A person from our team will answer you here and by "
                          "message soon.")}
    return {"question_handled": row.action not in ("needs_person", "asked_for_date"),
            "person": row.action in ("needs_person", "verify_payment", "asked_for_date"),
            "text": row.answer, "intent": row.intent}
