"""Database helpers for the alert tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.extensions import db
from portal.models import Message, ModelVersion, RiskScore


def score(invoice, probability: float, band: str = "high", at: datetime | None = None):
    model = db.session.query(ModelVersion).first()
    if model is None:
        model = ModelVersion(algorithm="test", artifact_path="x", sha256="0" * 64,
                             feature_names=[], library_versions={})
        db.session.add(model)
        db.session.flush()
    row = RiskScore(invoice_id=invoice.id, model_version_id=model.id, probability=probability,
                    band=band, scored_at=at or datetime.now(UTC))
    db.session.add(row)
    db.session.flush()
    return row


def queue(debtor, invoice=None, channel="email", send_at=None, key=None, **fields) -> Message:
    """A pending outbox row due now (or at `send_at`)."""
    message = Message(debtor_id=debtor.id, invoice_id=invoice.id if invoice else None,
                      channel=channel, template=fields.pop("template", "pre_due"),
                      tone=fields.pop("tone", "neutral"), rule=fields.pop("rule", "pre_2"),
                      reason="test", locale=debtor.locale,
                      dedupe_key=key or f"{debtor.id}:{invoice.id if invoice else 'x'}:"
                                        f"{channel}:{datetime.now(UTC).timestamp()}",
                      status=fields.pop("status", "pending"),
                      send_at=send_at or datetime.now(UTC), **fields)
    db.session.add(message)
    db.session.flush()
    return message


@pytest.fixture
def scorer():
    return score
