"""The console's integration pages (administrators): API keys (shown once at creation),
webhook endpoints, and the webhook delivery log with response codes and resend."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from portal.api.keys import ApiKeyError, create_key, list_keys, revoke_key
from portal.audit import record
from portal.auth import current_staff
from portal.extensions import db
from portal.models import ApiKey, Message, WebhookAttempt, WebhookEndpoint, WebhookEvent
from portal.models.integration import API_SCOPES
from portal.staff import bp
from portal.staff.access import role_required
from portal.webhooks import EVENTS
from portal.webhooks.delivery import resend
from portal.webhooks.endpoints import EndpointError, create_endpoint, set_active


@bp.route("/api-keys", methods=["GET", "POST"])
@role_required("integrations")
def api_keys():
    error, new_key = None, None
    if request.method == "POST":
        try:
            row, new_key = create_key(request.form.get("name", ""),
                                      request.form.getlist("scopes"),
                                      staff_id=current_staff().id)
        except ApiKeyError:
            db.session.rollback()
            error = _("Give the key a name and at least one scope.")
        else:
            db.session.commit()
            flash(_("Created API key %(prefix)s. Copy it now: it is not shown again.",
                    prefix=row.prefix), "success")
    return render_template("staff/api_keys.html", keys=list_keys(), scopes=API_SCOPES,
                           new_key=new_key, error=error), 400 if error else 200


@bp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
@role_required("integrations")
def api_key_revoke(key_id: int):
    row = db.session.get(ApiKey, key_id) or abort(404)
    if revoke_key(row, staff_id=current_staff().id):
        db.session.commit()
        flash(_("Revoked API key %(prefix)s.", prefix=row.prefix), "success")
    return redirect(url_for("staff.api_keys"))


@bp.route("/webhooks", methods=["GET", "POST"])
@role_required("integrations")
def webhooks():
    error, form = None, request.form
    if request.method == "POST":
        try:
            endpoint = create_endpoint(form.get("url", ""), form.getlist("events"),
                                       description=form.get("description"),
                                       staff_id=current_staff().id)
        except EndpointError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            flash(_("Registered %(url)s.", url=endpoint.url), "success")
            return redirect(url_for("staff.webhooks"))
    endpoints = db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()
    return render_template("staff/webhooks.html", endpoints=endpoints, events=EVENTS,
                           error=error, form=form), 400 if error else 200


@bp.route("/webhooks/<int:endpoint_id>", methods=["POST"])
@role_required("integrations")
def webhook_update(endpoint_id: int):
    endpoint = db.session.get(WebhookEndpoint, endpoint_id) or abort(404)
    action = request.form.get("action")
    if action not in ("enable", "disable"):
        abort(400)
    set_active(endpoint, action == "enable", staff_id=current_staff().id)
    db.session.commit()
    return redirect(url_for("staff.webhooks"))


# The log's filter names (a delivered webhook is an outbox row with status `sent`).
DELIVERY_STATUSES = {"pending": "pending", "sending": "sending", "delivered": "sent",
                     "failed": "failed", "cancelled": "cancelled"}


@bp.route("/webhooks/deliveries")
@role_required("integrations")
def webhook_deliveries():
    """The outbox's webhook messages, newest events first, with every attempt's response."""
    query = (select(Message, WebhookEvent, WebhookEndpoint)
             .join(WebhookEvent, WebhookEvent.id == Message.webhook_event_id)
             .join(WebhookEndpoint, WebhookEndpoint.id == Message.webhook_endpoint_id)
             .where(Message.kind == "webhook")
             .order_by(Message.webhook_event_id.desc(), Message.id.desc()).limit(200))
    status = request.args.get("status")
    if status in DELIVERY_STATUSES:
        query = query.where(Message.status == DELIVERY_STATUSES[status])
    rows = db.session.execute(query).all()
    attempts: dict[int, list] = {}
    for attempt in db.session.scalars(select(WebhookAttempt).where(
            WebhookAttempt.message_id.in_([row[0].id for row in rows]))
            .order_by(WebhookAttempt.id)):
        attempts.setdefault(attempt.message_id, []).append(attempt)
    return render_template("staff/webhook_deliveries.html", rows=rows, attempts=attempts,
                           status=status)


@bp.route("/webhooks/deliveries/<int:delivery_id>/resend", methods=["POST"])
@role_required("integrations")
def webhook_resend(delivery_id: int):
    delivery = db.session.get(Message, delivery_id)
    if delivery is None or delivery.kind != "webhook":
        abort(404)
    if resend(delivery):
        record("staff", current_staff().id, "webhook_delivery.resent", delivery,
               after={"event_id": delivery.webhook_event_id,
                      "endpoint_id": delivery.webhook_endpoint_id})
        db.session.commit()
        flash(_("Delivery %(id)s will be sent again within a minute.", id=delivery.id),
              "success")
    else:
        flash(_("Delivery %(id)s is already waiting to be sent.", id=delivery.id), "error")
    return redirect(url_for("staff.webhook_deliveries"))
