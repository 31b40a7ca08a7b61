"""The console's import list and a run's errors by line."""

from __future__ import annotations

from portal.ledger.importer import import_ledger

HEADER = "customer_id,invoice_id,issue_date,due_date,amount\n"


def test_imports_are_listed_with_counts_and_errors(staff_client, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(HEADER + "A,1,2026-01-01,2026-01-31,10.00\nB,2,2026-01-01,2026-01-31,5\n")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "A,3,2026-01-01,2026-01-31,10.00\nA,4,2026-01-01,2025-01-31,1\n")
    done = import_ledger(str(good))
    rejected = import_ledger(str(bad))
    client, _ = staff_client("analyst")
    page = client.get("/staff/imports").get_data(as_text=True)
    assert "good.csv" in page and "bad.csv" in page
    assert "imported" in page and "rejected" in page
    detail = client.get(f"/staff/imports/{rejected.run_id}").get_data(as_text=True)
    assert "due_date 2025-01-31 is before issue_date 2026-01-01" in detail
    assert "<td class=\"num\">3</td>" in detail  # the line of the error
    detail = client.get(f"/staff/imports/{done.run_id}").get_data(as_text=True)
    assert "Invoices created</dt><dd>2" in detail
    assert client.get("/staff/imports/999999").status_code == 404
