"""The typer application every command module registers on, and the options of `drctl` itself."""

from __future__ import annotations

import logging
import os

import typer

from drctl import __version__
from drctl.cli import help as _help
from drctl.cli.output import console

_help.install()

app = typer.Typer(
    name="drctl",
    help="Disaster recovery as code for AWS EKS workloads.\n\n"
    "Exit codes: 0 ready or succeeded, 1 findings or a failed run, 2 bad input, "
    "3 could not check (no credentials, unreachable endpoint).\n\n"
    "Example: drctl validate examples/seed-estate.yaml",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"drctl {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logs."),
    quiet: bool = typer.Option(
        False, "--quiet", "-q", help="Print only errors and the machine output asked for."
    ),
    _version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_print_version, help="Print the version."
    ),
    profile: str | None = typer.Option(
        None, "--profile", help="AWS profile to use (as DRCTL_AWS_PROFILE; AWS_PROFILE works too)."
    ),
) -> None:
    """Disaster recovery as code for AWS EKS workloads."""
    console.quiet = quiet
    if profile:
        os.environ["DRCTL_AWS_PROFILE"] = profile  # read by Settings where a command builds it
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING)
    for noisy in ("dbos", "botocore", "urllib3", "werkzeug", "httpx"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)
