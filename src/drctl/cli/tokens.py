"""`drctl tokens create|list|revoke`: the dashboard's personal API tokens and their roles."""

from __future__ import annotations

from datetime import UTC, datetime

import typer
from rich.table import Table

from drctl.cli.app import app
from drctl.cli.options import JsonOption
from drctl.cli.output import OutputOption, console, data_format, print_data, print_json
from drctl.errors import DrctlError
from drctl.plan.durations import parse_duration
from drctl.settings import Settings
from drctl.web.tokens import Role, TokenStore

tokens_app = typer.Typer(
    help="Personal API tokens for `drctl serve` (roles viewer < operator < approver < admin).\n\n"
    "Example: drctl tokens create --name alice --role approver --expires 30d",
    no_args_is_help=True,
)
app.add_typer(tokens_app, name="tokens")


def _store() -> TokenStore:
    return TokenStore(Settings().state_database_url())


@tokens_app.command()
def create(
    name: str = typer.Option(..., "--name", help="Whose token (shown as `dashboard:NAME`)."),
    role: Role = typer.Option(..., "--role", help="viewer, operator, approver or admin."),
    expires: str | None = typer.Option(
        None, "--expires", help="Lifetime, e.g. 30d (default: none)."
    ),
    json_out: JsonOption = False,
) -> None:
    """Create a token and print it once; only its hash is stored.

    Example: drctl tokens create --name alice --role approver --expires 30d
    """
    try:
        lifetime = parse_duration(expires) if expires is not None else None
    except ValueError as exc:
        raise DrctlError(f"--expires: {exc}", hint="e.g. --expires 30d or --expires 12h") from None
    token, secret = _store().create(name, role, lifetime)
    if json_out:
        print_json({**token.model_dump(mode="json"), "token": secret})
        return
    until = f", expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else ""
    console.print(f"created token `{token.name}` ({token.role}{until}); it is shown only once:")
    typer.echo(secret)


@tokens_app.command("list")
def list_cmd(output: OutputOption = None, json_out: JsonOption = False) -> None:
    """List tokens (never their secrets): name, role, created, expires, state.

    Example: drctl tokens list --json
    """
    found, now = _store().all(), datetime.now(UTC)
    if fmt := data_format(output, json_out):
        print_data([{**t.model_dump(mode="json"), "state": t.state(now)} for t in found], fmt)
        return
    table = Table(box=None)
    for column in ("name", "role", "created", "expires", "state"):
        table.add_column(column)
    for t in found:
        expires = f"{t.expires_at:%Y-%m-%d %H:%M}" if t.expires_at else "never"
        table.add_row(t.name, str(t.role), f"{t.created_at:%Y-%m-%d %H:%M}", expires, t.state(now))
    console.print(table)


@tokens_app.command()
def revoke(name: str = typer.Argument(..., help="Name of the token to revoke.")) -> None:
    """Revoke a token: its sessions end at their next request.

    Example: drctl tokens revoke alice
    """
    revoked = _store().revoke(name)
    console.print(f"revoked {len(revoked)} token(s) named `{name}`")
