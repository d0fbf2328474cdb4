"""`drctl sandbox up|down|status|fail|heal`: the offline world of a plan, to run drctl against by hand."""

from __future__ import annotations

import shlex
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
    help="The offline sandbox of a plan (AWS, Kubernetes, ArgoCD/Flux, sample apps), the seed "
    "estate by default.\n\nExample: drctl sandbox up --detach",
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
    "DRCTL_DNS_SERVERS",
    "DRCTL_SANDBOX_CONTROL_URL",
    "KUBECONFIG",
    "ARGOCD_AUTH_TOKEN",
)
SECRET = frozenset({"ARGOCD_AUTH_TOKEN"})
"""Printed by `sandbox status --env` (for `eval`) only, never in `sandbox up`'s output."""


def _exports(state: SandboxState, *, secrets: bool) -> list[str]:
    lines = [
        f"export {name}={shlex.quote(state.env[name])}"
        for name in ENV_ORDER
        if name in state.env and (secrets or name not in SECRET)
    ]
    if state.bin_dir:  # the stand-ins (eksctl) before any real one; the shell expands $PATH
        lines.append(f'export PATH={shlex.quote(state.bin_dir)}:"$PATH"')
    return lines


def _print_state(state: SandboxState, *, detached: bool) -> None:
    console.print(f"sandbox running at {state.endpoint_url} (pid {state.pid})", markup=False)
    for region, app_endpoint in state.apps.items():
        console.print(f"  sample app {region}: {app_endpoint.url}", markup=False)
    if state.record_name:
        console.print(f"  failover record: {state.record_name}", markup=False)
    if state.sandbox_plan:
        console.print(f"  plan pointed at the sandbox: {state.sandbox_plan}", markup=False)
    if state.kubeconfig:
        console.print(f"  kubeconfig of its clusters: {state.kubeconfig}", markup=False)
    console.print("its environment (all of it, the ArgoCD token too: drctl sandbox status --env):")
    for line in _exports(state, secrets=False):
        console.print(f"  {line}", markup=False, soft_wrap=True)
    console.print('  eval "$(drctl sandbox status --env)"; aws eks list-clusters', markup=False)
    if state.sandbox_plan:
        console.print("inject a failure, then run the plan against it:", markup=False)
        console.print(f"  drctl sandbox fail {state.regions[0]}", markup=False)
        console.print(f"  run it: {state.run_command()}", markup=False, soft_wrap=True)
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
    """Start the plan's offline world and print how to reach it and the plan pointed at it.

    The world is the one `drctl demo` runs against: moto on 127.0.0.1 with the estate, the
    sample apps, one simulated Kubernetes API per EKS cluster, ArgoCD/Flux with the plan's
    applications, DNS for its hosted zones. The plan pointed at it and its kubeconfig are
    written under the drctl home (`sandbox/plan.yaml`).

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
        for line in _exports(current.state, secrets=True):
            typer.echo(line)
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
    target: str = typer.Argument(
        ..., help="The region (e.g. ap-northeast-1) or AZ (e.g. ap-northeast-1a) to fail."
    ),
    json_out: JsonOption = False,
) -> None:
    """Fail a region or an AZ of the running sandbox.

    A region: its app answers 503, replication out of it stops, its AWS APIs answer 503.
    An AZ: its simulated Kubernetes nodes stop reporting Ready and their pods go.
    `drctl run` against the sandbox takes the fault's start as the failure instant.

    Example: drctl sandbox fail ap-northeast-1 && drctl run .drctl/sandbox/plan.yaml --scenario region-failure --auto-approve
    """
    with sandbox_extra():
        from drctl_sandbox.faults import request
    fault = request(_control_url(), "/fail", {"target": target})
    if json_out:
        print_json(fault)
        return
    what = "region" if fault["kind"] == "region" else "availability zone"
    console.print(f"{what} {fault['target']} failed at {fault['failed_at']}", markup=False)
    console.print(
        "drctl run against the sandbox measures from then on (or give --failure-at "
        f"{fault['failed_at']})",
        markup=False,
    )


@sandbox_app.command()
def heal(json_out: JsonOption = False) -> None:
    """Undo `drctl sandbox fail`: apps serve again, replication resumes, APIs answer, nodes are Ready.

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
