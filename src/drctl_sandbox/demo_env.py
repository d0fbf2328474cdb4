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
from drctl.plan.resources import EksCluster, GitOps, Secrets
from drctl.settings import Settings
from drctl_sandbox.eksctl import install_wrapper
from drctl_sandbox.estate.model import SEED_PLAN
from drctl_sandbox.kube.api import FakeKubeApi
from drctl_sandbox.kube.argocd import IN_CLUSTER, FakeArgoCd
from drctl_sandbox.kube.node_joins import NodeJoins
from drctl_sandbox.kube.simulation import SimulatedCluster
from drctl_sandbox.latencies import LatencyTable
from drctl_sandbox.loopback import DEFAULT_ADDRESSES, shared_free_port
from drctl_sandbox.runtime import Sandbox

SIMULATED = (
    "AWS APIs: moto server with drctl's additions (health checks, failover DNS, replication, "
    "Aurora global failover, CloudTrail); Kubernetes and ArgoCD: simulated API servers; "
    "Route 53 health checks every 1 s instead of 10 s."
)


class DemoEnvironment:
    """Starts everything the demo runs against and stops it again.

    Everything is derived from the plan (`seed`, by default the seed estate): one simulated
    Kubernetes API per EKS cluster of the plan, with nodes in the plan's AZs (the region's
    `a`/`b`/`c` zones, written into the plan, when it names none) and a `web` deployment per
    namespace; the plan's External Secrets; ArgoCD or Flux only when the plan has a gitops
    resource, with its applications; an availability probe against the plan's Route 53 record.
    """

    def __init__(
        self,
        out_dir: Path,
        seed: Path = SEED_PLAN,
        *,
        time_scale: float | None = None,
        latency_table: LatencyTable | None = None,
        port: int = 0,
        health_interval: float = 1.0,
        written_by: str = "drctl demo",
    ) -> None:
        self.out_dir = out_dir
        self.seed = seed
        self.time_scale = time_scale
        self.latency_table = latency_table
        self.port = port
        """The AWS endpoint's port (0: any free port)."""
        self.health_interval = health_interval
        self.written_by = written_by
        """Who wrote the pointed plan, for its header (`drctl demo`, `drctl sandbox up`)."""
        self._joins: NodeJoins | None = None
        self.kube: dict[str, FakeKubeApi] = {}
        """The simulated API server of each kubeconfig context (one per EKS cluster)."""
        self.contexts: dict[tuple[str, str], str] = {}
        """(eks-cluster resource name, region) -> its kubeconfig context."""
        self.argocd = FakeArgoCd()
        self._argocd_started = False
        self._sandbox: Sandbox | None = None
        self._environ_before: dict[str, str | None] = {}
        self.plan: Plan | None = None

    @property
    def sandbox(self) -> Sandbox:
        assert self._sandbox is not None, "start() first"
        return self._sandbox

    @property
    def plan_path(self) -> Path:
        """The plan pointed at the sandbox (written by `start()`)."""
        return (self.out_dir / "plan.yaml").resolve()

    @property
    def kubeconfig_path(self) -> Path:
        """The kubeconfig of the simulated API servers, one context per EKS cluster."""
        return (self.out_dir / "kubeconfig.yaml").resolve()

    @property
    def bin_dir(self) -> Path:
        """Where the sandbox's stand-in commands (`eksctl`) are written: first on PATH."""
        return (self.out_dir / "bin").resolve()

    def env(self) -> dict[str, str]:
        """What a process needs to reach this world: the sandbox's AWS env, ArgoCD's token."""
        pointed = {**self.sandbox.env()}
        if self._argocd_started:
            pointed["ARGOCD_AUTH_TOKEN"] = self.argocd.token
        return pointed

    def zones(self) -> dict[str, list[str]]:
        """The AZs of each region that has simulated nodes, in the plan's order."""
        assert self.plan is not None
        zones: dict[str, list[str]] = {}
        for eks in self.plan.resources_of(EksCluster):
            for region in eks.clusters:
                for zone in eks.availability_zones.get(region) or default_zones(region):
                    if zone not in zones.setdefault(region, []):
                        zones[region].append(zone)
        return zones

    def fail_zone(self, zone: str) -> None:
        """An AZ failure: the zone's nodes in every simulated cluster stop reporting Ready."""
        for (_, region), context in self.contexts.items():
            if zone in self.zones().get(region, []):
                self.kube[context].cluster.fail_zone(zone)

    def heal_zone(self, zone: str) -> None:
        """Undo `fail_zone`: the zone's nodes report Ready again and take pods."""
        for (_, region), context in self.contexts.items():
            if zone in self.zones().get(region, []):
                self.kube[context].cluster.heal_zone(zone)

    def cluster_api(self, region: str, eks: str | None = None) -> FakeKubeApi:
        """The simulated API server of `eks`'s cluster (default: the first) in `region`."""
        for (name, r), context in self.contexts.items():
            if r == region and eks in (None, name):
                return self.kube[context]
        raise KeyError(f"no simulated EKS cluster in {region}")

    def start(self) -> DemoEnvironment:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        port = shared_free_port(DEFAULT_ADDRESSES)
        data = yaml.safe_load(self.seed.read_text(encoding="utf-8"))
        self._make_apis(data)
        self.plan = self._write_plan(data, port)
        self._seed_clusters()
        self._sandbox = Sandbox(
            self.plan,
            port=self.port,
            app_port=port,
            health_interval=self.health_interval,
            time_scale=self.time_scale,
            latency_table=self.latency_table,
        ).start()
        # The sandbox's eksctl first on PATH: backup-restore rebuilds clusters with it.
        eksctl_dir = install_wrapper(self.bin_dir).parent
        pointed = {**self.env(), "PATH": f"{eksctl_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
        self._environ_before = {name: os.environ.get(name) for name in pointed}
        os.environ.update(pointed)
        return self

    def settings(self) -> Settings:
        """drctl settings that send every AWS call to the sandbox."""
        return Settings(
            aws_endpoint_url=self.sandbox.endpoint_url, time_scale=self.time_scale or 1.0
        )

    def region_of(self, address: str) -> str | None:
        """Which region's app listens on `address`."""
        return next((r for r, e in self.sandbox.app_endpoints().items() if e.host == address), None)

    def _make_apis(self, data: dict[str, Any]) -> None:
        """One API server per EKS cluster of the plan; ArgoCD only if a gitops resource uses it."""
        roles = {data["regions"]["primary"]: "primary", data["regions"]["secondary"]: "dr"}
        eks = [r for r in data.get("resources", []) if r.get("kind") == "eks-cluster"]
        for n, res in enumerate(eks):
            for region in res.get("clusters", {}):
                role = roles.get(region, region)
                context = role if n == 0 else f"{res['name']}-{role}"
                self.contexts[(res["name"], region)] = context
                self.kube[context] = FakeKubeApi()
        for api in self.kube.values():
            api.start()
        if any(
            r.get("kind") == "gitops" and r.get("tool", "argocd") == "argocd"
            for r in data.get("resources", [])
        ):
            self.argocd.start()
            self._argocd_started = True

    def _write_plan(self, data: dict[str, Any], port: int) -> Plan:
        primary, dr = data["regions"]["primary"], data["regions"]["secondary"]
        kubeconfig = self._write_kubeconfig()
        for res in data["resources"]:
            adapt = _ADAPT.get(res["kind"])
            if adapt is not None:
                adapt(res, primary=primary, dr=dr, port=port, kubeconfig=str(kubeconfig), env=self)
        record = _record(data)
        if record is not None:
            # The probe is a user's write: it succeeds once the serving region's database is writable.
            probes = data.setdefault("probes", {}) or {}
            data["probes"] = probes
            availability = probes.setdefault("availability", {}) or {}
            probes["availability"] = availability
            availability["url"] = f"http://{record}:{port}/write"
            availability["method"] = "POST"
            availability["interval"] = "250ms"
        name = data.get("metadata", {}).get("name", "the plan")
        data.setdefault("metadata", {})["description"] = (
            f"The plan {name}, pointed at the offline sandbox by `{self.written_by}`"
        )
        path = self.plan_path
        header = f"# Written by `{self.written_by}`: {self.seed.name} pointed at the sandbox.\n"
        path.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return load_plan(path)

    def _write_kubeconfig(self) -> Path:
        contexts = self.kube
        dr = next(iter(c for c in contexts if c == "dr"), next(iter(contexts), ""))
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": n, "cluster": {"server": api.url}} for n, api in contexts.items()
            ],
            "users": [{"name": n, "user": {"token": api.token}} for n, api in contexts.items()],
            "contexts": [{"name": n, "context": {"cluster": n, "user": n}} for n in contexts],
            "current-context": dr,
        }
        path = self.kubeconfig_path
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        path.chmod(0o600)
        return path

    def _seed_clusters(self) -> None:
        assert self.plan is not None
        regions = self.plan.regions
        joining: dict[tuple[str, str], SimulatedCluster] = {}
        zones: dict[str, list[str]] = {}
        for eks in self.plan.resources_of(EksCluster):
            deployments = {f"{ns}/web": 3 for ns in eks.namespaces}
            for region, cluster_name in eks.clusters.items():
                cluster = self.kube[self.contexts[(eks.name, region)]].cluster
                region_zones = eks.availability_zones.get(region) or default_zones(region)
                zones.setdefault(region, list(region_zones))
                if region != regions.secondary:
                    cluster.seed_cluster(region=region, zones=region_zones, deployments=deployments)
                    continue
                # Faithful: the DR cluster has its standby nodes; a scale-out's nodes join later.
                standby = sum(ng.standby.desired for ng in eks.nodegroups)
                cluster.seed_cluster(
                    region=region,
                    zones=region_zones,
                    deployments=deployments,
                    ready_after=2.0,
                    node_count=standby if self.time_scale else None,
                )
                joining[(region, cluster_name)] = cluster
        if self.time_scale and joining:
            self._joins = NodeJoins(joining, zones).start()
        self._seed_secrets()
        self._seed_gitops()

    def _seed_secrets(self) -> None:
        """The plan's External Secrets in every cluster that has their namespace."""
        assert self.plan is not None
        for secrets in self.plan.resources_of(Secrets):
            external = secrets.external_secrets
            if external is None:
                continue
            for (eks_name, region), context in self.contexts.items():
                eks = next(e for e in self.plan.resources_of(EksCluster) if e.name == eks_name)
                delay = 1.0 if region == self.plan.regions.secondary else 0.0
                for ns in external.namespaces:
                    if ns not in eks.namespaces:
                        continue
                    for secret_id in secrets.secrets_manager:
                        if "/" in secret_id and not secret_id.startswith(f"{ns}/"):
                            continue
                        self.kube[context].cluster.add_external_secret(
                            ns, secret_id.rsplit("/", 1)[-1], ready_after=delay
                        )

    def _seed_gitops(self) -> None:
        """ArgoCD applications or Flux Kustomizations of the plan's gitops resources."""
        assert self.plan is not None
        namespaces = [ns for e in self.plan.resources_of(EksCluster) for ns in e.namespaces]
        for gitops in self.plan.resources_of(GitOps):
            apps = [a for a in gitops.applications if a != "*"]
            if "*" in gitops.applications:
                apps += [ns for ns in dict.fromkeys(namespaces) if ns not in apps]
            if gitops.tool == "argocd":
                # The applications deploy to the DR cluster, as the seed's ApplicationSet does.
                dr = gitops.clusters.get(self.plan.regions.secondary, IN_CLUSTER)
                for app in apps:
                    self.argocd.add_app(app, destination=dr, sync_after=1.0)
                continue
            for (_, region), context in self.contexts.items():
                if region == self.plan.regions.secondary:
                    for app in apps:
                        self.kube[context].cluster.add_flux("Kustomization", "flux-system", app)

    def stop(self) -> None:
        if self._joins is not None:
            self._joins.stop()
        if self._sandbox is not None:
            self._sandbox.stop()
        for api in self.kube.values():
            api.stop()
        if self._argocd_started:
            self.argocd.stop()
        # What start() pointed at the sandbox goes back as it was (this process lives on).
        for name, value in self._environ_before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._environ_before = {}

    def __enter__(self) -> DemoEnvironment:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def default_zones(region: str) -> tuple[str, ...]:
    """The AZs a plan that names none gets in the sandbox (Tokyo has no usable 1b)."""
    if region == "ap-northeast-1":
        return ("ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")
    return (f"{region}a", f"{region}b", f"{region}c")


def _record(data: dict[str, Any]) -> str | None:
    records = [r["record"] for r in data["resources"] if r["kind"] == "route53-failover"]
    return str(records[0]) if records else None


def _dns(res: dict[str, Any], *, primary: str, dr: str, port: int, **_: Any) -> None:
    res["primary"] = {"region": primary, "value": DEFAULT_ADDRESSES[0]}
    res["secondary"] = {"region": dr, "value": DEFAULT_ADDRESSES[1]}
    res["health_check"] = {**res.get("health_check", {}), "protocol": "HTTP", "port": port}


def _eks(res: dict[str, Any], *, kubeconfig: str, env: DemoEnvironment, **_: Any) -> None:
    res["kubeconfig"] = kubeconfig
    res["contexts"] = {r: env.contexts[(res["name"], r)] for r in res.get("clusters", {})}
    zones = res.setdefault("availability_zones", {})
    for region in res.get("clusters", {}):
        zones.setdefault(region, list(default_zones(region)))
    # The plan's own eksctl configs, wherever the written plan and the run's cwd are.
    configs = res.get("eksctl_configs") or {}
    res["eksctl_configs"] = {r: str((env.seed.parent / p).resolve()) for r, p in configs.items()}


def _gitops(res: dict[str, Any], *, env: DemoEnvironment, **_: Any) -> None:
    if res.get("tool", "argocd") == "argocd":
        res["server"] = env.argocd.url
    regions = res.get("clusters") or {r: "" for (_, r) in env.contexts}
    res["clusters"] = {r: env.cluster_api(r).url for r in regions}


_ADAPT: dict[str, Callable[..., None]] = {
    "route53-failover": _dns,
    "eks-cluster": _eks,
    "gitops": _gitops,
}
