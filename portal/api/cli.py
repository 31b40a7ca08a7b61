"""`saldo api-key create|list|revoke`: API keys from the command line (audited as system)."""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from portal.api.keys import ApiKeyError, create_key, list_keys, revoke_key
from portal.extensions import db
from portal.models import ApiKey

api_key_cli = AppGroup("api-key", help="API keys for billing systems.")


@api_key_cli.command("create")
@click.option("--name", required=True, help="Who the key is for, e.g. the billing system.")
@click.option("--scopes", default="read,write", show_default=True,
              help="Comma-separated: read, write.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def create_command(name: str, scopes: str, as_json: bool) -> None:
    """Create a key and print it once (it is stored only as a hash)."""
    try:
        row, key = create_key(name, scopes, actor_type="system")
    except ApiKeyError as exc:
        db.session.rollback()
        raise click.UsageError(str(exc)) from exc
    db.session.commit()
    if as_json:
        click.echo(json.dumps({"id": row.id, "name": row.name, "prefix": row.prefix,
                               "scopes": row.scope_list, "key": key}))
        return
    click.echo(key)
    click.echo(f"API key {row.prefix} ({','.join(row.scope_list)}) for {row.name!r}: "
               "copy it now, it is not shown again.", err=True)


@api_key_cli.command("list")
def list_command() -> None:
    """List keys: prefix, name, scopes, last use, revoked."""
    for row in list_keys():
        used = row.last_used_at.isoformat() if row.last_used_at else "never used"
        state = f"revoked {row.revoked_at.isoformat()}" if row.revoked_at else "active"
        click.echo(f"{row.prefix}\t{row.name}\t{row.scopes}\t{used}\t{state}")


@api_key_cli.command("revoke")
@click.argument("prefix")
def revoke_command(prefix: str) -> None:
    """Revoke the key with this prefix (e.g. sk_1a2b3c4d)."""
    row = db.session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if row is None:
        click.echo(f"no API key with prefix {prefix!r}", err=True)
        sys.exit(1)
    changed = revoke_key(row, actor_type="system")
    db.session.commit()
    click.echo(f"revoked {prefix}" if changed else f"{prefix} was already revoked")
