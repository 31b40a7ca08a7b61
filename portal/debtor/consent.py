"""Consent per channel: the day the creditor recorded the debtor's consent (None: none).

One operation (`set_consents`) used by the staff console and, through the ledger import
columns `consent_email`, `consent_sms`, `consent_whatsapp`, by the importer. Under a
jurisdiction profile requiring explicit consent (Colombia) the alert policy uses only the
channels with a date here (`alerts.eligibility`).
"""

from __future__ import annotations

from datetime import date

from portal import audit
from portal.models import Debtor

CONSENT_CHANNELS = ("email", "sms", "whatsapp")


class ConsentError(ValueError):
    """A consent date that cannot be recorded (`code`: future)."""

    def __init__(self, code: str, channel: str):
        super().__init__(f"{code}: {channel}")
        self.code, self.channel = code, channel


def consents_of(debtor: Debtor) -> dict[str, date | None]:
    return {c: getattr(debtor, f"consent_{c}_at") for c in CONSENT_CHANNELS}


def set_consents(debtor: Debtor, consents: dict[str, date | None], today: date, *,
                 actor_type: str, actor_id) -> bool:
    """Record the consent dates given (None clears one); audit-logged with before and
    after. Returns whether anything changed. Raises ConsentError for a future date.
    The caller commits."""
    for channel, day in consents.items():
        if channel not in CONSENT_CHANNELS:
            raise ConsentError("unknown", channel)
        if day is not None and day > today:
            raise ConsentError("future", channel)
    before = consents_of(debtor)
    after = {**before, **consents}
    if after == before:
        return False
    for channel, day in after.items():
        setattr(debtor, f"consent_{channel}_at", day)

    def dump(values):
        return {c: d.isoformat() if d else None for c, d in values.items()}

    audit.record(actor_type, actor_id, "consent.updated", debtor, before=dump(before),
                 after=dump(after))
    return True
