"""Planning: read the snapshot, run the policy, write the outbox; and the staff what-if preview.

`plan(today)` is what the hourly job and `saldo alerts plan` run. It is idempotent: each
decision has a dedupe key (debtor, invoice or instalment, rule, target date), rows are
inserted with ON CONFLICT DO NOTHING, and a row skipped earlier today becomes pending if a
later run plans it (say a promise was broken since). `preview(settings, start, days)` runs
the same policy day by day on the live data without writing anything.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.dialects import postgresql, sqlite

from alerts.facts import Decision, Decisions, Snapshot
from alerts.policy import decide
from alerts.preview import preview
from alerts.snapshot import load_snapshot
from portal.extensions import db
from portal.models import Message

__all__ = ["load_snapshot", "plan", "preview"]


def _row(item: Decision, snapshot: Snapshot, now: datetime) -> dict:
    debtor = snapshot.debtors[item.debtor_id]
    return {
        "debtor_id": item.debtor_id, "kind": "reminder", "invoice_id": item.invoice_id,
        "installment_id": item.installment_id,
        "channel": item.channel or "none", "template": item.kind, "tone": item.tone,
        "rule": item.rule, "reason": item.reason[:64], "locale": debtor.locale,
        "band": item.band,
        "dedupe_key": item.dedupe_key, "status": "skipped" if item.skipped else "pending",
        "send_at": item.send_at or now, "not_after": item.not_after, "attempts": 0,
        "created_at": now,
    }


def write_decisions(decisions: Decisions, snapshot: Snapshot) -> int:
    """Insert planned and skipped rows; return how many rows were inserted or revived."""
    rows = [_row(i, snapshot, snapshot.now) for i in decisions.planned + decisions.skipped]
    if not rows:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(Message.__table__)
    revived = {k: stmt.excluded[k] for k in ("channel", "tone", "reason", "status", "send_at",
                                              "not_after", "template", "band")}
    stmt = stmt.on_conflict_do_update(
        index_elements=["dedupe_key"], set_=revived,
        where=(Message.__table__.c.status == "skipped") & (stmt.excluded.status == "pending"))
    written = 0
    for start in range(0, len(rows), 5000):  # executemany, batched by SQLAlchemy
        written += len(db.session.execute(stmt.returning(Message.__table__.c.id),
                                          rows[start:start + 5000]).all())
    db.session.commit()
    return written


def _ids(snapshot: Snapshot) -> tuple[dict[int, str], dict[int, str]]:
    return ({d.id: d.external_id for d in snapshot.debtors.values()},
            {i.id: i.external_id for i in snapshot.invoices})


def plan(today: date | None = None, settings=None, dry_run: bool = False,
         now: datetime | None = None) -> dict:
    """Decide `today`'s messages (default: today, UTC); write them unless `dry_run`.

    `settings`: a Policy or a settings document (default: the policy in force). Each row
    stores the band it was planned under (`Message.band`). Returns {"date", "planned":
    [CLI JSON items], "skipped": {reason: n}, "written", "dry_run"}.
    """
    from alerts.settings import as_policy, current_policy

    today = today or (now or datetime.now(UTC)).date()
    policy = as_policy(settings) if settings is not None else current_policy()
    snapshot = load_snapshot(today, policy, now)
    decisions = decide(snapshot, policy)
    written = 0 if dry_run else write_decisions(decisions, snapshot)
    debtors, invoices = _ids(snapshot)
    planned = [{
        "customer_id": debtors[p.debtor_id],
        "invoice_id": invoices.get(p.invoice_id) if p.invoice_id else None,
        "channel": p.channel, "tone": p.tone,
        "send_at": p.send_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "reason": p.reason,
    } for p in decisions.planned]
    return {"date": today.isoformat(), "planned": planned,
            "skipped": decisions.skipped_counts(), "written": written, "dry_run": dry_run}


