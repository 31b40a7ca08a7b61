"""`saldo staff create --email E --role R`: the password is prompted twice on a terminal and
read from standard input otherwise (for scripts: `echo "$PASSWORD" | saldo staff create ...`)."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from portal.extensions import db
from portal.staff.access import ROLES

staff_cli = AppGroup("staff", help="Manage finance staff accounts.")


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@staff_cli.command("create")
@click.option("--email", required=True, help="Sign-in email.")
@click.option("--role", required=True, type=click.Choice(ROLES), help="What the user may do.")
@click.option("--name", default=None, help="Display name.")
def create_command(email: str, role: str, name: str | None) -> None:
    """Create a staff user."""
    from portal.staff.accounts import AccountError, create_staff

    password = _read_password()
    try:
        staff = create_staff(email, role, password, name=name)
    except AccountError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"created {staff.role} {staff.email} (id {staff.id})")


@staff_cli.command("list")
def list_command() -> None:
    """List staff users."""
    from sqlalchemy import select

    from portal.models import StaffUser

    for staff in db.session.scalars(select(StaffUser).order_by(StaffUser.email)):
        state = "active" if staff.is_active else "inactive"
        totp = " totp" if staff.totp_secret else ""
        click.echo(f"{staff.id}\t{staff.email}\t{staff.role}\t{state}{totp}")
