"""A portal payment and a ledger import on the same open invoice at the same moment: the
payment is never overwritten by the paid amount the import read before it (PostgreSQL; on
SQLite one writer at a time makes the interleaving impossible).

A trigger (firing even while the import switches ordinary triggers off) makes the import's
invoice upsert sleep on its row, so the payment commits while
that statement runs: exactly the window in which `ON CONFLICT DO UPDATE` would write back a
stale `paid_minor`.
"""

import threading
import time
from datetime import date

from sqlalchemy import select

from payments.allocation import allocate
from portal.extensions import db
from portal.ledger.importer import import_ledger
from portal.models import Debtor, Invoice, Payment
from tests.conftest import only_on

HEADER = "customer_id,invoice_id,issue_date,due_date,amount,currency,paid_date,paid_amount\n"
TODAY = date(2026, 11, 22)
SLOW_UPSERT = """
CREATE FUNCTION saldo_test_slow_invoice() RETURNS trigger AS $$
BEGIN PERFORM pg_sleep(1.5); RETURN NEW; END $$ LANGUAGE plpgsql;
CREATE TRIGGER saldo_test_slow BEFORE INSERT ON invoice
FOR EACH ROW EXECUTE FUNCTION saldo_test_slow_invoice();
ALTER TABLE invoice ENABLE ALWAYS TRIGGER saldo_test_slow;
"""


def _file(tmp_path, name: str, paid: str):
    path = tmp_path / name
    path.write_text(HEADER + f"C1,RACE-1,2026-10-01,2026-12-31,1000.00,USD,{paid}\n")
    return path


@only_on("postgresql")  # SQLite runs one writer at a time: no such interleaving exists
def test_a_payment_during_an_import_adds_to_what_the_import_wrote(app, tmp_path):
    assert import_ledger(str(_file(tmp_path, "first.csv", ",")), today=TODAY).written
    invoice_id = db.session.scalar(select(Invoice.id).where(Invoice.external_id == "RACE-1"))
    with db.engine.begin() as conn:
        conn.exec_driver_sql(SLOW_UPSERT)
    db.session.remove()
    errors: list = []

    def run_import() -> None:
        with app.app_context():
            try:  # the billing system recorded a 200.00 transfer (a part: no paid date)
                import_ledger(str(_file(tmp_path, "second.csv", ",200.00")),
                              today=TODAY)
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    def pay_by_card() -> None:
        time.sleep(0.5)  # the import's upsert is now sleeping on the invoice's row
        with app.app_context():
            try:
                debtor_id = db.session.scalar(select(Debtor.id).where(
                    Debtor.external_id == "C1"))
                payment = Payment(debtor_id=debtor_id, amount_minor=300_00, currency="USD",
                                  method="card", status="succeeded", refunded_minor=0,
                                  target_invoice_id=invoice_id)
                db.session.add(payment)
                db.session.flush()
                allocate(payment, TODAY)
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run_import), threading.Thread(target=pay_by_card)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER saldo_test_slow ON invoice; "
                                 "DROP FUNCTION saldo_test_slow_invoice();")
    db.session.remove()
    assert errors == []
    invoice = db.session.get(Invoice, invoice_id)
    assert invoice.paid_minor == 200_00 + 300_00  # the transfer and the card payment
