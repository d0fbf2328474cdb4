"""The demo's world: the AWS sandbox, simulated Kubernetes and ArgoCD, and a plan that points at them.

The demo plan is the seed estate with the addresses only the sandbox knows filled in:
failover records answer the sample apps on 127.0.0.2 / 127.0.0.3, the health checks probe
their port over HTTP, the clusters are reached through a kubeconfig of the simulated API
servers, and ArgoCD is the simulated one. It is written next to the report, so what ran
can be read and re-validated.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from drctl.plan.load import load_plan
from drctl.plan.model import Plan
from drctl.plan.resources import EksCluster
from drctl.settings import Settings
from drctl_sandbox.estate.model import SEED_PLAN
from drctl_sandbox.kube.api import FakeKubeApi
from drctl_sandbox.kube.argocd import FakeArgoCd
from drctl_sandbox.kube.node_joins import NodeJoins
from drctl_sandbox.latencies import LatencyTable
from drctl_sandbox.loopback import DEFAULT_ADDRESSES, shared_free_port
from drctl_sandbox.runtime import Sandbox

SIMULATED = (
    "AWS APIs: moto server with drctl's additions (health checks, failover DNS, replication, "
    "Aurora global failover, CloudTrail); Kubernetes and ArgoCD: simulated API servers; "
    "Route 53 health checks every 1 s instead of 10 s."
)


class DemoEnvironment:
    """Starts everything the demo runs against and stops it again."""

    def __init__(
        self,
        out_dir: Path,
        seed: Path = SEED_PLAN,
        *,
        time_scale: float | None = None,
        latency_table: LatencyTable | None = None,
    ) -> None:
        self.out_dir = out_dir
        self.seed = seed
        self.time_scale = time_scale
        self.latency_table = latency_table
        self._joins: NodeJoins | None = None
        self.kube = {"primary": FakeKubeApi(), "dr": FakeKubeApi()}
        self.argocd = FakeArgoCd()
        self._sandbox: Sandbox | None = None
        self.plan: Plan | None = None

    @property
    def sandbox(self) -> Sandbox:
        assert self._sandbox is not None, "start() first"
        return self._sandbox

    def start(self) -> DemoEnvironment:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for api in (*self.kube.values(), self.argocd):
            api.start()
        port = shared_free_port(DEFAULT_ADDRESSES)
        data = yaml.safe_load(self.seed.read_text(encoding="utf-8"))
        self.plan = self._write_plan(data, port)
        self._seed_clusters()
        self._sandbox = Sandbox(
            self.plan,
            app_port=port,
            health_interval=1.0,
            time_scale=self.time_scale,
            latency_table=self.latency_table,
        ).start()
        os.environ.update(self.sandbox.env())
        os.environ["ARGOCD_AUTH_TOKEN"] = self.argocd.token
        return self

    def settings(self) -> Settings:
        """drctl settings that send every AWS call to the sandbox."""
        return Settings(
            aws_endpoint_url=self.sandbox.endpoint_url, time_scale=self.time_scale or 1.0
        )

    def region_of(self, address: str) -> str | None:
        """Which region's app listens on `address`."""
        return next((r for r, e in self.sandbox.app_endpoints().items() if e.host == address), None)

    def _write_plan(self, data: dict[str, Any], port: int) -> Plan:
        primary, dr = data["regions"]["primary"], data["regions"]["secondary"]
        kubeconfig = self._write_kubeconfig()
        for res in data["resources"]:
            adapt = _ADAPT.get(res["kind"])
            if adapt is not None:
                adapt(res, primary=primary, dr=dr, port=port, kubeconfig=str(kubeconfig), env=self)
        # The probe is a user's write: it succeeds once the serving region's database is writable.
        data["probes"]["availability"]["url"] = f"http://{_record(data)}:{port}/write"
        data["probes"]["availability"]["method"] = "POST"
        data["probes"]["availability"]["interval"] = "250ms"
        data["metadata"]["description"] = (
            "The seed estate, pointed at the offline sandbox by `drctl demo`"
        )
        path = self.out_dir / "plan.yaml"
        header = "# Written by `drctl demo`: the seed estate pointed at the sandbox.\n"
        path.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return load_plan(path)

    def _write_kubeconfig(self) -> Path:
        contexts = {"primary": self.kube["primary"], "dr": self.kube["dr"]}
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": n, "cluster": {"server": api.url}} for n, api in contexts.items()
            ],
            "users": [{"name": n, "user": {"token": api.token}} for n, api in contexts.items()],
            "contexts": [{"name": n, "context": {"cluster": n, "user": n}} for n in contexts],
            "current-context": "dr",
        }
        path = self.out_dir / "kubeconfig.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        path.chmod(0o600)
        return path.resolve()

    def _seed_clusters(self) -> None:
        assert self.plan is not None
        regions = self.plan.regions
        zones = {
            r: z
            for eks in self.plan.resources
            for r, z in getattr(eks, "availability_zones", {}).items()
        }
        primary = self.kube["primary"].cluster
        primary.seed_cluster(region=regions.primary, zones=zones[regions.primary])
        primary.add_external_secret("my-app", "db-credentials", ready_after=0.0)
        dr = self.kube["dr"].cluster
        # Faithful: the DR cluster has its standby nodes; a scale-out's nodes join later.
        standby = sum(
            ng.standby.desired
            for eks in self.plan.resources_of(EksCluster)
            for ng in eks.nodegroups
        )
        dr.seed_cluster(
            region=regions.secondary,
            zones=zones[regions.secondary],
            ready_after=2.0,
            node_count=standby if self.time_scale else None,
        )
        if self.time_scale:
            clusters = {
                (regions.secondary, eks.clusters[regions.secondary]): dr
                for eks in self.plan.resources_of(EksCluster)
                if regions.secondary in eks.clusters
            }
            self._joins = NodeJoins(clusters, zones).start()
        dr.add_external_secret("my-app", "db-credentials", ready_after=1.0)
        self.argocd.seed_apps(sync_after=1.0)

    def stop(self) -> None:
        if self._joins is not None:
            self._joins.stop()
        if self._sandbox is not None:
            self._sandbox.stop()
        for api in (*self.kube.values(), self.argocd):
            api.stop()

    def __enter__(self) -> DemoEnvironment:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _record(data: dict[str, Any]) -> str:
    return str(next(r["record"] for r in data["resources"] if r["kind"] == "route53-failover"))


def _dns(res: dict[str, Any], *, primary: str, dr: str, port: int, **_: Any) -> None:
    res["primary"] = {"region": primary, "value": DEFAULT_ADDRESSES[0]}
    res["secondary"] = {"region": dr, "value": DEFAULT_ADDRESSES[1]}
    res["health_check"] = {**res.get("health_check", {}), "protocol": "HTTP", "port": port}


def _eks(res: dict[str, Any], *, primary: str, dr: str, kubeconfig: str, **_: Any) -> None:
    res["kubeconfig"] = kubeconfig
    res["contexts"] = {primary: "primary", dr: "dr"}


def _gitops(res: dict[str, Any], *, primary: str, dr: str, env: DemoEnvironment, **_: Any) -> None:
    res["server"] = env.argocd.url
    res["clusters"] = {primary: env.kube["primary"].url, dr: env.kube["dr"].url}


_ADAPT: dict[str, Callable[..., None]] = {
    "route53-failover": _dns,
    "eks-cluster": _eks,
    "gitops": _gitops,
}
