"""i16_webhook_outbox moves existing deliveries (and their attempt log) into the outbox, and
back again on downgrade."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal import create_app
from portal.extensions import db
from tests.conftest import _config_dict
from tests.test_migrations import fresh_url  # noqa: F401 - the fixture, both databases

NOW = "2026-10-01 09:00:00+00:00"


def _rows(sql: str) -> list:
    with db.engine.begin() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_pending_and_delivered_deliveries_move_to_the_outbox(fresh_url):  # noqa: F811
    app = create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": fresh_url})
    with app.app_context():
        upgrade(revision="i14_outbox_replies")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO webhook_endpoint (id, url, events, secret, is_active, created_at) "
                f"VALUES (1, 'https://billing.example/hooks', '[]', 'whsec_x', true, '{NOW}')"))
            for event_id, kind in ((1, "invoice.paid"), (2, "payment.succeeded")):
                conn.execute(text(
                    "INSERT INTO webhook_event (id, type, payload, created_at) "
                    f"VALUES ({event_id}, '{kind}', '{{}}', '{NOW}')"))
            conn.execute(text(
                "INSERT INTO webhook_delivery (id, event_id, endpoint_id, status, attempts, "
                "send_at, last_status_code, last_error, delivered_at, created_at) VALUES "
                f"(7, 1, 1, 'pending', 2, '{NOW}', 503, 'HTTP 503', NULL, '{NOW}'), "
                f"(8, 2, 1, 'delivered', 1, '{NOW}', 200, NULL, '{NOW}', '{NOW}')"))
            conn.execute(text(
                "INSERT INTO webhook_attempt (delivery_id, attempted_at, status_code, error, "
                f"duration_ms) VALUES (7, '{NOW}', 500, 'HTTP 500', 3), "
                f"(7, '{NOW}', 503, 'HTTP 503', 4), (8, '{NOW}', 200, NULL, 5)"))
        upgrade()
        moved = _rows("SELECT id, kind, channel, debtor_id, webhook_event_id, "
                      "webhook_endpoint_id, status, attempts, reason, dedupe_key, provider_id "
                      "FROM message ORDER BY webhook_event_id")
        assert [row[1:] for row in moved] == [
            ("webhook", "webhook", None, 1, 1, "pending", 2, "invoice.paid", "webhook:1:1",
             "HTTP 503"),
            ("webhook", "webhook", None, 2, 1, "sent", 1, "payment.succeeded", "webhook:2:1",
             "HTTP 200")]
        log = _rows("SELECT message_id, status_code FROM webhook_attempt ORDER BY id")
        assert log == [(moved[0][0], 500), (moved[0][0], 503), (moved[1][0], 200)]

        downgrade(revision="i14_outbox_replies")
        back = _rows("SELECT event_id, endpoint_id, status, attempts FROM webhook_delivery "
                     "ORDER BY event_id")
        assert back == [(1, 1, "pending", 2), (2, 1, "delivered", 1)]
        assert _rows("SELECT count(*) FROM message") == [(0,)]
        assert len(_rows("SELECT delivery_id FROM webhook_attempt")) == 3
        db.engine.dispose()
