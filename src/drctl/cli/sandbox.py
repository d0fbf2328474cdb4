"""`drctl sandbox up|down|status`: the offline AWS sandbox for poking at with the aws CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from drctl.cli.app import app
from drctl.cli.extras import sandbox_extra
from drctl.cli.options import JsonOption, LatenciesOption, OptionalPlanOption, TimeScaleOption
from drctl.cli.output import OutputOption, console, data_format, print_data, print_json
from drctl.settings import Settings

if TYPE_CHECKING:
    from drctl_sandbox.control import SandboxState

sandbox_app = typer.Typer(
    help="The offline AWS sandbox (moto) with the seed estate.\n\nExample: drctl sandbox up --detach",
    no_args_is_help=True,
)
app.add_typer(sandbox_app, name="sandbox")

ENV_ORDER = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "DRCTL_TIME_SCALE",
)


def _print_state(state: SandboxState, *, detached: bool) -> None:
    console.print(f"sandbox running at {state.endpoint_url} (pid {state.pid})")
    for region, app_endpoint in state.apps.items():
        console.print(f"  sample app {region}: {app_endpoint.url}")
    if state.record_name:
        console.print(f"  failover record: {state.record_name}")
    console.print("use it with the aws CLI:")
    for name in ENV_ORDER:
        if name in state.env:
            console.print(f"  export {name}={state.env[name]}")
    console.print("  aws eks list-clusters; aws route53 list-hosted-zones")
    if detached:
        console.print("stop it with: drctl sandbox down")


@sandbox_app.command()
def up(
    plan: OptionalPlanOption = None,
    detach: bool = typer.Option(False, "--detach", "-d", help="Run in the background."),
    port: int = typer.Option(0, help="Port of the AWS endpoint (0: any free port)."),
    health_interval: float = typer.Option(
        1.0, help="Seconds between health-check probes (compressed; Route 53 uses 10 or 30)."
    ),
    time_scale: TimeScaleOption = None,
    latencies: LatenciesOption = None,
    json_out: JsonOption = False,
) -> None:
    """Start moto on 127.0.0.1, the sample apps and the estate; print the endpoint and env vars.

    With --time-scale every modelled AWS operation takes its AWS latency at that scale
    (a faithful sandbox); without it they are instant.

    Example: drctl sandbox up --detach --time-scale 0.02 && eval "$(drctl sandbox status --env)"
    """
    with sandbox_extra():
        from drctl_sandbox import control
        from drctl_sandbox.estate.model import SEED_PLAN
    home, plan = Settings().home, plan or SEED_PLAN
    if detach:
        state = control.start_detached(
            plan, home, port=port, health_interval=health_interval, time_scale=time_scale,
            latencies=latencies,
        )  # fmt: skip
        if json_out:
            print_json(state)
        else:
            _print_state(state, detached=True)
        return

    def ready(state: SandboxState) -> None:
        if json_out:
            print_json(state)
        else:
            _print_state(state, detached=False)
            console.print("press Ctrl-C to stop")

    control.serve(
        plan, home, port=port, health_interval=health_interval, on_ready=ready,
        time_scale=time_scale, latencies=latencies,
    )  # fmt: skip


@sandbox_app.command()
def down(json_out: JsonOption = False) -> None:
    """Stop the background sandbox started with `drctl sandbox up --detach`.

    Example: drctl sandbox down
    """
    with sandbox_extra():
        from drctl_sandbox import control
    before = control.stop(Settings().home)
    if json_out:
        print_json(before)
    elif before.state is None:
        console.print("no sandbox was running")
    else:
        console.print(
            f"stopped the sandbox at {before.state.endpoint_url} (pid {before.state.pid})"
        )


@sandbox_app.command()
def status(
    output: OutputOption = None,
    json_out: JsonOption = False,
    env: bool = typer.Option(False, "--env", help="Print only `export` lines for a shell."),
) -> None:
    """Say whether the sandbox runs, where, and which env vars reach it; exit 1 if it is not running.

    Example: drctl sandbox status --json
    """
    with sandbox_extra():
        from drctl_sandbox import control
    current = control.status(Settings().home)
    if fmt := data_format(output, json_out):
        print_data(current, fmt)
    elif env and current.state is not None and current.running:
        for name in ENV_ORDER:
            if name in current.state.env:
                typer.echo(f"export {name}={current.state.env[name]}")
    elif current.running and current.state is not None:
        _print_state(current.state, detached=True)
    else:
        console.print(f"sandbox not running: {current.reason}")
    if not current.running:
        raise typer.Exit(1)


def _control_url() -> str:
    with sandbox_extra():
        from drctl_sandbox import control
    from drctl.errors import ConfigError

    current = control.status(Settings().home)
    if not current.running or current.state is None or not current.state.control_url:
        raise ConfigError(
            f"no sandbox to inject into: {current.reason or 'it has no control port'}",
            hint="start one with: drctl sandbox up --detach",
        )
    return current.state.control_url


@sandbox_app.command()
def fail(
    target: str = typer.Argument(..., help="The region to fail, e.g. ap-northeast-1."),
    json_out: JsonOption = False,
) -> None:
    """Fail a region of the running sandbox: its app answers 503, replication stops, its APIs answer 503.

    Example: drctl sandbox fail ap-northeast-1 && drctl run plan.yaml --scenario region-failure --auto-approve
    """
    with sandbox_extra():
        from drctl_sandbox.faults import request
    fault = request(_control_url(), "/fail", {"target": target})
    if json_out:
        print_json(fault)
        return
    console.print(f"{fault['target']} failed at {fault['failed_at']}")
    console.print(f"measure a run from then on with: --failure-at {fault['failed_at']}")


@sandbox_app.command()
def heal(json_out: JsonOption = False) -> None:
    """Undo `drctl sandbox fail`: apps serve again, replication resumes, APIs answer.

    Example: drctl sandbox heal
    """
    with sandbox_extra():
        from drctl_sandbox.faults import request
    healed = request(_control_url(), "/heal")["healed"]
    if json_out:
        print_json(healed)
    elif not healed:
        console.print("nothing was failed")
    for fault in [] if json_out else healed:
        console.print(f"{fault['target']} healed (failed since {fault['failed_at']})")
