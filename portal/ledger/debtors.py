"""Create or update a debtor by the billing system's id (`external_id`).

The same validation as the ledger CSV (portal.ledger.rows) for contacts, locale, time zone
and country; the identity fact is hashed by portal.debtor.identity. Used by the API; the
caller commits. Two parallel upserts of one new debtor collide on the unique external id:
the loser updates the winner's row instead of failing.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import audit
from portal.debtor.consent import ConsentError, set_consents
from portal.debtor.identity import KINDS, normalise, set_identity
from portal.extensions import db
from portal.ledger.rows import RowError, _contact, _locale_tz_country
from portal.models import CHANNELS, Debtor, utcnow

PLAIN_FIELDS = ("name", "email", "phone", "locale", "timezone", "country", "paperless")


class DebtorError(ValueError):
    """A field is not valid; `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def _row_error(exc: RowError) -> DebtorError:
    text = str(exc)
    return DebtorError(text.split()[0], text)


def clean_fields(fields: dict) -> dict:
    """Validate and normalise the plain fields exactly as the CSV import does."""
    out = dict(fields)
    raw = {k: fields[k] for k in ("email", "phone", "locale", "timezone", "country")
           if fields.get(k) is not None}
    try:
        email, phone = _contact(raw)
        locale, tz, country = _locale_tz_country(raw)
    except RowError as exc:
        raise _row_error(exc) from exc
    for name, value in (("email", email), ("phone", phone), ("locale", locale),
                        ("timezone", tz), ("country", country)):
        if name in fields:
            out[name] = value
    if "name" in fields:
        name = (fields["name"] or "").strip()
        if not name:
            raise DebtorError("name", "name must not be empty")
        out["name"] = name
    return out


def _snapshot(debtor: Debtor) -> dict:
    out = {name: getattr(debtor, name) for name in PLAIN_FIELDS}
    out.update({f"allow_{c}": getattr(debtor, f"allow_{c}") for c in CHANNELS})
    out["identity_kind"] = debtor.identity_kind
    return out


def upsert_debtor(external_id: str, fields: dict, *, channels: dict[str, bool] | None = None,
                  identity: tuple[str, str] | None = None,
                  consents: dict | None = None,
                  actor: tuple[str, int | None] = ("system", None)) -> tuple[Debtor, bool]:
    """Create or update the debtor `external_id`; return (debtor, created)."""
    fields = clean_fields(fields)
    if identity is not None:
        kind, value = identity
        if kind not in KINDS:
            raise DebtorError("identity.kind", f"kind must be one of {', '.join(KINDS)}")
        if normalise(kind, value) is None:
            raise DebtorError("identity.value", f"not a valid {kind}")
    debtor = db.session.scalar(select(Debtor).where(Debtor.external_id == external_id))
    created = False
    if debtor is None:
        debtor = Debtor(external_id=external_id, name=fields.get("name") or external_id)
        try:
            with db.session.begin_nested():
                db.session.add(debtor)
                db.session.flush()
            created = True
        except IntegrityError:  # created meanwhile by a parallel request: update it
            debtor = db.session.scalar(select(Debtor).where(Debtor.external_id == external_id))
    before = None if created else _snapshot(debtor)
    for name in PLAIN_FIELDS:
        if name in fields and fields[name] is not None:
            setattr(debtor, name, fields[name])
    for channel, allowed in (channels or {}).items():
        setattr(debtor, f"allow_{channel}", bool(allowed))
    if identity is not None:
        set_identity(debtor, identity[1], identity[0])
    if consents:
        try:
            set_consents(debtor, consents, utcnow().date(), actor_type=actor[0],
                         actor_id=actor[1])
        except ConsentError as exc:
            raise DebtorError(f"consent.{exc.channel}",
                              f"consent.{exc.channel} cannot be in the future") from exc
    after = _snapshot(debtor)
    if created or after != before:
        audit.record(actor[0], actor[1], "debtor.created" if created else "debtor.updated",
                     debtor, before=before, after=after)
    db.session.flush()
    return debtor, created
