"""Changes that take time on AWS: EKS nodegroup updates and Route 53 change propagation.

- EKS `UpdateNodegroupConfig`: the nodegroup is `UPDATING` for `eks_nodegroup_update`,
  then `ACTIVE`; another update meanwhile is `ResourceInUseException` (HTTP 409), as the
  EKS API reference documents for a resource being modified. The new scaling config is
  shown at once (unconfirmed when AWS shows it; drctl must wait for `ACTIVE` either way).
  Listeners (`on_nodes`) hear when the added nodes join (NotReady, `eks_node_join` after the
  update) and turn Ready (`eks_node_ready` later), so a simulated Kubernetes API can show them.
- Route 53 `ChangeResourceRecordSets` answers `PENDING` with a fresh change id; `GetChange`
  answers `PENDING` until `route53_change_propagation` has passed, then `INSYNC`
  (API_GetChange). The records themselves change at once, as moto has them.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.eks.exceptions import ResourceInUseException
from moto.eks.models import EKSBackend
from moto.route53.responses import Route53

from drctl_sandbox import latencies
from drctl_sandbox.clock import CLOCK


@dataclass(frozen=True)
class NodesJoining:
    """Nodes an update adds: `count` nodes join NotReady at `joins_at`, Ready at `ready_at` (AWS s)."""

    region: str
    cluster: str
    nodegroup: str
    count: int
    joins_at: float
    ready_at: float


NodeListener = Callable[[NodesJoining], None]

_lock = threading.RLock()
_updates: dict[tuple[str, str, str], float] = {}  # (region, cluster, nodegroup) -> done at
_changes: dict[str, tuple[float, datetime]] = {}  # change id -> (in sync at, submitted at)
_listeners: list[NodeListener] = []


def on_nodes(listener: NodeListener) -> Callable[[], None]:
    """Call `listener` for the nodes each scale-out adds; returns a function that unsubscribes."""
    with _lock:
        _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def reset() -> None:
    """Forget updates and changes in progress (the server's reset)."""
    with _lock:
        _updates.clear()
        _changes.clear()


def install() -> None:
    """Patch moto's EKS backend and Route 53 responses (called once by `additions.install`)."""
    EKSBackend.update_nodegroup_config = _updating(EKSBackend.update_nodegroup_config)  # type: ignore[method-assign]
    EKSBackend.describe_nodegroup = _settling(EKSBackend.describe_nodegroup)  # type: ignore[method-assign]
    Route53.change_resource_record_sets = _pending_change(Route53.change_resource_record_sets)  # type: ignore[method-assign]
    Route53.get_change = _get_change  # type: ignore[method-assign]


def _settle(backend: EKSBackend) -> None:
    now = CLOCK.now()
    with _lock:
        for key, done_at in list(_updates.items()):
            region, cluster, nodegroup = key
            if region != backend.region_name or now < done_at:
                continue
            del _updates[key]
            group = backend.clusters.get(cluster)
            if group is not None and nodegroup in group.nodegroups:
                group.nodegroups[nodegroup].status = "ACTIVE"


def settling(original: Any, settle_first: Callable[[], None]) -> Any:
    """`original` (a describe call), answered once `settle_first` has made the changes due by now."""

    def describe(self: Any, *args: Any, **kwargs: Any) -> Any:
        settle_first()
        return original(self, *args, **kwargs)

    return describe


def _settling(original: Any) -> Any:
    def describe_nodegroup(self: EKSBackend, cluster_name: str, nodegroup_name: str) -> Any:
        _settle(self)
        return original(self, cluster_name, nodegroup_name)

    return describe_nodegroup


def _updating(original: Any) -> Any:
    def update_nodegroup_config(
        self: EKSBackend, cluster_name: str, nodegroup_name: str, **kwargs: Any
    ) -> Any:
        with _lock:
            _settle(self)
            key = (self.region_name, cluster_name, nodegroup_name)
            if key in _updates:
                raise ResourceInUseException(
                    clusterName=cluster_name,
                    nodegroupName=nodegroup_name,
                    addonName=None,
                    message=f"Nodegroup {nodegroup_name} is currently being updated",
                )
            group = (
                self.clusters[cluster_name].nodegroups.get(nodegroup_name)
                if (cluster_name in self.clusters)
                else None
            )
            before = int(group.scaling_config.get("desiredSize", 0)) if group else 0
            update = original(self, cluster_name, nodegroup_name, **kwargs)
            took = latencies.seconds("eks_nodegroup_update")
            now = CLOCK.now()
            if took > 0 and group is not None:
                group.status = "UPDATING"
                _updates[key] = now + took
                update["status"] = "InProgress"
            added = int(group.scaling_config.get("desiredSize", 0)) - before if group else 0
            if added > 0:
                joins = now + latencies.seconds("eks_node_join")
                tell(
                    NodesJoining(
                        self.region_name,
                        cluster_name,
                        nodegroup_name,
                        added,
                        joins,
                        joins + latencies.seconds("eks_node_ready"),
                    )
                )
            return update

    return update_nodegroup_config


def tell(event: NodesJoining) -> None:
    """Tell every `on_nodes` listener about nodes joining (`eks_creation` tells them too)."""
    for listener in list(_listeners):
        listener(event)


def _pending_change(original: Any) -> Any:
    def change_resource_record_sets(self: Route53) -> ActionResult:
        original(self)
        took = latencies.seconds("route53_change_propagation")
        change_id = f"/change/C{secrets.token_hex(7).upper()}"
        submitted = datetime.now(UTC)
        with _lock:
            _changes[change_id] = (CLOCK.now() + took, submitted)
        return ActionResult({"ChangeInfo": _change_info(change_id)})

    return change_resource_record_sets


def _change_info(change_id: str) -> dict[str, Any]:
    insync_at, submitted = _changes[change_id]
    status = "INSYNC" if CLOCK.now() >= insync_at else "PENDING"
    return {"Id": change_id, "Status": status, "SubmittedAt": submitted}


def _get_change(self: Route53) -> ActionResult:
    wanted = str(self._get_param("Id"))
    change_id = wanted if wanted.startswith("/change/") else f"/change/{wanted}"
    with _lock:
        if change_id not in _changes:
            # Changes made before the sandbox tracked them (or unknown ids) are in sync, as moto had it.
            return ActionResult(
                {
                    "ChangeInfo": {
                        "Id": change_id,
                        "Status": "INSYNC",
                        "SubmittedAt": datetime.now(UTC),
                    }
                }
            )
        return ActionResult({"ChangeInfo": _change_info(change_id)})
