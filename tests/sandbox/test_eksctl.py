"""The sandbox's eksctl, run as a real subprocess against the sandbox's EKS API in scaled time."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.sandbox.conftest import SECONDARY, Client

from drctl_sandbox import latencies
from drctl_sandbox.aws.server import SandboxServer
from drctl_sandbox.eksctl import install_wrapper
from drctl_sandbox.latencies import LatencyTable

SCALE = 0.005  # 200 AWS seconds per wall second
CONFIG = """\
apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {{name: {name}, region: ap-southeast-1, version: "1.29"}}
availabilityZones: [ap-southeast-1a, ap-southeast-1b]
managedNodeGroups:
  - {{name: ng-1, instanceType: t3.medium, desiredCapacity: 3, minSize: 2, maxSize: 4}}
"""


@pytest.fixture
def faithful() -> Iterator[LatencyTable]:
    """AWS's control plane (15 min) and nodegroup (3 min) creation at SCALE."""
    table = LatencyTable(
        {
            "eks_control_plane_create": timedelta(minutes=15),
            "eks_nodegroup_create": timedelta(minutes=3),
        }
    )
    with latencies.in_force(table, SCALE) as used:
        yield used


def eksctl(server: SandboxServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    binary = install_wrapper(tmp_path / "bin")
    env = {**os.environ, **server.env(), "DRCTL_TIME_SCALE": str(SCALE)}
    return subprocess.run(
        [str(binary), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def config(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(CONFIG.format(name=name), encoding="utf-8")
    return path


def test_create_cluster_waits_for_the_control_plane_and_the_nodegroup(
    server: SandboxServer, aws: Client, tmp_path: Path, faithful: LatencyTable
) -> None:
    started = time.monotonic()
    done = eksctl(server, tmp_path, "create", "cluster", "-f", str(config(tmp_path, "shop")))
    took = time.monotonic() - started

    assert done.returncode == 0, done.stderr
    assert took >= (15 + 3) * 60 * SCALE  # 5.4 s: control plane, then the nodegroup
    assert 'EKS cluster "shop" in "ap-southeast-1" region is ready' in done.stderr
    eks = aws("eks", SECONDARY)
    assert eks.describe_cluster(name="shop")["cluster"]["status"] == "ACTIVE"
    group = eks.describe_nodegroup(clusterName="shop", nodegroupName="ng-1")["nodegroup"]
    assert (group["status"], group["instanceTypes"]) == ("ACTIVE", ["t3.medium"])
    assert group["scalingConfig"] == {"minSize": 2, "maxSize": 4, "desiredSize": 3}
    assert len(group["subnets"]) == 2


def test_create_cluster_of_an_existing_cluster_exits_1_like_eksctl(
    server: SandboxServer, aws: Client, tmp_path: Path
) -> None:
    path = config(tmp_path, "twice")
    assert eksctl(server, tmp_path, "create", "cluster", "-f", str(path)).returncode == 0

    again = eksctl(server, tmp_path, "create", "cluster", "-f", str(path))

    assert again.returncode == 1
    assert again.stderr.strip().splitlines()[-1] == (
        'Error: creating CloudFormation stack "eksctl-twice-cluster": '
        "cluster 'twice' already exists in ap-southeast-1"
    )


def test_create_cluster_gives_up_after_its_timeout(
    server: SandboxServer, tmp_path: Path, faithful: LatencyTable
) -> None:
    path = config(tmp_path, "slow")
    done = eksctl(server, tmp_path, "create", "cluster", "-f", str(path), "--timeout", "5m")

    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == (
        'Error: waiting for cluster "slow" to become ACTIVE: exceeded max wait time'
    )


def test_bad_input_is_one_error_line_and_exit_1(server: SandboxServer, tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("apiVersion: v1\nkind: Pod\n", encoding="utf-8")

    cases = {
        ("create", "cluster", "-f", str(missing)): (
            f"Error: reading config file '{missing}': No such file or directory"
        ),
        ("create", "cluster", "-f", str(wrong)): (
            f"Error: loading config file '{wrong}': kind must be ClusterConfig"
        ),
        ("delete", "cluster"): (
            "Error: unknown command 'delete cluster' for the sandbox's eksctl "
            "(usage: eksctl create cluster -f FILE [--timeout 25m] | eksctl version)"
        ),
    }
    for args, error in cases.items():
        done = eksctl(server, tmp_path, *args)
        assert (done.returncode, done.stderr.strip()) == (1, error)
