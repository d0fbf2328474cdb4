"""`drctl serve`: the web dashboard over the state database (SQLite or PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer

from drctl.cli.app import app
from drctl.cli.output import console
from drctl.errors import DrctlError
from drctl.plan.durations import parse_duration
from drctl.settings import Settings

WATCH_EVERY = timedelta(seconds=15)
"""How often the dashboard reads the journal for runs of other processes to notify about."""


@app.command()
def serve(
    plans: list[Path] = typer.Argument(None, help="Plan files to show and start runs of."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
    port: int = typer.Option(8470, "--port", min=0, max=65535, help="Port to listen on."),
    live: bool = typer.Option(
        False, "--live/--static", help="Readiness with live reads of the estate, or static rules."
    ),
    check_every: str = typer.Option(
        "30m", "--check-every", help="Re-run readiness checks this often."
    ),
) -> None:
    """Serve the dashboard: plans, readiness, drills, live runs, approvals, /metrics.

    Sign in with a token from `drctl tokens create`; roles decide what each person may do.

    Example: drctl serve examples/seed-estate.yaml --port 8470
    """
    try:
        every = parse_duration(check_every)
    except ValueError as exc:
        raise DrctlError(f"--check-every: {exc}", hint="e.g. --check-every 30m") from None
    import uvicorn  # imported on use: `drctl --help` stays light

    from drctl.engine import shutdown
    from drctl.web.app import Dashboard, create_app

    settings = Settings()
    board = Dashboard(settings, plans or [], live=live, check_every=every)
    board.watch(WATCH_EVERY)
    console.print(f"drctl dashboard on http://{host}:{port} (state: {_where(settings)})")
    try:
        uvicorn.run(create_app(board), host=host, port=port, log_level="warning")
    finally:
        board.close()
        shutdown()


def _where(settings: Settings) -> str:
    import sqlalchemy as sa

    from drctl.audit.store import sqlalchemy_url

    url = sa.engine.make_url(sqlalchemy_url(settings.state_database_url()))
    return url.render_as_string(hide_password=True)
