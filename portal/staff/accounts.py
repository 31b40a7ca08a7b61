"""Staff accounts: password hashing, sign-in with lockout, TOTP two-factor, user management.

Passwords are hashed with scrypt (werkzeug). After `MAX_FAILURES` wrong passwords in a row an
account is locked for `LOCK_MINUTES`; a correct password during the lock is refused too.
Every change is written to the audit log by the caller's transaction.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyotp
from flask import has_request_context
from flask_babel import gettext
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from portal import sessions
from portal.audit import record
from portal.extensions import db
from portal.models import StaffUser
from portal.staff.access import ROLES

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 12
ISSUER = "Saldo"
# A hash to compare against when the email is unknown, so timing does not reveal accounts.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def _(message: str, **params) -> str:
    """Translated in a request; plain English in the CLI (no request to choose a locale)."""
    if has_request_context():
        return gettext(message, **params)
    return message % params if params else message


class AccountError(ValueError):
    """A request about an account that cannot be honoured; the message is for the user."""


@dataclass
class SignInResult:
    staff: StaffUser | None
    error: str | None = None  # "invalid" | "locked" | "inactive"
    needs_totp: bool = False


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def password_problems(password: str, email: str = "") -> list[str]:
    """Why a new password is not acceptable (empty list: acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_("The password must have at least %(n)d characters.",
                          n=MIN_PASSWORD_LENGTH))
    if email and email.split("@")[0].lower() in password.lower():
        problems.append(_("The password must not contain the email address."))
    return problems


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_by_email(email: str) -> StaffUser | None:
    return db.session.scalar(
        select(StaffUser).where(func.lower(StaffUser.email) == normalise_email(email))
    )


def create_staff(email: str, role: str, password: str, *, name: str | None = None,
                 actor_id: int | None = None) -> StaffUser:
    """Create a staff user (the caller commits). Raises AccountError with a readable reason."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError(_("Enter a valid email address."))
    if role not in ROLES:
        raise AccountError(_("Unknown role %(role)s: choose one of %(roles)s.", role=role,
                              roles=", ".join(ROLES)))
    problems = password_problems(password, email)
    if problems:
        raise AccountError(" ".join(problems))
    if find_by_email(email) is not None:
        raise AccountError(_("A staff user with this email already exists."))
    staff = StaffUser(email=email, role=role, name=name or None,
                      password_hash=hash_password(password), is_active=True, failed_logins=0)
    db.session.add(staff)
    db.session.flush()
    record("staff" if actor_id else "system", actor_id, "staff.create", staff,
           after={"email": email, "role": role, "name": staff.name})
    return staff


def ensure_staff_user(email: str, password: str, role: str) -> StaffUser:
    """Make sure a user with this email exists, is active, has `role` and signs in with
    `password` (the demo's published login; commits). The password rules are not applied."""
    if role not in ROLES:
        raise AccountError(_("Unknown role %(role)s.", role=role))
    staff = find_by_email(email)
    if staff is None:
        staff = StaffUser(email=normalise_email(email), role=role, failed_logins=0)
        db.session.add(staff)
    staff.role, staff.is_active, staff.locked_until = role, True, None
    staff.password_hash = hash_password(password)
    db.session.flush()
    record("system", None, "staff.ensure", staff, after={"email": staff.email, "role": role})
    db.session.commit()
    return staff


def _reserve(which, now: datetime) -> tuple[int, int] | None:
    table = StaffUser.__table__
    free = (table.c.locked_until.is_(None)) | (table.c.locked_until <= now)
    row = db.session.execute(
        update(table).where(which, free, func.coalesce(table.c.failed_logins, 0) < MAX_FAILURES)
        .values(failed_logins=func.coalesce(table.c.failed_logins, 0) + 1)
        .returning(table.c.id, table.c.failed_logins)).first()
    return (row[0], row[1]) if row is not None else None


def reserve_attempt(staff: StaffUser, now: datetime) -> int | None:
    """Count one sign-in attempt in the database before any check is made; None when the
    account is locked or its MAX_FAILURES attempts are all taken.

    One conditional UPDATE, so parallel requests (threads, workers) cannot all read "4 so
    far": of 16 parallel wrong passwords exactly MAX_FAILURES are ever checked."""
    reserved = _reserve(StaffUser.__table__.c.id == staff.id, now)
    db.session.refresh(staff, ["failed_logins", "locked_until"])
    return reserved[1] if reserved else None


def _count_failure(staff: StaffUser, attempt: int, now: datetime, action: str) -> bool:
    """Record a failed attempt (already counted); lock the account at the last allowed one.
    Returns True when this failure locked it."""
    after = {"failed_logins": attempt}
    locked = attempt >= MAX_FAILURES
    if locked:
        table = StaffUser.__table__
        db.session.execute(update(table).where(table.c.id == staff.id)
                           .values(locked_until=now + timedelta(minutes=LOCK_MINUTES),
                                   failed_logins=0))
        db.session.refresh(staff, ["failed_logins", "locked_until"])
        after["locked_until"] = staff.locked_until.isoformat()
    record("system", None, action, staff, after=after)
    return locked


def _attempt_succeeded(staff: StaffUser) -> None:
    """A correct answer hands its reserved attempt back."""
    table = StaffUser.__table__
    db.session.execute(update(table).where(table.c.id == staff.id, table.c.failed_logins > 0)
                       .values(failed_logins=table.c.failed_logins - 1))
    db.session.refresh(staff, ["failed_logins"])


def authenticate(email: str, password: str, now: datetime | None = None) -> SignInResult:
    """Check a password, counting failures and locking the account after too many (the
    attempt is committed before the check; the caller commits the outcome).

    Unknown emails, wrong passwords and locked accounts cost the same (one scrypt hash) and
    give the same answer ("invalid"), so neither the message nor the time tells an attacker
    which emails have accounts."""
    now = now or datetime.now(UTC)
    # The attempt is counted first, by email: on SQLite a write that is the transaction's
    # first statement waits for the lock, where a read upgraded to a write would fail.
    # Committed at once, so the slow password hash below never holds the write lock.
    reserved = _reserve(func.lower(StaffUser.__table__.c.email) == normalise_email(email), now)
    db.session.commit()
    staff = find_by_email(email)
    attempt = reserved[1] if reserved and staff is not None else None
    if attempt is None:
        check_password_hash(_DUMMY_HASH, password or "")
        if staff is not None:
            record("system", None, "staff.login_locked", staff)  # actor unknown
        return SignInResult(None, "invalid")
    if not check_password_hash(staff.password_hash, password or ""):
        _count_failure(staff, attempt, now, "staff.login_failed")
        return SignInResult(None, "invalid")
    _attempt_succeeded(staff)
    if not staff.is_active:
        return SignInResult(None, "inactive")
    return SignInResult(staff, needs_totp=bool(staff.totp_secret))


def complete_sign_in(staff: StaffUser, now: datetime | None = None) -> None:
    staff.failed_logins = 0
    staff.locked_until = None
    staff.last_login_at = now or datetime.now(UTC)
    record("staff", staff.id, "staff.login", staff)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def totp_step(secret: str | None, code: str, now: datetime | None = None) -> int | None:
    """The time step (of now, or one before or after) whose code is `code`, or None."""
    code = (code or "").replace(" ", "")
    if not secret or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or datetime.now(UTC))
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def totp_ok(secret: str | None, code: str) -> bool:
    return totp_step(secret, code) is not None


def use_totp_code(staff: StaffUser, code: str, now: datetime | None = None) -> bool:
    """Check a sign-in code; each code is accepted once (no replay within its window).

    Wrong codes count like wrong passwords (reserved atomically, see `reserve_attempt`), so
    the 6 digits cannot be brute-forced, not even by parallel requests."""
    now = now or datetime.now(UTC)
    attempt = reserve_attempt(staff, now)
    if attempt is None:
        record("system", None, "staff.login_locked", staff)
        return False
    step = totp_step(staff.totp_secret, code, now)
    table = StaffUser.__table__
    claimed = step is not None and db.session.execute(
        update(table).where(table.c.id == staff.id,
                            (table.c.totp_last_step.is_(None)) | (table.c.totp_last_step < step))
        .values(totp_last_step=step)).rowcount == 1
    if not claimed:
        _count_failure(staff, attempt, now, "staff.totp_failed")
        return False
    _attempt_succeeded(staff)
    db.session.refresh(staff, ["totp_last_step"])
    return True


def is_locked(staff: StaffUser, now: datetime | None = None) -> bool:
    return staff.locked_until is not None and staff.locked_until > (now or datetime.now(UTC))


def enable_totp(staff: StaffUser, secret: str, code: str) -> None:
    if not totp_ok(secret, code):
        raise AccountError(_("That code does not match. Check the time on your phone and retry."))
    staff.totp_secret = secret
    staff.totp_last_step = totp_step(secret, code)
    record("staff", staff.id, "staff.totp_enable", staff, after={"totp": True})


def disable_totp(staff: StaffUser, actor_id: int) -> None:
    staff.totp_secret = None
    staff.totp_last_step = None
    record("staff", actor_id, "staff.totp_disable", staff, after={"totp": False})


def update_staff(staff: StaffUser, actor: StaffUser, *, role: str | None = None,
                 is_active: bool | None = None, name: str | None = None) -> None:
    """Change role, active flag or name, keeping at least one active admin."""
    before = {"role": staff.role, "is_active": staff.is_active, "name": staff.name}
    if role is not None and role not in ROLES:
        raise AccountError(_("Unknown role."))
    demoting = (role not in (None, "admin") or is_active is False) and staff.role == "admin"
    if demoting and _active_admins() <= 1:
        raise AccountError(_("At least one active administrator must remain."))
    if role is not None:
        staff.role = role
    if is_active is not None:
        staff.is_active = is_active
        if not is_active:
            sessions.end_all(staff, "deactivated")
    if name is not None:
        staff.name = name.strip() or None
    after = {"role": staff.role, "is_active": staff.is_active, "name": staff.name}
    if after != before:
        record("staff", actor.id, "staff.update", staff, before=before, after=after)


def reset_password(staff: StaffUser, actor: StaffUser, password: str) -> None:
    problems = password_problems(password, staff.email)
    if problems:
        raise AccountError(" ".join(problems))
    staff.password_hash = hash_password(password)
    staff.failed_logins = 0
    staff.locked_until = None
    # Every session opened with the old password ends (an admin resetting their own
    # password keeps the session they are using).
    ended = sessions.end_all(staff, "password_reset", keep_current=staff.id == actor.id)
    record("staff", actor.id, "staff.password_reset", staff, after={"sessions_ended": ended})


def _active_admins() -> int:
    return db.session.scalar(
        select(func.count()).select_from(StaffUser)
        .where(StaffUser.role == "admin", StaffUser.is_active.is_(True))
    ) or 0
