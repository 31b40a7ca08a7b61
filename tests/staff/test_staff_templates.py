"""The templates editor: preview for a sample debtor, validation, save, reset, audit."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEvent
from portal.models.alerts import MessageTemplate
from tests.staff.conftest import csrf_token

URL = "/staff/templates/gentle/email/es"


def post(client, data: dict, **kwargs):
    token = csrf_token(client, URL)
    return client.post(URL, data={**data, "csrf_token": token}, **kwargs)


def test_grid_and_shipped_copy_preview(staff_client):
    client, _ = staff_client("analyst")
    grid = client.get("/staff/templates").get_data(as_text=True)
    assert grid.count("/staff/templates/") >= 3 * 4 * 3
    page = client.get(URL).get_data(as_text=True)
    assert "In use: shipped copy" in page
    assert "María" in page  # the sample debtor's first name filled in


def test_live_preview_renders_the_draft(staff_client):
    client, _ = staff_client("analyst")
    response = post(client, {"subject": "Factura {{ invoice }}",
                             "body": "Hola {{ name }}, debes {{ amount }}.",
                             "action": "preview"}, headers={"X-Requested-With": "fetch"})
    fragment = response.get_data(as_text=True)
    assert "Factura F-2026-0042" in fragment
    assert "Hola María, debes" in fragment
    assert "<html" not in fragment  # a fragment for the page, not a whole page
    assert db.session.scalar(select(MessageTemplate)) is None


def test_a_template_with_an_error_cannot_be_saved(staff_client):
    client, _ = staff_client("analyst")
    response = post(client, {"subject": "Hi", "body": "Hola {{ nombre }}", "action": "save"})
    assert response.status_code == 400
    assert "Unknown placeholder" in response.get_data(as_text=True)
    response = post(client, {"subject": "Hi", "body": "Hola {{ name ", "action": "save"})
    assert response.status_code == 400
    assert "template error" in response.get_data(as_text=True)
    assert db.session.scalar(select(MessageTemplate)) is None


def test_save_then_reset_is_audited(staff_client):
    client, staff = staff_client("admin")
    response = post(client, {"subject": "Aviso {{ invoice }}", "body": "Hola {{ name }}",
                             "action": "save"})
    assert response.status_code == 302
    row = db.session.scalar(select(MessageTemplate))
    assert (row.tone, row.channel, row.locale, row.body) == ("gentle", "email", "es",
                                                             "Hola {{ name }}")
    assert row.updated_by_id == staff.id
    assert "In use: custom copy" in client.get(URL).get_data(as_text=True)
    post(client, {"action": "reset"})
    assert db.session.scalar(select(MessageTemplate)) is None
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.action.startswith("template."))).all()
    assert sorted(actions) == ["template.reset", "template.save"]


def test_unknown_keys_are_not_found(staff_client):
    client, _ = staff_client("analyst")
    assert client.get("/staff/templates/angry/email/es").status_code == 404
    assert client.get("/staff/templates/gentle/fax/es").status_code == 404


def test_a_template_that_fails_when_rendered_cannot_be_saved(staff_client):
    # These parse, but the dispatcher could not render them: a missing attribute, an
    # attribute the sandbox blocks, arithmetic errors, and indexing a name that may be empty.
    client, _ = staff_client("analyst")
    for body in ("Hola {{ name.nope }}", "{{ name.__class__ }}", "{{ 1 / 0 }}",
                 "Hola {{ name[0] }}", "{{ 'a' * 10 ** 9 }}", "{{ name * 1000000 }}",
                 "{{ 2 ** 100000 }}"):
        response = post(client, {"subject": "Hi", "body": body, "action": "save"})
        assert response.status_code == 400, body
        assert "cannot be rendered" in response.get_data(as_text=True), body
        fragment = post(client, {"subject": "Hi", "body": body, "action": "preview"},
                        headers={"X-Requested-With": "fetch"})
        assert fragment.status_code == 200
        assert "cannot be rendered" in fragment.get_data(as_text=True), body
    assert db.session.scalar(select(MessageTemplate)) is None
