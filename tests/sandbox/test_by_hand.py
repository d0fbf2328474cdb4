"""A drill by hand: `drctl sandbox up`, `sandbox fail`, `drctl run` the sandbox plan, `runs show`.

Every command is a real subprocess, as a user types them; the run reaches the sandbox only
through the environment `drctl sandbox status --env` prints.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow  # a background sandbox and a whole measured run

DRCTL = [sys.executable, "-c", "from drctl.cli import main; main()"]
EXAMPLES = Path(__file__).parents[2] / "examples"
SCRUBBED = ("AWS_ENDPOINT_URL", "KUBECONFIG", "ARGOCD_AUTH_TOKEN", "DRCTL_TIME_SCALE",
            "DRCTL_DNS_SERVERS", "DRCTL_SANDBOX_CONTROL_URL", "AWS_DEFAULT_REGION")  # fmt: skip


def drctl(
    home: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 90
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    return subprocess.run(
        [*DRCTL, *args], env={**base, **(env or {}), "DRCTL_HOME": str(home)},
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def exports(text: str) -> dict[str, str]:
    """`export NAME=value` lines as a shell would read them."""
    pairs = [shlex.split(line.removeprefix("export "))[0] for line in text.splitlines()]
    return {name: os.path.expandvars(value) for name, value in (p.split("=", 1) for p in pairs)}


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


class World:
    def __init__(self, home: Path, state: dict[str, Any]) -> None:
        self.home, self.state = home, state
        listed = drctl(home, "sandbox", "status", "--env")
        assert listed.returncode == 0, listed.stderr
        self.env = exports(listed.stdout)

    def run(self, scenario: str) -> dict[str, Any]:
        """`drctl run` the sandbox plan, then what `drctl runs show RUN --json` says of it."""
        ran = drctl(self.home, "run", self.state["sandbox_plan"], "--scenario", scenario,
                    "--auto-approve", "--json", env=self.env, timeout=240)  # fmt: skip
        assert ran.returncode == 0, ran.stdout[-2000:] + ran.stderr[-3000:]
        run_id = json.loads(ran.stdout)["id"]
        shown = drctl(self.home, "runs", "show", run_id, "--json", env=self.env)
        assert shown.returncode == 0, shown.stderr
        data: dict[str, Any] = json.loads(shown.stdout)
        return data


@pytest.fixture
def world(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    home = tmp_path / ".drctl"
    plan: list[str] = ["--plan", str(request.param)] if getattr(request, "param", None) else []
    up = drctl(home, "sandbox", "up", "--detach", "--json", "--time-scale", "0.02", *plan)
    assert up.returncode == 0, up.stderr
    state = json.loads(up.stdout)
    try:
        yield World(home, state)
        down = drctl(home, "sandbox", "down")
        assert down.returncode == 0, down.stderr
        assert not alive(state["pid"])
    finally:
        if alive(state["pid"]):
            os.kill(state["pid"], signal.SIGKILL)


def assert_measured_from(
    fault: dict[str, Any], measured: dict[str, Any], *, service_down: bool = True
) -> None:
    failed_at = datetime.fromisoformat(fault["failed_at"])
    assert measured["failure_source"] == "sandbox"
    assert datetime.fromisoformat(measured["failure_at"]) == failed_at
    assert f"drctl sandbox fail {fault['target']}" in measured["failure_detail"]
    recovered = datetime.fromisoformat(measured["recovered_at"])
    # RTO is the first sustained success after the failure: later if the service went down.
    assert recovered > failed_at if service_down else recovered >= failed_at
    assert measured["rto_seconds"] == pytest.approx((recovered - failed_at).total_seconds())


@pytest.mark.parametrize("world", [None], indirect=True)
def test_up_fail_the_primary_region_then_run_by_hand_measures_rto_and_rpo(world: World) -> None:
    state = world.state
    plan = Path(state["sandbox_plan"])
    assert plan == (world.home / "sandbox" / "plan.yaml").resolve()
    assert "Written by `drctl sandbox up`" in plan.read_text(encoding="utf-8")
    assert {"KUBECONFIG", "ARGOCD_AUTH_TOKEN", "DRCTL_TIME_SCALE", "DRCTL_SANDBOX_CONTROL_URL",
            "DRCTL_DNS_SERVERS", "AWS_ENDPOINT_URL"} <= world.env.keys()  # fmt: skip
    assert world.env["KUBECONFIG"] == state["kubeconfig"]
    status = drctl(world.home, "sandbox", "status")
    assert status.returncode == 0
    assert (
        f"run it: drctl run {plan} --scenario region-failure --auto-approve"
        in status.stdout.replace("\n", " ")
    )
    assert world.env["ARGOCD_AUTH_TOKEN"] not in status.stdout  # only `--env` prints it

    failed = drctl(world.home, "sandbox", "fail", "ap-northeast-1", "--json")
    assert failed.returncode == 0, failed.stderr
    fault = json.loads(failed.stdout)
    assert (fault["target"], fault["kind"]) == ("ap-northeast-1", "region")

    shown = world.run("region-failure")
    assert shown["status"] == "succeeded"
    measured = shown["measured"]
    assert_measured_from(fault, measured)
    # The run's own canary starts after the region failed; the sandbox's standing canary
    # (as a team runs `drctl canary`) wrote before it, so the RPO is measured from its writes.
    assert measured["rpo_source"] == "standing"
    assert measured["rpo_seconds"] is not None and measured["lost_writes"] is not None
    # DynamoDB global tables replicate within about a second of AWS time: 0.02 s of wall
    # time here, plus the replicator's pass and one canary interval (0.2 s).
    assert 0 <= measured["rpo_seconds"] <= 0.3


@pytest.mark.parametrize("world", [None], indirect=True)
def test_up_fail_an_az_then_run_the_az_failure_by_hand(world: World) -> None:
    kubeconfig = Path(world.state["kubeconfig"])
    unknown = drctl(world.home, "sandbox", "fail", "ap-northeast-1z")
    assert unknown.returncode == 2
    assert "no such region or availability zone" in unknown.stderr
    assert "ap-northeast-1, ap-southeast-1" in unknown.stderr
    assert "ap-northeast-1a" in unknown.stderr and "ap-southeast-1c" in unknown.stderr

    failed = drctl(world.home, "sandbox", "fail", "ap-northeast-1a", "--json")
    assert failed.returncode == 0, failed.stderr
    fault = json.loads(failed.stdout)
    assert (fault["target"], fault["kind"]) == ("ap-northeast-1a", "az")
    nodes = node_readiness(kubeconfig, "primary")
    assert nodes and {zone for zone, ready in nodes if not ready} == {"ap-northeast-1a"}

    shown = world.run("az-failure")
    assert shown["status"] == "succeeded"
    # The sample apps are regional processes, not pods on the lost AZ's nodes: the service
    # may stay up through an AZ failure, so its RTO may be 0.
    assert_measured_from(fault, shown["measured"], service_down=False)

    healed = drctl(world.home, "sandbox", "heal", "--json")
    assert [f["target"] for f in json.loads(healed.stdout)] == ["ap-northeast-1a"]
    assert all(ready for _, ready in node_readiness(kubeconfig, "primary"))


def node_readiness(kubeconfig: Path, context: str) -> list[tuple[str, bool]]:
    """(zone, Ready) of each node of the simulated cluster behind `context`, over its API."""
    import httpx
    import yaml

    config = yaml.safe_load(kubeconfig.read_text(encoding="utf-8"))
    server = next(c["cluster"]["server"] for c in config["clusters"] if c["name"] == context)
    token = next(u["user"]["token"] for u in config["users"] if u["name"] == context)
    items = httpx.get(
        f"{server}/api/v1/nodes", headers={"Authorization": f"Bearer {token}"}
    ).json()["items"]
    return [
        (
            n["metadata"]["labels"]["topology.kubernetes.io/zone"],
            any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"]["conditions"]),
        )
        for n in items
    ]


@pytest.mark.parametrize("world", [EXAMPLES / "pilot-light.yaml"], indirect=True)
def test_a_plan_of_another_shape_fails_its_own_primary_and_runs_by_hand(world: World) -> None:
    primary = world.state["regions"][0]
    assert "pilot-light" in Path(world.state["sandbox_plan"]).read_text(encoding="utf-8")
    failed = drctl(world.home, "sandbox", "fail", primary, "--json")
    assert failed.returncode == 0, failed.stderr
    shown = world.run("region-failure")
    assert shown["status"] == "succeeded"
    assert_measured_from(json.loads(failed.stdout), shown["measured"])
