"""Frozen read models of pods, nodes and workloads, and the list calls that produce them.

The `kubernetes` client's objects stop here: actions reason about `PodView`, `NodeView`
and `WorkloadView` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from drctl.model import Frozen
from drctl.providers.kube.access import KubeConnection
from drctl.providers.kube.errors import kube_errors

ZONE_LABEL = "topology.kubernetes.io/zone"
CORDONED_BY = "drctl.io/cordoned-by"
ALL = "*"


class View(Frozen):
    """Base of the read models."""


class PodView(View):
    """What drctl needs to know about a pod."""

    namespace: str
    name: str
    node: str | None
    phase: str
    ready: bool
    status: str  # kubectl's STATUS column: a waiting reason, Terminating, or the phase
    ready_containers: int
    containers: int
    restarts: int
    owner_kind: str | None
    created: datetime | None
    terminating: bool
    pod_ip: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    @property
    def finished(self) -> bool:
        return self.phase in ("Succeeded", "Failed")

    @property
    def drainable(self) -> bool:
        """Pods `kubectl drain --ignore-daemonsets` evicts: not DaemonSet-owned, not finished."""
        return self.owner_kind != "DaemonSet" and not self.finished

    def describe(self) -> str:
        return f"{self.ref} ({self.status})" if self.status != "Running" else self.ref


class NodeView(View):
    """A node, its zone and whether it can take pods."""

    name: str
    zone: str
    ready: bool
    unschedulable: bool
    cordoned_by: str | None

    @property
    def schedulable(self) -> bool:
        return self.ready and not self.unschedulable


class WorkloadView(View):
    """A Deployment or StatefulSet: wanted vs available replicas."""

    kind: str
    namespace: str
    name: str
    wanted: int
    available: int
    updated: int
    current_generation: bool

    @property
    def ref(self) -> str:
        return f"{self.kind.lower()} {self.namespace}/{self.name}"

    @property
    def ok(self) -> bool:
        return (
            self.current_generation
            and self.available >= self.wanted
            and self.updated >= self.wanted
        )


def _condition_true(conditions: Sequence[Any] | None, kind: str) -> bool:
    return any(c.type == kind and c.status == "True" for c in conditions or [])


def pod_view(pod: Any) -> PodView:
    """A `V1Pod` as a `PodView`."""
    status, meta = pod.status, pod.metadata
    containers = status.container_statuses or []
    waiting = [c.state.waiting.reason for c in containers if c.state and c.state.waiting]
    label = "Terminating" if meta.deletion_timestamp else (waiting[0] if waiting else status.phase)
    owners = meta.owner_references or []
    return PodView(
        namespace=meta.namespace,
        name=meta.name,
        node=pod.spec.node_name,
        phase=status.phase or "Unknown",
        ready=_condition_true(status.conditions, "Ready"),
        status=label or "Unknown",
        ready_containers=sum(bool(c.ready) for c in containers),
        containers=len(pod.spec.containers or []),
        restarts=sum(c.restart_count or 0 for c in containers),
        owner_kind=next((o.kind for o in owners if o.controller), None),
        created=meta.creation_timestamp,
        terminating=meta.deletion_timestamp is not None,
        pod_ip=status.pod_ip,
    )


def node_view(node: Any) -> NodeView:
    """A `V1Node` as a `NodeView`."""
    meta = node.metadata
    return NodeView(
        name=meta.name,
        zone=(meta.labels or {}).get(ZONE_LABEL, ""),
        ready=_condition_true(node.status.conditions, "Ready"),
        unschedulable=bool(node.spec.unschedulable),
        cordoned_by=(meta.annotations or {}).get(CORDONED_BY),
    )


def list_pods(kube: KubeConnection, namespaces: Sequence[str], selector: str = "") -> list[PodView]:
    """Pods in `namespaces` (`*` for all) matching a label selector."""
    with kube_errors(kube.server, "list pods"):
        if ALL in namespaces:
            found = kube.core.list_pod_for_all_namespaces(
                label_selector=selector, _request_timeout=kube.timeout
            ).items
        else:
            found = [
                pod
                for ns in namespaces
                for pod in kube.core.list_namespaced_pod(
                    ns, label_selector=selector, _request_timeout=kube.timeout
                ).items
            ]
    return [pod_view(p) for p in found]


def list_nodes(kube: KubeConnection, selector: str = "") -> list[NodeView]:
    """Nodes matching a label selector."""
    with kube_errors(kube.server, "list nodes"):
        found = kube.core.list_node(label_selector=selector, _request_timeout=kube.timeout).items
    return [node_view(n) for n in found]


def zone_nodes(kube: KubeConnection, zone: str, selector: str = "") -> list[NodeView]:
    """The nodes of one availability zone (optionally narrowed by a label selector)."""
    return list_nodes(kube, ",".join(s for s in (f"{ZONE_LABEL}={zone}", selector) if s))


def list_workloads(
    kube: KubeConnection, namespaces: Sequence[str], selector: str = ""
) -> list[WorkloadView]:
    """Deployments and StatefulSets in `namespaces`."""
    views: list[WorkloadView] = []
    for kind, lister in (("Deployment", "deployment"), ("StatefulSet", "stateful_set")):
        with kube_errors(kube.server, f"list {kind}s"):
            items = _namespaced(kube, kube.apps, lister, namespaces, selector)
        views += [_workload_view(kind, obj) for obj in items]
    return views


def _namespaced(
    kube: KubeConnection, api: Any, noun: str, namespaces: Sequence[str], selector: str
) -> list[Any]:
    if ALL in namespaces:
        call = getattr(api, f"list_{noun}_for_all_namespaces")
        return list(call(label_selector=selector, _request_timeout=kube.timeout).items)
    call = getattr(api, f"list_namespaced_{noun}")
    return [
        item
        for ns in namespaces
        for item in call(ns, label_selector=selector, _request_timeout=kube.timeout).items
    ]


def _workload_view(kind: str, obj: Any) -> WorkloadView:
    status = obj.status
    available = status.available_replicas if kind == "Deployment" else status.ready_replicas
    return WorkloadView(
        kind=kind,
        namespace=obj.metadata.namespace,
        name=obj.metadata.name,
        wanted=obj.spec.replicas if obj.spec.replicas is not None else 1,
        available=available or 0,
        updated=status.updated_replicas or 0,
        current_generation=(status.observed_generation or 0) >= (obj.metadata.generation or 0),
    )


def list_jobs(kube: KubeConnection, namespaces: Sequence[str], selector: str = "") -> list[Any]:
    """Jobs in `namespaces` (client objects; `k8s.wait-ready` reads their conditions)."""
    with kube_errors(kube.server, "list Jobs"):
        return _namespaced(kube, kube.batch, "job", namespaces, selector)
