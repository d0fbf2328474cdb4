"""`drctl sandbox up --detach | status | down` as a user runs them: real subprocesses."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

pytestmark = pytest.mark.slow  # starts a real background sandbox process

DRCTL = [sys.executable, "-c", "from drctl.cli import main; main()"]


def drctl(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DRCTL_HOME": str(home)}
    return subprocess.run(
        [*DRCTL, *args], env=env, capture_output=True, text=True, timeout=90, check=False
    )


def alive(pid: int) -> bool:
    """Running, not merely a zombie nobody has reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


@pytest.fixture
def detached(tmp_path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    home = tmp_path / ".drctl"
    started = drctl(home, "sandbox", "up", "--detach", "--json")
    assert started.returncode == 0, started.stderr
    state = json.loads(started.stdout)
    try:
        yield home, state
    finally:
        if alive(state["pid"]):
            os.kill(state["pid"], signal.SIGKILL)


def test_up_detach_prints_endpoint_and_env_that_reach_the_estate_then_status_and_down(
    detached: tuple[Path, dict[str, Any]],
) -> None:
    home, state = detached
    env = state["env"]
    assert env["AWS_ENDPOINT_URL"] == state["endpoint_url"]
    assert env["AWS_DEFAULT_REGION"] == "ap-northeast-1"
    eks = boto3.client(
        "eks",
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_DEFAULT_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
    )
    assert eks.list_clusters()["clusters"] == ["my-cluster"]
    app = state["apps"]["ap-southeast-1"]
    assert httpx.get(f"http://{app['host']}:{app['port']}/").json()["region"] == "ap-southeast-1"

    status = drctl(home, "sandbox", "status", "--json")
    assert status.returncode == 0
    assert json.loads(status.stdout)["state"]["pid"] == state["pid"]
    exports = drctl(home, "sandbox", "status", "--env").stdout.splitlines()
    assert f"export AWS_ENDPOINT_URL={state['endpoint_url']}" in exports
    assert "export AWS_DEFAULT_REGION=ap-northeast-1" in exports

    again = drctl(home, "sandbox", "up", "--detach")
    assert again.returncode == 2
    assert f"already running at {state['endpoint_url']}" in again.stderr
    assert "drctl sandbox down" in again.stderr

    down = drctl(home, "sandbox", "down")
    assert down.returncode == 0
    assert f"stopped the sandbox at {state['endpoint_url']}" in down.stdout
    assert not alive(state["pid"])
    status = drctl(home, "sandbox", "status")
    assert status.returncode == 1
    assert "sandbox not running: no sandbox was started here" in status.stdout


def test_status_env_puts_the_sandbox_eksctl_first_on_path_for_a_shell(
    detached: tuple[Path, dict[str, Any]],
) -> None:
    home, state = detached
    drctl_command = shlex.join([*DRCTL, "sandbox", "status", "--env"])
    shell = subprocess.run(
        ["sh", "-c", f'eval "$({drctl_command})" && command -v eksctl && eksctl version'],
        env={**os.environ, "DRCTL_HOME": str(home)},
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert shell.returncode == 0, shell.stderr
    found, version = shell.stdout.split()
    assert found == str((home / "sandbox" / "bin" / "eksctl").resolve())
    assert version == "0.0.0-drctl-sandbox"
    assert state["bin_dir"] == str((home / "sandbox" / "bin").resolve())


def test_status_notices_a_killed_sandbox_and_down_forgets_it(
    detached: tuple[Path, dict[str, Any]],
) -> None:
    home, state = detached
    os.kill(state["pid"], signal.SIGKILL)
    status = drctl(home, "sandbox", "status")
    assert status.returncode == 1
    assert f"process {state['pid']} is gone" in status.stdout
    assert drctl(home, "sandbox", "down").returncode == 0
    assert not (home / "sandbox" / "state.json").exists()


def test_status_without_a_sandbox_exits_1(tmp_path: Path) -> None:
    status = drctl(tmp_path, "sandbox", "status")
    assert (status.returncode, status.stdout.strip()) == (
        1,
        "sandbox not running: no sandbox was started here",
    )


def test_fail_and_heal_a_region_of_a_running_sandbox_from_another_process(
    detached: tuple[Path, dict[str, Any]],
) -> None:
    home, state = detached
    primary, dr = state["apps"]["ap-northeast-1"], state["apps"]["ap-southeast-1"]
    primary_url = f"http://{primary['host']}:{primary['port']}"
    dr_url = f"http://{dr['host']}:{dr['port']}"
    assert httpx.post(f"{primary_url}/write").status_code == 200
    read_only = httpx.post(f"{dr_url}/write")
    assert read_only.status_code == 503
    assert read_only.json()["reason"] == "Aurora cluster orders-apse1 is a read-only secondary"

    failed = drctl(home, "sandbox", "fail", "ap-northeast-1", "--json")
    assert failed.returncode == 0, failed.stderr
    fault = json.loads(failed.stdout)
    assert fault["target"] == "ap-northeast-1" and fault["failed_at"]
    assert httpx.get(f"{primary_url}/health").status_code == 503
    rds = boto3.client("rds", region_name="ap-northeast-1", endpoint_url=state["endpoint_url"],
                       aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    with pytest.raises(Exception, match=r"503|ServiceUnavailable|Unavailable"):
        rds.describe_db_clusters()

    unknown = drctl(home, "sandbox", "fail", "eu-west-1")
    assert unknown.returncode == 2
    assert "cannot fail 'eu-west-1': the sandbox's plan has no such region" in unknown.stderr
    assert "fail a region (ap-northeast-1, ap-southeast-1) or an AZ (ap-northeast-1a," in (
        unknown.stderr.replace("\n", " ")
    )

    healed = drctl(home, "sandbox", "heal", "--json")
    assert healed.returncode == 0, healed.stderr
    assert [f["target"] for f in json.loads(healed.stdout)] == ["ap-northeast-1"]
    assert httpx.get(f"{primary_url}/health").status_code == 200


def test_up_with_a_time_scale_serves_aws_state_machines_and_exports_the_scale(
    tmp_path: Path,
) -> None:
    home = tmp_path / ".drctl"
    latencies = tmp_path / "latencies.yaml"
    latencies.write_text("latencies:\n  aurora_global_failover: 30m\n", encoding="utf-8")
    started = drctl(
        home, "sandbox", "up", "--detach", "--json", "--time-scale", "0.01",
        "--latencies", str(latencies),
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    state = json.loads(started.stdout)
    try:
        env = state["env"]
        assert env["DRCTL_TIME_SCALE"] == "0.01"
        rds = boto3.client(
            "rds",
            endpoint_url=env["AWS_ENDPOINT_URL"],
            region_name="ap-southeast-1",
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        )
        target = rds.describe_db_clusters(DBClusterIdentifier="orders-apse1")["DBClusters"][0]
        rds.failover_global_cluster(
            GlobalClusterIdentifier="orders-global",
            TargetDbClusterIdentifier=target["DBClusterArn"],
            AllowDataLoss=True,
        )
        gc = rds.describe_global_clusters(GlobalClusterIdentifier="orders-global")[
            "GlobalClusters"
        ][0]
        assert gc["FailoverState"]["ToDbClusterArn"] == target["DBClusterArn"]  # 30 AWS min: 18 s
        assert drctl(home, "sandbox", "down").returncode == 0
    finally:
        if alive(state["pid"]):
            os.kill(state["pid"], signal.SIGKILL)
