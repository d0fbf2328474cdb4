"""EKS `CreateCluster` and `CreateNodegroup` as state machines: `CREATING` → `ACTIVE`.

AWS: a control plane takes about 15 min to create (`eks_control_plane_create`); while it is
`CREATING`, `CreateNodegroup` is refused with `InvalidRequestException` ("Cluster ... is not
in ACTIVE status", moto's own check, kept). A managed nodegroup is `CREATING` until its
instances have joined the cluster (EKS fails the group with `NodeCreationFailure` when they
do not), so it turns `ACTIVE` after `eks_nodegroup_create` and never before its nodes
joined; listeners of `state_changes.on_nodes` hear the nodes join NotReady and turn Ready.

The estate the sandbox provisions exists before the story starts: inside `provisioning()`
creations are `ACTIVE` at once and bring no joining nodes (the simulated clusters are seeded
with theirs).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.eks.models import EKSBackend

from drctl_sandbox import latencies
from drctl_sandbox.aws import state_changes
from drctl_sandbox.aws.state_changes import NodesJoining
from drctl_sandbox.clock import CLOCK

_lock = threading.RLock()
# (region, cluster, nodegroup or "") -> (the moto object, AWS time it turns ACTIVE)
_creating: dict[tuple[str, str, str], tuple[Any, float]] = {}
_instant = threading.Event()


def install() -> None:
    """Wrap moto's create and describe calls of clusters and nodegroups."""
    EKSBackend.create_cluster = _creating_cluster(EKSBackend.create_cluster)  # type: ignore[method-assign]
    EKSBackend.create_nodegroup = _creating_nodegroup(EKSBackend.create_nodegroup)  # type: ignore[method-assign]
    EKSBackend.describe_cluster = state_changes.settling(EKSBackend.describe_cluster, settle)  # type: ignore[method-assign]
    EKSBackend.describe_nodegroup = state_changes.settling(EKSBackend.describe_nodegroup, settle)  # type: ignore[method-assign]


def reset() -> None:
    """Forget creations in progress (the server's reset)."""
    with _lock:
        _creating.clear()


def settle(now: float | None = None) -> None:
    """Turn `ACTIVE` what has been created by `now` (AWS seconds; default the clock's now)."""
    at = CLOCK.now() if now is None else now
    with _lock:
        for key, (thing, done_at) in list(_creating.items()):
            if at >= done_at:
                thing.status = "ACTIVE"
                del _creating[key]


def provisioning_now() -> bool:
    """Whether the estate is being provisioned (`provisioning()`): creations take no time."""
    return _instant.is_set()


@contextmanager
def provisioning() -> Iterator[None]:
    """Creations in this block are instant and silent: the estate as it stands before a run."""
    _instant.set()
    try:
        yield
    finally:
        _instant.clear()


def _creating_cluster(original: Any) -> Any:
    def create_cluster(self: EKSBackend, name: str, *args: Any, **kwargs: Any) -> Any:
        cluster = original(self, name, *args, **kwargs)
        took = latencies.seconds("eks_control_plane_create")
        if took > 0 and not _instant.is_set():
            with _lock:
                cluster.status = "CREATING"
                _creating[(self.region_name, name, "")] = (cluster, CLOCK.now() + took)
        return cluster

    return create_cluster


def _creating_nodegroup(original: Any) -> Any:
    def create_nodegroup(
        self: EKSBackend, cluster_name: str, node_role: str, nodegroup_name: str, **kw: Any
    ) -> Any:
        settle()
        group = original(self, cluster_name, node_role, nodegroup_name, **kw)
        if _instant.is_set():
            return group
        now = CLOCK.now()
        joins = now + latencies.seconds("eks_node_join")
        done = max(now + latencies.seconds("eks_nodegroup_create"), joins)
        if done > now:
            with _lock:
                group.status = "CREATING"
                _creating[(self.region_name, cluster_name, nodegroup_name)] = (group, done)
        count = int(group.scaling_config.get("desiredSize", 0))
        if count > 0:
            ready = joins + latencies.seconds("eks_node_ready")
            event = NodesJoining(
                self.region_name, cluster_name, nodegroup_name, count, joins, ready
            )
            state_changes.tell(event)
        return group

    return create_nodegroup
