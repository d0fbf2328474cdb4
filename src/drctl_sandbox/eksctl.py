"""The sandbox's `eksctl`: `eksctl create cluster -f FILE` against the sandbox's EKS API.

It reads an eksctl ClusterConfig (`apiVersion: eksctl.io/v1alpha5`: `metadata.name`,
`region`, `version`, `availabilityZones`, `managedNodeGroups`/`nodeGroups`), creates what
eksctl's CloudFormation stacks would (IAM roles, a VPC with one subnet per AZ, the control
plane, one managed nodegroup per entry) through boto3 on `AWS_ENDPOINT_URL`, and waits as
eksctl does for each to be `ACTIVE`, at most `--timeout` (eksctl's default 25m, AWS time at
`DRCTL_TIME_SCALE`). Log lines and errors are shaped like eksctl's: `[ℹ]` progress on
stderr, `Error: ...` and exit 1 on failure. `DemoEnvironment` puts it first on PATH.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import yaml
from botocore.exceptions import BotoCoreError, ClientError

from drctl.plan.durations import parse_duration

API_VERSION = "eksctl.io/v1alpha5"
KNOWN = {"apiVersion", "kind", "metadata", "availabilityZones", "managedNodeGroups", "nodeGroups"}
GROUP_KNOWN = {
    "name", "instanceType", "desiredCapacity", "minSize", "maxSize", "availabilityZones",
    "labels", "tags", "volumeSize",
}  # fmt: skip
POLL_AWS_SECONDS = 20.0
USAGE = "usage: eksctl create cluster -f FILE [--timeout 25m] | eksctl version"


class EksctlError(Exception):
    """What eksctl prints after `Error: ` before it exits 1."""


def log(symbol: str, message: str) -> None:
    """One eksctl-style log line: `2026-01-02 15:04:05 [ℹ]  message`."""
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M:%S")  # eksctl logs local time
    print(f"{stamp} [{symbol}]  {message}", file=sys.stderr, flush=True)


def load_config(path: Path) -> dict[str, Any]:
    """The ClusterConfig at `path`; `EksctlError` worded like eksctl's when it is not one."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise EksctlError(f"reading config file {str(path)!r}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise EksctlError(f"loading config file {str(path)!r}: {exc}") from None
    if not isinstance(data, dict) or data.get("kind") != "ClusterConfig":
        raise EksctlError(f"loading config file {str(path)!r}: kind must be ClusterConfig")
    if data.get("apiVersion") != API_VERSION:
        raise EksctlError(f"loading config file {str(path)!r}: apiVersion must be {API_VERSION}")
    meta = data.get("metadata") or {}
    for field in ("name", "region"):
        if not meta.get(field):
            raise EksctlError(f"metadata.{field} must be set in {str(path)!r}")
    ignored = sorted(set(data) - KNOWN) + sorted(
        f"{section}[].{key}"
        for section in ("managedNodeGroups", "nodeGroups")
        for group in data.get(section) or []
        for key in set(group) - GROUP_KNOWN
    )
    if ignored:
        log("!", f"the sandbox's eksctl does not model {', '.join(ignored)} (ignored)")
    return data


class ClusterBuilder:
    """Creates one ClusterConfig's cluster and nodegroups, waiting like eksctl."""

    def __init__(self, config: dict[str, Any], *, timeout: float, scale: float) -> None:
        self.config = config
        self.name: str = config["metadata"]["name"]
        self.region: str = config["metadata"]["region"]
        self.timeout, self.scale = timeout, scale
        self.eks = boto3.client("eks", region_name=self.region)
        self.ec2 = boto3.client("ec2", region_name=self.region)
        self.iam = boto3.client("iam", region_name=self.region)

    def create(self) -> None:
        if self.name in self.eks.list_clusters()["clusters"]:
            raise EksctlError(
                f'creating CloudFormation stack "eksctl-{self.name}-cluster": '
                f"cluster {self.name!r} already exists in {self.region}"
            )
        zones = self.zones()
        log("ℹ", f"setting availability zones to [{' '.join(zones)}]")
        subnets = self.network(zones)
        version = str(self.config["metadata"].get("version", "1.29"))
        log("ℹ", f'building cluster stack "eksctl-{self.name}-cluster"')
        self.eks.create_cluster(
            name=self.name,
            version=version,
            roleArn=self.role("cluster-ServiceRole", "eks.amazonaws.com"),
            resourcesVpcConfig={"subnetIds": list(subnets.values())},
            tags={"alpha.eksctl.io/cluster-name": self.name},
        )
        self.wait(
            f'cluster "{self.name}"', lambda: self.eks.describe_cluster(name=self.name)["cluster"]
        )
        for group in self.groups():
            self.nodegroup(group, subnets)
        log("✔", f'EKS cluster "{self.name}" in "{self.region}" region is ready')

    def groups(self) -> list[dict[str, Any]]:
        """Managed and unmanaged entries; both become EKS managed nodegroups here."""
        return [
            *(self.config.get("managedNodeGroups") or []),
            *(self.config.get("nodeGroups") or []),
        ]

    def zones(self) -> list[str]:
        wanted = self.config.get("availabilityZones")
        if wanted:
            return [str(z) for z in wanted]
        listed = self.ec2.describe_availability_zones()["AvailabilityZones"]
        return sorted(str(z["ZoneName"]) for z in listed)[:3]

    def network(self, zones: Sequence[str]) -> dict[str, str]:
        """eksctl's default VPC 192.168.0.0/16 with a /19 per AZ: zone -> subnet id."""
        tag = [
            {
                "ResourceType": "vpc",
                "Tags": [{"Key": "Name", "Value": f"eksctl-{self.name}-cluster/VPC"}],
            }
        ]
        vpc = self.ec2.create_vpc(CidrBlock="192.168.0.0/16", TagSpecifications=tag)["Vpc"]["VpcId"]
        return {
            zone: self.ec2.create_subnet(
                VpcId=vpc, CidrBlock=f"192.168.{32 * i}.0/19", AvailabilityZone=zone
            )["Subnet"]["SubnetId"]
            for i, zone in enumerate(zones)
        }

    def role(self, purpose: str, service: str) -> str:
        name = f"eksctl-{self.name}-{purpose}"[:64]
        trust = (
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
            f'{{"Service":"{service}"}},"Action":"sts:AssumeRole"}}]}}'
        )
        try:
            return str(self.iam.get_role(RoleName=name)["Role"]["Arn"])
        except self.iam.exceptions.NoSuchEntityException:
            return str(
                self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
            )

    def nodegroup(self, group: dict[str, Any], subnets: dict[str, str]) -> None:
        name = str(group["name"])
        desired = int(group.get("desiredCapacity", 2))  # eksctl's defaults
        size = {
            "desiredSize": desired,
            "minSize": int(group.get("minSize", desired)),
            "maxSize": int(group.get("maxSize", max(desired, 1))),
        }
        zones = group.get("availabilityZones") or list(subnets)
        log("ℹ", f'building managed nodegroup stack "eksctl-{self.name}-nodegroup-{name}"')
        self.eks.create_nodegroup(
            clusterName=self.name,
            nodegroupName=name,
            scalingConfig=size,
            subnets=[subnets[z] for z in zones if z in subnets] or list(subnets.values()),
            nodeRole=self.role(f"nodegroup-{name}-NodeInstanceRole", "ec2.amazonaws.com"),
            instanceTypes=[str(group.get("instanceType", "m5.large"))],
            labels={str(k): str(v) for k, v in (group.get("labels") or {}).items()},
        )
        self.wait(
            f'nodegroup "{name}"',
            lambda: self.eks.describe_nodegroup(clusterName=self.name, nodegroupName=name)[
                "nodegroup"
            ],
        )

    def wait(self, what: str, read: Callable[[], dict[str, Any]]) -> None:
        """Poll until `read()` is ACTIVE, at most `timeout` AWS seconds (eksctl's --timeout)."""
        log("ℹ", f"waiting for {what} to become ACTIVE")
        deadline = time.monotonic() + self.timeout * self.scale
        while (status := read()["status"]) != "ACTIVE":
            if status in ("FAILED", "CREATE_FAILED", "DELETING"):
                raise EksctlError(f"{what} is {status}")
            if time.monotonic() > deadline:
                raise EksctlError(f"waiting for {what} to become ACTIVE: exceeded max wait time")
            time.sleep(max(0.02, POLL_AWS_SECONDS * self.scale))


def _create_cluster(args: list[str]) -> None:
    options = dict(re.findall(r"(-f|--config-file|--timeout)[= ](\S+)", " ".join(args)))
    path = options.get("-f") or options.get("--config-file")
    if path is None:
        raise EksctlError(f"the sandbox's eksctl needs a config file ({USAGE})")
    timeout = parse_duration(options.get("--timeout", "25m")).total_seconds()
    scale = float(os.environ.get("DRCTL_TIME_SCALE") or 1.0)
    config = load_config(Path(path))
    log("ℹ", f"eksctl (drctl sandbox stand-in) using region {config['metadata']['region']}")
    ClusterBuilder(config, timeout=timeout, scale=scale).create()


def main(argv: Sequence[str] | None = None) -> int:
    """`eksctl ARGS`: 0 on success, 1 with `Error: ...` on stderr, as eksctl exits."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["version"]:
            print("0.0.0-drctl-sandbox")
        elif args[:2] == ["create", "cluster"]:
            _create_cluster(args[2:])
        else:
            raise EksctlError(
                f"unknown command {shlex.join(args)!r} for the sandbox's eksctl ({USAGE})"
            )
    except EksctlError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except (ClientError, BotoCoreError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


def install_wrapper(directory: Path) -> Path:
    """Write an `eksctl` script into `directory` that runs this module with this Python."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "eksctl"
    python = shlex.quote(sys.executable)
    script.write_text(f'#!/bin/sh\nexec {python} -m drctl_sandbox.eksctl "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return script


if __name__ == "__main__":
    sys.exit(main())
