"""Signing in with a link, the identity check, new links, sign-out, unsubscribe, language."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from portal import audit, sessions
from portal.auth import current_debtor, login_debtor
from portal.debtor import bp, identity
from portal.debtor.access import (
    find_by_contact,
    link_requests_exhausted,
    record_visit,
    send_link_soon,
)
from portal.debtor.format import LANGUAGES, locale_for
from portal.debtor.forms import ConfirmForm, IdentityForm, RequestLinkForm, ResendForm
from portal.debtor.messages import identity_prompt
from portal.debtor.preferences import opt_out
from portal.extensions import csrf, db, limiter
from portal.i18n import LOCALE_COOKIE
from portal.links import LinkError, open_token
from portal.security import safe_next


def _token_key() -> str:
    token = (request.view_args or {}).get("token", "")
    return "link:" + hashlib.sha256(token.encode()).hexdigest()[:32]


@bp.get("/")
def index():
    if current_debtor() is not None:
        return redirect(url_for("debtor.account"))
    return redirect(url_for("debtor.request_link"))


def _link_problem(token: str, error: LinkError):
    can_resend = error.debtor_id is not None
    return render_template("debtor/link_problem.html", reason=error.reason, token=token,
                           form=ResendForm(), can_resend=can_resend), 410 if can_resend else 404


@bp.route("/l/<token>", methods=["GET", "POST"])
@limiter.limit("10 per minute;60 per hour", methods=["POST"])
@limiter.limit("5 per 10 minutes", key_func=_token_key, methods=["POST"])
def open_link(token: str):
    try:
        opened = open_token(token, "account")
    except LinkError as error:
        return _link_problem(token, error)
    debtor = opened.debtor
    if request.method == "GET":
        record_visit(opened.link)
        db.session.commit()
        if current_debtor() is not None and current_debtor().id == debtor.id:
            return redirect(_landing())
    if not identity.has_identity(debtor):
        return render_template("debtor/no_identity.html"), 403
    form = IdentityForm()
    if form.validate_on_submit():
        if identity.check_identity(debtor, form.answer.data):
            return _signed_in(opened)
        locked = identity.register_failure(opened.link)
        audit.record("debtor", debtor.id, "identity.failed", opened.link,
                     after={"failures": opened.link.failures, "locked": locked})
        db.session.commit()
        if locked:
            return _link_problem(token, LinkError("locked", debtor.id))
        form.answer.errors.append(_("That does not match what we have on file. Try again."))
    prompt = identity_prompt(identity.kind_for(debtor))
    form.answer.label.text = prompt[0]
    return render_template("debtor/identity.html", form=form, prompt=prompt, token=token,
                           remember_days=current_app.config["REMEMBER_COOKIE_DAYS"])


def _signed_in(opened):
    opened.link.used_at = datetime.now(UTC)
    opened.link.failures = 0
    audit.record("debtor", opened.debtor.id, "debtor.signed_in", opened.link)
    db.session.commit()
    # A fresh session on sign-in, ending whoever was signed in on this browser before:
    # nothing planted before it (a CSRF secret, a staff user's state) survives.
    login_debtor(opened.debtor, remember=True)
    return redirect(_landing())


def _landing() -> str:
    """Where a signed link lands: the account, or the page a reply's answer pointed at
    (``?next=/plans``), if it is one of ours."""
    return safe_next(request.args.get("next"), url_for("debtor.account"))


@bp.post("/l/<token>/new")
@limiter.limit("5 per hour")
@limiter.limit("2 per hour", key_func=_token_key)
def resend_link(token: str):
    form = ResendForm()
    debtor_id = None
    try:
        debtor_id = open_token(token, "account").debtor.id
    except LinkError as error:
        debtor_id = error.debtor_id
    if form.validate_on_submit() and debtor_id is not None:
        from portal.models import Debtor

        debtor = db.session.get(Debtor, debtor_id)
        if debtor is not None and not link_requests_exhausted(debtor):
            send_link_soon(debtor, "expired_link")
    return render_template("debtor/link_sent.html")


@bp.route("/link", methods=["GET", "POST"])
@limiter.limit("5 per 10 minutes;20 per day", methods=["POST"])
def request_link():
    form = RequestLinkForm()
    if form.validate_on_submit():
        debtor, matched = find_by_contact(form.contact.data)
        if debtor is not None and not link_requests_exhausted(debtor):
            send_link_soon(debtor, f"requested_by_{matched}")
        return render_template("debtor/link_sent.html")
    return render_template("debtor/request_link.html", form=form)


@bp.post("/signout")
def sign_out():
    return _sign_out(everywhere=False)


@bp.post("/signout/everywhere")
def sign_out_everywhere():
    return _sign_out(everywhere=True)


def _sign_out(everywhere: bool):
    """End this browser's session (or every session and remembered device of the debtor)."""
    form = ConfirmForm()
    debtor = current_debtor()
    if form.validate_on_submit() and debtor is not None:
        action = "debtor.signed_out_everywhere" if everywhere else "debtor.signed_out"
        audit.record("debtor", debtor.id, action, debtor)
        sessions.sign_out(everywhere=everywhere)
    flash(_("You have signed out on every device.") if everywhere else _("You have signed out."))
    return redirect(url_for("debtor.request_link"))


@bp.route("/u/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click POSTs come from mail providers without a session
@limiter.limit("20 per minute", methods=["POST"])
def unsubscribe(token: str):
    try:
        opened = open_token(token, "unsubscribe")
    except LinkError as error:
        return render_template("debtor/unsubscribe_problem.html", reason=error.reason), 404
    debtor = opened.debtor
    if request.method == "GET":
        return render_template("debtor/unsubscribe.html", debtor=debtor, token=token,
                               form=ConfirmForm())
    one_click = request.form.get("List-Unsubscribe") == "One-Click"
    if opt_out(debtor, source="one_click" if one_click else "unsubscribe_link",
               detail={"message_id": opened.link.message_id, "one_click": one_click}):
        db.session.commit()
    return render_template("debtor/unsubscribed.html", debtor=debtor)


@bp.post("/language")
def set_language():
    form = ConfirmForm()
    language = request.form.get("language", "")
    target = safe_next(request.form.get("next"), url_for("debtor.index"))
    if not form.validate_on_submit() or language not in dict(LANGUAGES):
        return redirect(target)
    debtor = current_debtor()
    if debtor is not None:
        before = debtor.locale
        debtor.locale = locale_for(language, debtor.country)
        audit.record("debtor", debtor.id, "preferences.language", debtor,
                     before={"locale": before}, after={"locale": debtor.locale})
        db.session.commit()
    response = redirect(target)
    response.set_cookie(LOCALE_COOKIE, language, max_age=365 * 86400, samesite="Lax",
                        httponly=True, secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
