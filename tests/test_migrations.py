"""The migrations build the schema the models describe, and can go down and up again."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.extensions import db
from tests.conftest import PG_ADMIN_URL, _config_dict, postgres_reachable


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path, monkeypatch):
    monkeypatch.setenv("SALDO_INSTANCE_PATH", str(tmp_path))
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    if not postgres_reachable():
        pytest.skip("PostgreSQL not reachable")
    name = f"saldo_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def schema_drift(app) -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": False}
        )
        return compare_metadata(context, db.metadata)


def test_upgrade_downgrade_upgrade_without_drift(fresh_url):
    app = create_app({**_config_dict(), "SQLALCHEMY_DATABASE_URI": fresh_url})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"debtor", "invoice", "payment", "payment_allocation", "message",
                "risk_score", "alert_policy", "audit_event", "stripe_event"} <= tables
        assert schema_drift(app) == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert schema_drift(app) == []
        indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("invoice")}
        assert {"ix_invoice_status_due_on", "ix_invoice_debtor_status"} <= indexes
        db.engine.dispose()
