"""`flask clients ...`: create, rotate, revoke and list api clients. Each command commits once."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from core import tx
from core.audit import AuditContext
from core.errors import AppError
from core.extensions import db
from models.clients import ApiClient, ApiClientKey
from models.orgs import Unit
from services import clients

CLI_CONTEXT = AuditContext(None, None, "cli")

clients_cli = AppGroup("clients", help="Machine callers of /open/v1 and their keys.")


def _fail(error: AppError) -> None:
    tx.rollback()
    raise click.ClickException(f"{error.code}: {error.message}")


def _echo_key(issued: clients.IssuedKey) -> None:
    click.echo(f"client {issued.client.id} ({issued.client.name}) unit {issued.client.unit_id}")
    click.echo(f"key_id: {issued.key.key_id}")
    click.echo(f"secret: {issued.secret}")
    click.echo("The secret is shown only now; store it safely.")


def _client(client_id: int) -> ApiClient:
    client = db.session.get(ApiClient, client_id)
    if client is None:
        raise click.ClickException(f"no client {client_id}")
    return client


@clients_cli.command("create")
@click.option("--unit", "unit_id", type=int, required=True, help="The unit the client acts for.")
@click.option("--name", required=True)
@click.option("--scopes", required=True, help="Comma separated, e.g. inspection:write,open:read")
@click.option("--rate-limit", type=click.IntRange(min=0), default=None, help="Requests per minute (default: setting).")
def create_command(unit_id: int, name: str, scopes: str, rate_limit: int | None) -> None:
    """Create a client with its first key (the secret is printed once)."""
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise click.ClickException(f"no unit {unit_id}")
    try:
        issued = clients.create_client(CLI_CONTEXT, unit, name, [s.strip() for s in scopes.split(",") if s.strip()],
                                       rate_limit)
    except AppError as error:
        _fail(error)
    tx.commit()
    _echo_key(issued)


@clients_cli.command("rotate")
@click.argument("client_id", type=int)
def rotate_command(client_id: int) -> None:
    """Issue a second key; the current one keeps working until `revoke-key`."""
    try:
        issued = clients.rotate_key(CLI_CONTEXT, _client(client_id))
    except AppError as error:
        _fail(error)
    tx.commit()
    _echo_key(issued)


@clients_cli.command("revoke-key")
@click.argument("key_id")
def revoke_key_command(key_id: str) -> None:
    """Revoke one key at once."""
    key = clients.find_key(key_id)
    if key is None:
        raise click.ClickException(f"no key {key_id}")
    clients.revoke_key(CLI_CONTEXT, key)
    tx.commit()
    click.echo(f"key {key_id} revoked")


@clients_cli.command("revoke")
@click.argument("client_id", type=int)
def revoke_command(client_id: int) -> None:
    """Stop a client and revoke all its keys."""
    clients.revoke_client(CLI_CONTEXT, _client(client_id))
    tx.commit()
    click.echo(f"client {client_id} revoked")


@clients_cli.command("list")
def list_command() -> None:
    """Every client with its active keys."""
    for client in db.session.scalars(select(ApiClient).order_by(ApiClient.id)):
        keys = db.session.scalars(select(ApiClientKey.key_id).where(ApiClientKey.client_id == client.id,
                                                                   ApiClientKey.status == "active")).all()
        click.echo(f"{client.id}\t{client.status}\tunit {client.unit_id}\t{client.name}\t"
                   f"{','.join(client.scopes)}\tkeys: {','.join(keys) or '-'}")


@clients_cli.command("demo-key")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True,
              help="Where the app answers, for the example call printed.")
def demo_key_command(base_url: str) -> None:
    """The demo agency's client key with its secret (APP_ENV=development only; after `flask demo-data`)."""
    from services.demo.clients import demo_key

    try:
        key = demo_key()
    except AppError as error:
        _fail(error)
    tx.commit()
    client = key.client
    click.echo(f"demo agency client {client.id} ({client.name}) of {client.unit.name}, "
               f"scopes {','.join(client.scopes)}")
    click.echo(f"key_id: {key.key_id}")
    click.echo(f"secret: {key.secret}")
    click.echo("try: .venv/bin/python -c \"from integration_api.client import OpenClient; "
               f"print(OpenClient('{base_url}', '{key.key_id}', '{key.secret}').get('/open/v1/ping').json())\"")
