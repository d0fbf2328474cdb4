"""The `drctl` command line: a thin skin over the library, with one error handler."""

from __future__ import annotations

import sys

import click

from drctl.cli import audit as _audit  # noqa: F401  (registers commands)
from drctl.cli import check as _check  # noqa: F401
from drctl.cli import compile as _compile  # noqa: F401  (registers commands)
from drctl.cli import iac as _iac  # noqa: F401
from drctl.cli import plan as _plan  # noqa: F401
from drctl.cli import report as _report  # noqa: F401
from drctl.cli import run as _run  # noqa: F401
from drctl.cli import runbook as _runbook  # noqa: F401
from drctl.cli import runs as _runs  # noqa: F401
from drctl.cli import sandbox as _sandbox  # noqa: F401
from drctl.cli.app import app
from drctl.cli.output import err_console
from drctl.errors import EXIT_BAD_INPUT, DrctlError

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `drctl` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = app(args=args, prog_name="drctl", standalone_mode=False)
    except DrctlError as exc:
        if "--debug" in args:
            raise
        report_error(exc)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        err_console.print("[red]aborted[/red]")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_BAD_INPUT if exc.exit_code == 2 else exc.exit_code)
    sys.exit(result if isinstance(result, int) else 0)


def report_error(exc: DrctlError) -> None:
    """One red line saying what and where, then the hint."""
    err_console.print(f"[red]error:[/red] {exc}", markup=True)
    if exc.hint:
        err_console.print(f"  [dim]hint:[/dim] {exc.hint}")
