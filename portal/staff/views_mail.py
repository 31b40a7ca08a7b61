"""The demo's "Sent mail" page: the newest messages the local mail sink wrote to its folder."""

from __future__ import annotations

from flask import current_app, render_template

from portal.staff import bp
from portal.staff.access import role_required

LIMIT = 100


def _summary(message) -> dict:
    body = message.get_body(preferencelist=("plain", "html"))
    return {"subject": message.get("Subject", ""), "to": message.get("To", ""),
            "from": message.get("From", ""), "date": message.get("Date", ""),
            "body": body.get_content() if body is not None else ""}


@bp.route("/mail")
@role_required("mail")
def sent_mail():
    from portal.mailsink import read_folder

    folder = current_app.config.get("MAILSINK_FOLDER")
    messages = [_summary(m) for m in read_folder(folder, limit=LIMIT)] if folder else None
    return render_template("staff/mail.html", messages=messages, folder=folder)
