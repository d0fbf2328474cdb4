"""The typer application every command module registers on."""

from __future__ import annotations

import logging

import typer

app = typer.Typer(
    name="drctl",
    help="Disaster recovery as code for AWS EKS workloads.\n\n"
    "Example: drctl validate examples/seed-estate.yaml",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode="rich",
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logs."),
) -> None:
    """Disaster recovery as code for AWS EKS workloads."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING)
    for noisy in ("dbos", "botocore", "urllib3", "werkzeug", "httpx"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.WARNING)
