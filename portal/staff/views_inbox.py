"""The staff inbox: conversations with debtors, read, assigned, answered, done (agents)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.auth import current_staff
from portal.extensions import db, limiter
from portal.models import Conversation, Debtor, ReplySnippet, StaffUser
from portal.staff import bp
from portal.staff.access import role_required
from replies import INTENTS, inbox, labels

LANGUAGE_NAMES = {"es": "Español", "pt_BR": "Português (Brasil)", "en": "English"}


def _language(debtor: Debtor | None) -> str:
    from portal.i18n import ui_language

    return (ui_language(debtor.locale) if debtor else None) or "es"


@bp.route("/inbox")
@role_required("inbox")
def inbox_list():
    view = request.args.get("view", "open")
    if view not in inbox.FILTERS:
        view = "open"
    rows = inbox.conversations(view, current_staff())
    names = dict(db.session.execute(select(StaffUser.id, StaffUser.email)).all())
    return render_template("staff/inbox.html", rows=rows, view=view, staff_names=names)


@bp.route("/inbox/<int:conversation_id>")
@role_required("inbox")
def conversation(conversation_id: int):
    item = db.session.get(Conversation, conversation_id) or abort(404)
    debtor = db.session.get(Debtor, item.debtor_id) if item.debtor_id else None
    items = inbox.thread(item)
    if inbox.mark_read(item):
        db.session.commit()
    language = _language(debtor)
    agents = db.session.scalars(select(StaffUser).where(StaffUser.is_active.is_(True))
                                .order_by(StaffUser.email)).all()
    understood = labels.understood(i.ref.id for i in items if i.direction == "in")
    return render_template("staff/conversation.html", conversation=item, debtor=debtor,
                           items=items, understood=understood, intents=INTENTS,
                           agents=agents, snippets=inbox.snippets(language),
                           language=language, language_name=LANGUAGE_NAMES.get(language,
                                                                                 language),
                           channels=inbox.REPLY_CHANNELS, form=request.args)


@bp.route("/debtors/<int:debtor_id>/conversation")
@role_required("inbox")
def debtor_conversation(debtor_id: int):
    """The debtor's conversation (opened, empty, when they have not written yet)."""
    from replies.ingest import conversation_for

    debtor = db.session.get(Debtor, debtor_id) or abort(404)
    item = conversation_for(debtor.id, None)
    db.session.commit()
    return redirect(url_for("staff.conversation", conversation_id=item.id))


@bp.post("/inbox/<int:conversation_id>/reply")
@role_required("inbox")
@limiter.limit("30 per minute")
def conversation_reply(conversation_id: int):
    item = db.session.get(Conversation, conversation_id) or abort(404)
    _commit_or_say(lambda: inbox.reply(item, current_staff(), request.form.get("text", ""),
                                       request.form.get("channel") or None,
                                       request.form.get("subject")),
                   inbox.InboxError, _("Reply queued; it leaves within seconds."))
    return redirect(url_for("staff.conversation", conversation_id=item.id))


def _commit_or_say(action, refused: type[Exception], success: str) -> None:
    """Run a staff action: commit and say `success`, or roll back and say why it was refused."""
    try:
        action()
    except refused as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(success, "success")


@bp.post("/inbox/<int:conversation_id>/assign")
@role_required("inbox")
def conversation_assign(conversation_id: int):
    item = db.session.get(Conversation, conversation_id) or abort(404)
    raw = request.form.get("staff_id", "")
    assignee = None
    if raw == "me":
        assignee = current_staff()
    elif raw.isdigit():
        assignee = db.session.get(StaffUser, int(raw)) or abort(400)
    inbox.assign(item, assignee, current_staff())
    db.session.commit()
    flash(_("Assigned to %(who)s.", who=assignee.email) if assignee else _("Unassigned."),
          "success")
    return redirect(url_for("staff.conversation", conversation_id=item.id))


@bp.post("/inbox/<int:conversation_id>/status")
@role_required("inbox")
def conversation_status(conversation_id: int):
    item = db.session.get(Conversation, conversation_id) or abort(404)
    status = request.form.get("status", "")
    try:
        changed = inbox.set_status(item, status, current_staff())
    except inbox.InboxError:
        abort(400)
    db.session.commit()
    if changed:
        flash(_("Marked done.") if status == "done" else _("Reopened."), "success")
    return redirect(url_for("staff.inbox_list") if status == "done" else
                    url_for("staff.conversation", conversation_id=item.id))


@bp.route("/inbox/snippets", methods=["GET", "POST"])
@role_required("inbox")
def snippets():
    error = None
    if request.method == "POST":
        try:
            inbox.save_snippet(request.form.get("title", ""), request.form.get("locale", ""),
                               request.form.get("body", ""), current_staff())
        except inbox.InboxError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(_("Snippet saved."), "success")
            return redirect(url_for("staff.snippets"))
    return render_template("staff/snippets.html", snippets=inbox.snippets(), error=error,
                           form=request.form, languages=LANGUAGE_NAMES), 400 if error else 200


@bp.post("/inbox/snippets/<int:snippet_id>/delete")
@role_required("inbox")
def snippet_delete(snippet_id: int):
    snippet = db.session.get(ReplySnippet, snippet_id) or abort(404)
    inbox.delete_snippet(snippet, current_staff())
    db.session.commit()
    flash(_("Snippet deleted."), "success")
    return redirect(url_for("staff.snippets"))


@bp.app_context_processor
def _inbox_helpers():
    return {"inbox_unread": inbox.unread_total}


@bp.post("/inbox/<int:conversation_id>/messages/<int:message_id>/label")
@role_required("inbox")
def conversation_label(conversation_id: int, message_id: int):
    """Correct what Saldo understood of one message: a labelled example for training."""
    from portal.models import InboundMessage

    item = db.session.get(Conversation, conversation_id) or abort(404)
    inbound = db.session.get(InboundMessage, message_id)
    if inbound is None or inbound.conversation_id != item.id:
        abort(404)
    _commit_or_say(lambda: labels.correct(inbound, request.form.get("intent", ""),
                                          current_staff()),
                   labels.LabelError,
                   _("Thank you: the next training of the reply model learns from it."))
    return redirect(url_for("staff.conversation", conversation_id=item.id))
