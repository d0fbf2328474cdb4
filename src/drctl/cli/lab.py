"""`drctl lab up|status|down`: two real PostgreSQL servers with streaming replication on this host."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from drctl.cli.app import app
from drctl.cli.extras import sandbox_extra
from drctl.cli.options import JsonOption
from drctl.cli.output import OutputOption, console, data_format, print_data, print_json
from drctl.settings import Settings

if TYPE_CHECKING:
    from drctl_sandbox.lab.servers import LabStatus

lab_app = typer.Typer(
    help="The lab: a PostgreSQL primary (ap-northeast-1) and streaming standby (ap-southeast-1)."
    "\n\nExample: drctl lab up && drctl lab status",
    no_args_is_help=True,
)
app.add_typer(lab_app, name="lab")


def _print(status: LabStatus) -> None:
    console.print(
        f"lab under {status.root} ({'synchronous' if status.synchronous else 'asynchronous'} replication)"
    )
    for s in status.servers:
        extra = f", WAL receiver {s.wal_receiver}" if s.wal_receiver else ""
        for standby in s.standbys:
            extra += (
                f", standby {standby.state} ({standby.sync_state}, lag {standby.lag_seconds:.3f}s)"
            )
        console.print(f"  {s.region}: {s.role} on port {s.port}{extra}")
        console.print(f"    dsn: {s.dsn}")


@lab_app.command()
def up(
    sync: bool = typer.Option(
        False, "--sync", help="Synchronous standby: acknowledged writes are on it."
    ),
    json_out: JsonOption = False,
) -> None:
    """Start the primary and standby on free ports under <home>/lab and write <home>/lab/plan.yaml.

    Example: drctl lab up --sync && drctl compile .drctl/lab/plan.yaml --scenario region-failure
    """
    with sandbox_extra():
        from drctl_sandbox.lab.plan import write_plan
        from drctl_sandbox.lab.servers import Lab
    lab = Lab.create(Settings().home / "lab", synchronous=sync)
    plan = write_plan(lab)
    status = lab.status()
    if json_out:
        print_json({"plan": str(plan), **status.model_dump(mode="json")})
        return
    _print(status)
    console.print(f"plan with these servers: {plan}")
    console.print("stop it with: drctl lab down")


@lab_app.command()
def status(output: OutputOption = None, json_out: JsonOption = False) -> None:
    """Show each lab server's role (primary, standby, read-only, down) and replication state.

    Example: drctl lab status --json
    """
    with sandbox_extra():
        from drctl_sandbox.lab.servers import Lab
    current = Lab.load(Settings().home / "lab").status()
    if fmt := data_format(output, json_out):
        print_data(current, fmt)
    else:
        _print(current)


@lab_app.command()
def down(
    keep_data: bool = typer.Option(
        False, "--keep-data", help="Stop the servers but keep their data."
    ),
) -> None:
    """Stop both lab servers and remove the lab's directory.

    Example: drctl lab down
    """
    with sandbox_extra():
        from drctl_sandbox.lab.servers import Lab
    lab = Lab.load(Settings().home / "lab")
    if keep_data:
        lab.stop()
        console.print(f"stopped the lab servers; data kept under {lab.state.root}")
    else:
        lab.destroy()
        console.print(f"stopped the lab servers and removed {lab.state.root}")
