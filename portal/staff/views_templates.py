"""Message templates per tone × channel × locale: override the shipped copy, with a live
preview for a sample debtor; a template with an error cannot be saved."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from alerts.copy import LOCALES, PLACEHOLDERS, default_copy
from alerts.sandbox import RenderBudgetError
from alerts.settings import CHANNELS, TONES
from alerts.templates import preview_template, render_text, validate_template
from portal.audit import record
from portal.auth import current_staff
from portal.extensions import db
from portal.models.alerts import MessageTemplate
from portal.staff import bp
from portal.staff.access import role_required

MAX_SUBJECT, MAX_BODY = 200, 5000


def _override(tone: str, channel: str, locale: str) -> MessageTemplate | None:
    return db.session.scalar(select(MessageTemplate).where(
        MessageTemplate.tone == tone, MessageTemplate.channel == channel,
        MessageTemplate.locale == locale))


def _check_key(tone: str, channel: str, locale: str) -> None:
    if tone not in TONES or channel not in CHANNELS or locale not in LOCALES:
        abort(404)


@bp.route("/templates")
@role_required("templates")
def templates():
    custom = {(t.tone, t.channel, t.locale): t for t in db.session.scalars(
        select(MessageTemplate))}
    return render_template("staff/templates.html", tones=TONES, channels=CHANNELS,
                           locales=LOCALES, custom=custom)


def _problems(subject: str, body: str, tone: str, channel: str, locale: str) -> list[str]:
    problems = validate_template(subject, body)
    if not problems:
        problems = _render_problems(subject, body, tone, channel, locale)
    if len(subject) > MAX_SUBJECT:
        problems.append(_("The subject is too long (at most %(n)d characters).", n=MAX_SUBJECT))
    if len(body) > MAX_BODY:
        problems.append(_("The body is too long (at most %(n)d characters).", n=MAX_BODY))
    return problems


def _render_problems(subject: str, body: str, tone: str, channel: str,
                     locale: str) -> list[str]:
    """Errors that only show when rendering (`{{ name.x }}`, `{{ 1/0 }}`, blocked attributes):
    render for the sample debtor and with every placeholder empty (a debtor without a name),
    so a template the dispatcher could not render is never saved."""
    try:
        preview_template(tone, channel, locale, subject, body)
        render_text(subject, body, {})
    except RenderBudgetError as exc:  # too big or too slow: say which limit, in words
        return [_("The template cannot be rendered: %(error)s", error=exc.describe())]
    except Exception as exc:  # noqa: BLE001 - anything a staff template raises is its error
        return [_("The template cannot be rendered: %(error)s", error=str(exc) or
                  type(exc).__name__)]
    return []


@bp.route("/templates/<tone>/<channel>/<locale>", methods=["GET", "POST"])
@role_required("templates")
def template_edit(tone: str, channel: str, locale: str):
    _check_key(tone, channel, locale)
    row = _override(tone, channel, locale)
    subject, body = (row.subject, row.body) if row else default_copy(tone, channel, locale)
    action = request.form.get("action", "preview")
    if request.method == "POST":
        subject = request.form.get("subject", "").replace("\r\n", "\n")
        body = request.form.get("body", "").replace("\r\n", "\n")
    if request.method == "POST" and action == "reset":
        if row is not None:
            record("staff", current_staff().id, "template.reset", row,
                   before={"subject": row.subject, "body": row.body}, after=None)
            db.session.delete(row)
            db.session.commit()
        flash(_("The shipped copy is in use again."), "success")
        return redirect(url_for("staff.template_edit", tone=tone, channel=channel, locale=locale))
    problems = _problems(subject, body, tone, channel, locale)
    if request.method == "POST" and action == "save" and not problems:
        _save(row, tone, channel, locale, subject, body)
        flash(_("Template saved; the next reminders use it."), "success")
        return redirect(url_for("staff.template_edit", tone=tone, channel=channel, locale=locale))
    preview = preview_template(tone, channel, locale, subject, body) if not problems else None
    if request.headers.get("X-Requested-With") == "fetch":
        return render_template("staff/_template_preview.html", preview=preview,
                               problems=problems, channel=channel)
    status = 400 if problems and request.method == "POST" else 200
    return render_template("staff/template_edit.html", tone=tone, channel=channel,
                           locale=locale, subject=subject, body=body, custom=row is not None,
                           problems=problems, preview=preview,
                           placeholders=sorted(PLACEHOLDERS)), status


def _save(row, tone, channel, locale, subject, body) -> None:
    staff = current_staff()
    before = {"subject": row.subject, "body": row.body} if row else None
    if row is None:
        row = MessageTemplate(tone=tone, channel=channel, locale=locale)
        db.session.add(row)
    row.subject, row.body, row.updated_by_id = subject, body, staff.id
    db.session.flush()
    record("staff", staff.id, "template.save", row, before=before,
           after={"subject": subject, "body": body})
    db.session.commit()
