"""The scheduler's folder import: each dropped file once, moved away with a report."""

import json
import threading

from sqlalchemy import func, select

from portal.ledger.folder import import_dropped_files
from portal.models import ImportRun, Invoice

HEADER = "customer_id,invoice_id,issue_date,due_date,amount\n"
GOOD = HEADER + "A,1,2026-01-01,2026-01-31,10.00\nB,2,2026-01-01,2026-01-31,5.00\n"


def setup_folder(app, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    app.config.update(IMPORT_DIR=str(folder), IMPORT_SETTLE_SECONDS=0)
    return folder


def test_each_file_is_imported_once_and_filed_with_a_report(app, db, tmp_path):
    folder = setup_folder(app, tmp_path)
    (folder / "a.csv").write_text(GOOD)
    (folder / "b.csv").write_text(HEADER + "C,3,2026-01-01,2025-01-31,1.00\n")
    (folder / "c.csv.part").write_text(GOOD)  # still being copied
    handled = import_dropped_files()
    assert [(h["file"], h["outcome"]) for h in handled] == [("a.csv", "imported"),
                                                           ("b.csv", "rejected")]
    assert (folder / "processed" / "a.csv").exists() and (folder / "failed" / "b.csv").exists()
    report = json.loads((folder / "failed" / "b.csv.report.json").read_text())
    assert report["errors"] == [{"line": 2, "error": "due_date 2025-01-31 is before "
                                                     "issue_date 2026-01-01"}]
    assert sorted(f.name for f in folder.iterdir()) == [".importing", "c.csv.part", "failed",
                                                        "processed"]
    assert list((folder / ".importing").iterdir()) == []

    (folder / "again.csv").write_text(GOOD)  # the same content under another name
    handled = import_dropped_files()
    assert handled[0]["outcome"] == "duplicate"
    assert (folder / "failed" / "again.csv").exists()
    assert import_dropped_files() == []
    runs = db.session.execute(select(ImportRun.origin, ImportRun.status, ImportRun.rows)
                              .order_by(ImportRun.id)).all()
    assert runs == [("folder", "done", 2), ("folder", "rejected", 1)]
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 2


def test_a_file_still_being_written_waits(app, db, tmp_path):
    folder = setup_folder(app, tmp_path)
    app.config["IMPORT_SETTLE_SECONDS"] = 3600
    (folder / "a.csv").write_text(GOOD)
    assert import_dropped_files() == []
    assert (folder / "a.csv").exists()


def test_two_schedulers_at_once_import_a_file_once(app, db, tmp_path):
    folder = setup_folder(app, tmp_path)
    (folder / "a.csv").write_text(GOOD)
    results, barrier = [], threading.Barrier(2)

    def run():
        with app.app_context():
            barrier.wait()
            results.append(import_dropped_files())

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes = sorted(h["outcome"] for result in results for h in result)
    assert "imported" in outcomes and outcomes.count("imported") == 1
    assert db.session.scalar(select(func.count()).select_from(ImportRun)) == 1
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 2
