"""`SimulatedCluster`: what a test or the demo puts into the fake cluster, and the faults it injects.

`seed_cluster()` mirrors the seed's my-cluster: nodegroup ng-1 with one t3.medium node in
each of three AZs, the EKS system pods, and the application's deployments. Delays are
seconds on the clock the cluster was given; `None` means "never".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from drctl_sandbox.kube.cluster import Behaviour, Key, ObjectStore, PodPlan, short_hash
from drctl_sandbox.kube.controllers import ZONE_LABEL, choose_node, condition, refresh
from drctl_sandbox.kube.objects import Json

SEED_ZONES = ("ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")
APP_LOGS = ("starting my-app", "listening on :8080")
CRASH_LOGS = ("starting my-app", "error: dial tcp 10.0.3.12:5432: connect: connection refused")


class SimulatedCluster:
    """Seeding helpers and fault injection over the fake API server's object store."""

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    @contextmanager
    def _locked(self) -> Iterator[ObjectStore]:
        with self.store.lock:
            yield self.store
            refresh(self.store)

    def seed_cluster(
        self,
        *,
        region: str = "ap-northeast-1",
        zones: Sequence[str] = SEED_ZONES,
        nodes_per_az: int = 1,
        deployments: Mapping[str, int] | None = None,
        ready_after: float | None = 0.0,
        node_count: int | None = None,
    ) -> None:
        """The seed's my-cluster: ng-1 across `zones`, system pods, `deployments` ("ns/name": replicas)."""
        if node_count is not None:  # exactly this many, spread over the zones
            for n in range(node_count):
                z = n % len(zones)
                self.add_node(f"ip-10-0-{z + 1}-{10 + n}.{region}.compute.internal", zones[z])
        for z, zone in enumerate(zones if node_count is None else ()):
            for n in range(nodes_per_az):
                self.add_node(f"ip-10-0-{z + 1}-{10 + n}.{region}.compute.internal", zone)
        self.add_daemonset("kube-system", "aws-node")
        self.add_daemonset("kube-system", "kube-proxy")
        self.add_deployment("kube-system", "coredns", 2)
        self.add_service("default", "kubernetes", "ClusterIP", 443, cluster_ip="10.100.0.1")
        self.add_service("kube-system", "kube-dns", "ClusterIP", 53, cluster_ip="10.100.0.10")
        for ref, replicas in (
            deployments if deployments is not None else {"my-app/web": 3}
        ).items():
            namespace, name = ref.split("/")
            self.add_deployment(namespace, name, replicas, ready_after=ready_after)
            self.add_service(namespace, name, "LoadBalancer", 80, region=region)

    def add_node(
        self,
        name: str,
        zone: str,
        *,
        ready: bool = True,
        nodegroup: str = "ng-1",
        unschedulable: bool = False,
    ) -> None:
        """A node labelled with its zone and EKS nodegroup (optionally cordoned by someone else)."""
        labels = {
            ZONE_LABEL: zone,
            "topology.kubernetes.io/region": zone[:-1],
            "kubernetes.io/hostname": name,
            "eks.amazonaws.com/nodegroup": nodegroup,
            "node.kubernetes.io/instance-type": "t3.medium",
        }
        with self._locked() as store:
            node: Json = {
                "metadata": {"name": name, "labels": labels},
                "spec": {"providerID": f"aws:///{zone}/i-{short_hash(name, 17)}"}
                | ({"unschedulable": True} if unschedulable else {}),
                "status": {"conditions": [condition("Ready", ready, "KubeletReady")]},
            }
            store.put("nodes", node)

    def add_deployment(
        self, namespace: str, name: str, replicas: int, *, ready_after: float | None = 0.0
    ) -> None:
        """A Deployment with `replicas` pods spread over zones; Ready after `ready_after` s (None: crash)."""
        spec = self._template_spec(name)
        with self._locked() as store:
            store.put(
                "deployments",
                {
                    "metadata": {"name": name, "namespace": namespace},
                    "spec": {**spec, "replicas": replicas},
                },
            )
            rs = f"{name}-{short_hash(name, 9)}"
            for i in range(replicas):
                self._add_pod(
                    store,
                    namespace,
                    f"{rs}-{short_hash(f'{rs}{i}')}",
                    ("deployments", namespace, name),
                    ready_after,
                    "ReplicaSet",
                    rs,
                )

    def add_statefulset(
        self, namespace: str, name: str, replicas: int, *, ready_after: float | None = 0.0
    ) -> None:
        """A StatefulSet with pods `name-0..n-1`."""
        spec = self._template_spec(name)
        with self._locked() as store:
            store.put(
                "statefulsets",
                {
                    "metadata": {"name": name, "namespace": namespace},
                    "spec": {**spec, "replicas": replicas, "serviceName": name},
                },
            )
            for i in range(replicas):
                self._add_pod(
                    store,
                    namespace,
                    f"{name}-{i}",
                    ("statefulsets", namespace, name),
                    ready_after,
                    "StatefulSet",
                    name,
                )

    def add_daemonset(self, namespace: str, name: str) -> None:
        """A DaemonSet with one Ready pod per node (drains leave these alone)."""
        with self._locked() as store:
            store.put(
                "daemonsets",
                {
                    "metadata": {"name": name, "namespace": namespace},
                    "spec": self._template_spec(name),
                },
            )
            for node in store.items("nodes"):
                pod = f"{name}-{short_hash(node['metadata']['name'])}"
                self._add_pod(
                    store,
                    namespace,
                    pod,
                    ("daemonsets", namespace, name),
                    0.0,
                    "DaemonSet",
                    name,
                    node["metadata"]["name"],
                )

    def add_job(
        self, namespace: str, name: str, *, complete_after: float | None = 0.0, failure: str = ""
    ) -> None:
        """A Job that completes after `complete_after` s, never (None), or fails with `failure`."""
        with self._locked() as store:
            spec = {"template": self._template_spec(name)["template"], "backoffLimit": 6}
            store.put(
                "jobs",
                {"metadata": {"name": name, "namespace": namespace}, "spec": spec, "status": {}},
            )
            key: Key = ("jobs", namespace, name)
            store.behaviours[key] = Behaviour(complete_after, failure, store.clock.monotonic())
            ready = None if failure or complete_after is None else 0.0
            self._add_pod(store, namespace, f"{name}-{short_hash(name)}", key, ready, "Job", name)

    def add_pdb(
        self, namespace: str, name: str, app: str, *, min_available: int | str | None = None,
        max_unavailable: int | str | None = None,
    ) -> None:  # fmt: skip
        """A policy/v1 PodDisruptionBudget selecting pods labelled `app=<app>`."""
        spec: Json = {"selector": {"matchLabels": {"app": app}}}
        if min_available is not None:
            spec["minAvailable"] = min_available
        if max_unavailable is not None:
            spec["maxUnavailable"] = max_unavailable
        with self._locked() as store:
            store.put(
                "poddisruptionbudgets",
                {"metadata": {"name": name, "namespace": namespace}, "spec": spec},
            )

    def set_pdb(self, namespace: str, name: str, **spec: int | str) -> None:
        """Change a PodDisruptionBudget's spec (e.g. release a blocking budget)."""
        with self._locked() as store:
            pdb = store.get("poddisruptionbudgets", namespace, name)
            pdb["spec"] = {"selector": pdb["spec"]["selector"], **spec}

    def add_service(
        self,
        namespace: str,
        name: str,
        type_: str,
        port: int,
        *,
        cluster_ip: str = "",
        region: str = "ap-northeast-1",
    ) -> None:
        """A Service; LoadBalancers get an ELB hostname in the cluster's `region` like on EKS."""
        ip = cluster_ip or f"10.100.{len(self.store.items('services')) + 1}.{port % 250}"
        spec = {
            "type": type_,
            "clusterIP": ip,
            "ports": [{"port": port, "protocol": "TCP", "targetPort": port}],
            "selector": {"app": name},
        }
        status: Json = {"loadBalancer": {}}
        if type_ == "LoadBalancer":
            host = f"a{short_hash(name, 16)}-123456789.{region}.elb.amazonaws.com"
            status["loadBalancer"] = {"ingress": [{"hostname": host}]}
        with self._locked() as store:
            store.put(
                "services",
                {
                    "metadata": {"name": name, "namespace": namespace},
                    "spec": spec,
                    "status": status,
                },
            )

    def add_external_secret(
        self, namespace: str, name: str, *, ready_after: float | None = 0.0, failure: str = ""
    ) -> None:
        """An external-secrets.io/v1beta1 ExternalSecret syncing from AWS Secrets Manager."""
        spec = {
            "refreshInterval": "1h",
            "secretStoreRef": {"name": "aws-secrets-manager", "kind": "ClusterSecretStore"},
            "target": {"name": name, "creationPolicy": "Owner"},
            "data": [{"secretKey": "password", "remoteRef": {"key": f"{namespace}/{name}"}}],
        }
        with self._locked() as store:
            store.put(
                "externalsecrets",
                {"metadata": {"name": name, "namespace": namespace}, "spec": spec, "status": {}},
            )
            store.behaviours[("externalsecrets", namespace, name)] = Behaviour(
                ready_after, failure, store.clock.monotonic()
            )

    def add_flux(
        self, kind: str, namespace: str, name: str, *, reconcile_after: float | None = 1.0,
        failure: str = "", suspended: bool = False,
    ) -> None:  # fmt: skip
        """A Flux Kustomization or HelmRelease that handles a reconcile request after a delay."""
        plural = {"Kustomization": "kustomizations", "HelmRelease": "helmreleases"}[kind]
        spec: Json = {"interval": "10m", "suspend": suspended}
        if kind == "Kustomization":
            spec |= {
                "path": f"./apps/{name}",
                "prune": True,
                "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
            }
        else:
            spec |= {
                "chart": {
                    "spec": {"chart": name, "sourceRef": {"kind": "HelmRepository", "name": name}}
                }
            }
        ready = condition("Ready", True, "ReconciliationSucceeded", "Applied revision: main@sha1:0")
        status = {"observedGeneration": 1, "conditions": [ready]}
        with self._locked() as store:
            store.put(
                plural,
                {
                    "metadata": {"name": name, "namespace": namespace},
                    "spec": spec,
                    "status": status,
                },
            )
            store.behaviours[(plural, namespace, name)] = Behaviour(reconcile_after, failure)

    def fail_zone(self, zone: str) -> None:
        """An AZ failure: its nodes stop reporting (Ready=Unknown) and their pods go unready."""
        with self._locked() as store:
            for node in store.items("nodes"):
                if node["metadata"]["labels"].get(ZONE_LABEL) == zone:
                    node["status"]["conditions"] = [
                        condition(
                            "Ready",
                            None,
                            "NodeStatusUnknown",
                            "Kubelet stopped posting node status.",
                        )
                    ]
                    node["spec"]["taints"] = [
                        {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}
                    ]

    def heal_zone(self, zone: str) -> None:
        """The AZ is back: its nodes report Ready again and lose the unreachable taint."""
        with self._locked() as store:
            for node in store.items("nodes"):
                if node["metadata"]["labels"].get(ZONE_LABEL) == zone:
                    node["status"]["conditions"] = [condition("Ready", True, "KubeletReady")]
                    node["spec"]["taints"] = [
                        t
                        for t in node["spec"].get("taints", [])
                        if t.get("key") != "node.kubernetes.io/unreachable"
                    ]

    def set_node_ready(self, name: str, ready: bool) -> None:
        """A node's kubelet reports Ready (or not) from now on."""
        with self._locked() as store:
            for node in store.items("nodes"):
                if node["metadata"]["name"] == name:
                    node["status"]["conditions"] = [condition("Ready", ready, "KubeletReady")]

    def never_ready(self, namespace: str, name: str) -> None:
        """Make one pod crash-loop from now on."""
        with self._locked() as store:
            store.pods[("pods", namespace, name)].ready_at = None

    def set_reschedule_delay(self, seconds: float) -> None:
        """How long pods recreated after an eviction take to become Ready."""
        with self._locked() as store:
            store.reschedule_delay = seconds

    def pods(self, namespace: str | None = None) -> list[Json]:
        """Copies of the pods (for assertions)."""
        with self._locked() as store:
            return [store.snapshot(p) for p in store.items("pods", namespace)]

    def node(self, name: str) -> Json:
        """A copy of one node (for assertions)."""
        with self._locked() as store:
            return store.snapshot(store.get("nodes", "", name))

    @staticmethod
    def _template_spec(app: str) -> Json:
        return {
            "selector": {"matchLabels": {"app": app}},
            "template": {
                "metadata": {"labels": {"app": app}},
                "spec": {"containers": [{"name": app, "image": f"public.ecr.aws/drctl/{app}:1.0"}]},
            },
        }

    def _add_pod(
        self, store: ObjectStore, namespace: str, name: str, owner: Key, ready_after: float | None,
        owner_kind: str, owner_name: str, node: str | None = None,
    ) -> None:  # fmt: skip
        template = store.get(*owner)["spec"]["template"]
        labels = {**template["metadata"]["labels"], "pod-template-hash": short_hash(owner_name, 9)}
        reference = {
            "apiVersion": "apps/v1" if owner_kind != "Job" else "batch/v1",
            "kind": owner_kind,
            "name": owner_name,
            "uid": "",
            "controller": True,
        }
        pod: Json = {
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": labels,
                "ownerReferences": [reference],
            },
            "spec": {
                "nodeName": node or choose_node(store, owner),
                "containers": template["spec"]["containers"],
            },
            "status": {},
        }
        store.put("pods", pod)
        ready_at = None if ready_after is None else store.clock.monotonic() + ready_after
        logs = CRASH_LOGS if ready_after is None else APP_LOGS
        store.pods[("pods", namespace, name)] = PodPlan(ready_at, owner, logs)
