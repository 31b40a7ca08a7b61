"""The scheduler's folder import: ledger files dropped into `SALDO_IMPORT_DIR`, once each.

Each regular file (gzip or plain CSV) that has not changed for `IMPORT_SETTLE_SECONDS` is
first renamed into `.importing/` (atomic: of two schedulers one gets it), then hashed; the
SHA-256 is claimed by the import's own ImportRun row (a unique column), so the same content
is imported once however often it is dropped. The file then moves to `processed/`
(written) or `failed/` (refused, or seen before) with a `<name>.report.json` beside it.
The staff console lists every run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app

from portal.ledger.importer import AlreadyImported, import_ledger

log = logging.getLogger("saldo.import")

PROCESSED = "processed"
FAILED = "failed"
WORKING = ".importing"  # a file being imported; left here only if the import crashed
_SKIP_SUFFIXES = (".part", ".tmp", ".partial", ".crdownload")


def import_dropped_files(folder: str | Path | None = None) -> list[dict]:
    """Import every settled file in the folder; returns one summary per file handled."""
    folder = folder or current_app.config.get("IMPORT_DIR")
    if not folder:
        return []
    folder = Path(folder)
    if not folder.is_dir():
        log.warning("import folder %s does not exist", folder)
        return []
    settle = current_app.config.get("IMPORT_SETTLE_SECONDS", 60)
    handled = []
    for path in sorted(folder.iterdir()):
        try:
            if _candidate(path, settle):
                handled.append(_import_one(path))
        except FileNotFoundError:  # another scheduler took it meanwhile
            continue
    return handled


def _candidate(path: Path, settle: float) -> bool:
    if not path.is_file() or path.name.startswith(".") or path.name.endswith(_SKIP_SUFFIXES):
        return False
    return time.time() - path.stat().st_mtime >= settle


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _import_one(dropped: Path) -> dict:
    # Take the file first: a rename is atomic, so of two schedulers exactly one gets it
    # (the other's rename raises FileNotFoundError and it moves on).
    working = dropped.parent / WORKING
    working.mkdir(exist_ok=True)
    path = working / dropped.name
    dropped.rename(path)
    digest = _sha256(path)
    summary = {"file": path.name, "sha256": digest}
    try:
        report = import_ledger(
            str(path), origin="folder", content_sha256=digest,
            default_currency=current_app.config["DEFAULT_CURRENCY"],
        )
    except AlreadyImported as exc:
        summary.update(outcome="duplicate", run_id=exc.run_id,
                       error=f"the same content was imported before (run {exc.run_id})")
        return _file_away(path, FAILED, summary)
    summary.update(report.as_dict(), run_id=report.run_id, error_count=report.error_count,
                   outcome="imported" if report.written else "rejected")
    log.info("import folder: %s %s (%s rows, %s errors)", path.name, summary["outcome"],
             report.rows, report.error_count)
    return _file_away(path, PROCESSED if report.written else FAILED, summary)


def _file_away(path: Path, subfolder: str, summary: dict) -> dict:
    target_dir = path.parent.parent / subfolder
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target = target_dir / f"{stamp}-{path.name}"
    path.replace(target)
    summary["moved_to"] = str(target)
    target.with_name(target.name + ".report.json").write_text(
        json.dumps(summary, indent=2, default=str), encoding="utf-8")
    return summary
