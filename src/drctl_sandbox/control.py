"""Run the sandbox as a long-lived process and find it again: state and pid under `.drctl/sandbox/`.

`serve()` runs the whole world of a plan in this process until SIGINT/SIGTERM: the
`DemoEnvironment` (moto with drctl's additions, sample apps, one simulated Kubernetes API
per EKS cluster, ArgoCD/Flux) plus an authoritative DNS server for its hosted zones and
the fault control port; it writes the plan pointed at the sandbox (`plan.yaml`) and its
`kubeconfig.yaml` next to `state.json`. `start_detached()` runs `serve()` in a background
process and waits until it is ready, `stop()` ends it, and `status()` says whether it is
running. `state.json` holds what a user needs to reach it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from drctl.errors import ConfigError
from drctl.plan.load import load_plan
from drctl.settings import Settings
from drctl_sandbox.estate.model import AppEndpoint

if TYPE_CHECKING:
    from drctl.measure.standing import StandingCanary
    from drctl_sandbox.demo_env import DemoEnvironment


class SandboxState(BaseModel):
    """What `state.json` records about a running sandbox."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pid: int
    endpoint_url: str
    env: dict[str, str]
    plan: str
    regions: list[str]
    apps: dict[str, AppEndpoint]
    record_name: str | None
    started_at: datetime
    log: str | None = None
    control_url: str | None = None
    sandbox_plan: str | None = None
    """The plan pointed at the sandbox: `drctl run` it."""
    kubeconfig: str | None = None
    """The kubeconfig of the simulated clusters (one context per EKS cluster and region)."""
    bin_dir: str | None = None
    """The stand-in commands' directory (`eksctl`): `sandbox status --env` puts it first on PATH."""

    def run_command(self, scenario: str = "region-failure") -> str:
        """How to run the sandbox plan's `scenario` by hand."""
        return f"drctl run {self.sandbox_plan} --scenario {scenario} --auto-approve"


class SandboxStatus(BaseModel):
    """Whether the recorded sandbox answers, and its state."""

    model_config = ConfigDict(frozen=True)

    running: bool
    state: SandboxState | None
    reason: str = ""


def state_dir(home: Path) -> Path:
    return home / "sandbox"


def state_file(home: Path) -> Path:
    return state_dir(home) / "state.json"


def read_state(home: Path) -> SandboxState | None:
    """The recorded sandbox, or None when none was started here."""
    path = state_file(home)
    if not path.exists():
        return None
    try:
        return SandboxState.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigError(
            f"{path} is not a sandbox state file: {exc}",
            hint=f"remove {path} and start the sandbox again",
        ) from exc


def _write_state(home: Path, state: SandboxState) -> None:
    path = state_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(state.model_dump_json(indent=2), encoding="utf-8")
    tmp.replace(path)


def serve(
    plan_path: Path, home: Path, *, port: int = 0, health_interval: float = 1.0,
    log: Path | None = None, on_ready: Callable[[SandboxState], None] | None = None,
    time_scale: float | None = None, latencies: Path | None = None,
) -> None:  # fmt: skip
    """Run the plan's sandbox world in this process until SIGINT or SIGTERM; keep `state.json` meanwhile."""
    # moto is heavy: only the serving process loads it.
    from drctl_sandbox.aws.dns_server import AuthoritativeDns
    from drctl_sandbox.demo_env import DemoEnvironment
    from drctl_sandbox.faults import FaultControl
    from drctl_sandbox.latencies import LatencyTable

    plan = load_plan(plan_path)  # a bad plan: a file:line error before anything starts
    table = LatencyTable.load(latencies) if latencies else None
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    world = DemoEnvironment(
        state_dir(home), plan_path, time_scale=time_scale, latency_table=table, port=port,
        health_interval=health_interval, written_by="drctl sandbox up",
    )  # fmt: skip
    with world:
        sb = world.sandbox
        dns = AuthoritativeDns().start()
        faults = FaultControl(world).start()
        standing: StandingCanary | None = None
        try:
            record = next(iter(sb.estate.dns.values()), None)
            env = {**world.env(), "KUBECONFIG": str(world.kubeconfig_path),
                   "DRCTL_DNS_SERVERS": json.dumps([dns.address]),
                   "DRCTL_SANDBOX_CONTROL_URL": faults.url}  # fmt: skip
            state = SandboxState(
                pid=os.getpid(), endpoint_url=sb.endpoint_url, env=env, plan=str(plan_path),
                regions=[plan.regions.primary, plan.regions.secondary], apps=sb.app_endpoints(),
                record_name=record.record_name if record else None, started_at=datetime.now(UTC),
                log=str(log) if log else None, control_url=faults.url,
                sandbox_plan=str(world.plan_path), kubeconfig=str(world.kubeconfig_path),
                bin_dir=str(world.bin_dir),
            )  # fmt: skip
            _write_state(home, state)
            standing = _standing_canary(world, home)
            if on_ready is not None:
                on_ready(state)
            stop.wait()
        finally:
            if standing is not None:
                standing.stop()
            faults.stop()
            dns.stop()
            if (current := read_state(home)) is not None and current.pid == os.getpid():
                state_file(home).unlink(missing_ok=True)


def _standing_canary(world: DemoEnvironment, home: Path) -> StandingCanary | None:
    """The plan's canary writing to the primary from now on, as a team runs `drctl canary`:
    a failure injected later with `drctl sandbox fail` has writes before it to lose."""
    from drctl.measure.standing import standing_canary

    if world.plan is None:
        return None
    state_url = Settings(home=home).state_database_url()
    canary = standing_canary(world.plan, world.settings(), state_url)
    if canary is None:
        return None
    canary.start()
    return canary


def start_detached(
    plan_path: Path, home: Path, *, port: int = 0, health_interval: float = 1.0, wait: float = 60.0,
    time_scale: float | None = None, latencies: Path | None = None,
) -> SandboxState:  # fmt: skip
    """Start `serve()` in a background process and return its state once it is ready."""
    current = status(home)
    if current.running and current.state is not None:
        raise ConfigError(
            f"a sandbox is already running at {current.state.endpoint_url} (pid {current.state.pid})",
            hint="`drctl sandbox down` stops it",
        )
    state_file(home).unlink(missing_ok=True)
    state_dir(home).mkdir(parents=True, exist_ok=True)
    log = state_dir(home) / "sandbox.log"
    code = (
        "import sys; from pathlib import Path; from drctl_sandbox.control import serve; "
        "serve(Path(sys.argv[1]), Path(sys.argv[2]), port=int(sys.argv[3]), "
        "health_interval=float(sys.argv[4]), log=Path(sys.argv[5]), "
        "time_scale=float(sys.argv[6]) or None, latencies=Path(sys.argv[7]) if sys.argv[7] else None)"
    )
    args = [
        str(plan_path.resolve()),
        str(home.resolve()),
        str(port),
        str(health_interval),
        str(log.resolve()),
        str(time_scale or 0),
        str(latencies.resolve()) if latencies else "",
    ]
    with log.open("ab") as out:
        child = subprocess.Popen(
            [sys.executable, "-c", code, *args],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    return _await_ready(child, home, log, wait)


def _await_ready(
    child: subprocess.Popen[bytes], home: Path, log: Path, wait: float
) -> SandboxState:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        state = read_state(home)
        if state is not None and state.pid == child.pid:
            return state
        if child.poll() is not None:
            tail = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
            raise ConfigError(
                f"the sandbox process exited with code {child.returncode}: {' / '.join(tail)}",
                hint=f"see {log}",
            )
        time.sleep(0.1)
    child.kill()
    raise ConfigError(f"the sandbox was not ready after {wait:.0f}s", hint=f"see {log}")


def _alive(pid: int) -> bool:
    """Is `pid` a live process? A zombie (exited, not yet reaped by its new parent) is not."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        state = stat.read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no procfs (macOS): the signal check above is all we have
    return state not in ("Z", "X")


def _answers(endpoint_url: str) -> bool:
    host, port = endpoint_url.removeprefix("http://").rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1.0).close()
    except OSError:
        return False
    return True


def status(home: Path) -> SandboxStatus:
    """Is the sandbox recorded under `home` running and answering?"""
    state = read_state(home)
    if state is None:
        return SandboxStatus(running=False, state=None, reason="no sandbox was started here")
    if not _alive(state.pid):
        return SandboxStatus(running=False, state=state, reason=f"process {state.pid} is gone")
    if not _answers(state.endpoint_url):
        return SandboxStatus(
            running=False, state=state, reason=f"{state.endpoint_url} does not answer"
        )
    return SandboxStatus(running=True, state=state)


def stop(home: Path, wait: float = 10.0) -> SandboxStatus:
    """Stop the recorded sandbox (SIGTERM, then SIGKILL after `wait`) and forget it."""
    before = status(home)
    state = before.state
    if state is not None and _alive(state.pid):
        os.kill(state.pid, signal.SIGTERM)
        deadline = time.monotonic() + wait
        while _alive(state.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _alive(state.pid):
            os.kill(state.pid, signal.SIGKILL)
    state_file(home).unlink(missing_ok=True)
    return before
