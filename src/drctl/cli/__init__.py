"""The `drctl` command line: a thin skin over the library, with one error handler."""

from __future__ import annotations

import sys

from rich.markup import escape

from drctl.cli import audit as _audit  # noqa: F401  (registers commands)
from drctl.cli import canary as _canary  # noqa: F401
from drctl.cli import check as _check  # noqa: F401
from drctl.cli import compile as _compile  # noqa: F401  (registers commands)
from drctl.cli import demo as _demo  # noqa: F401
from drctl.cli import iac as _iac  # noqa: F401
from drctl.cli import lab as _lab  # noqa: F401
from drctl.cli import logs as _logs  # noqa: F401
from drctl.cli import plan as _plan  # noqa: F401
from drctl.cli import report as _report  # noqa: F401
from drctl.cli import run as _run  # noqa: F401
from drctl.cli import runbook as _runbook  # noqa: F401
from drctl.cli import runs as _runs  # noqa: F401
from drctl.cli import sandbox as _sandbox  # noqa: F401
from drctl.cli import serve as _serve  # noqa: F401
from drctl.cli import simulate as _simulate  # noqa: F401
from drctl.cli import tokens as _tokens  # noqa: F401
from drctl.cli.app import app
from drctl.cli.output import err_console
from drctl.errors import DrctlError

__all__ = ["app", "main"]


def main(argv: list[str] | None = None) -> None:
    """Entry point of the `drctl` console script.

    Typer/click handle usage errors themselves (exit 2); drctl's own errors are caught
    here and printed as one red line plus a hint, without a traceback unless `--debug`.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        app(args=args, prog_name="drctl", standalone_mode=True)
    except DrctlError as exc:
        if "--debug" in args:
            raise
        report_error(exc)
        sys.exit(exc.exit_code)


def report_error(exc: DrctlError) -> None:
    """One red line saying what and where, then the hint; one pair per problem of an invalid file."""
    # Messages are plain text: `drctl[sandbox]` or `[default]` must not be read as markup.
    for problem in exc.problems:
        err_console.print(f"[red]error:[/red] {escape(str(problem))}", markup=True)
        if problem.hint:
            err_console.print(f"  [dim]hint:[/dim] {escape(problem.hint)}")
