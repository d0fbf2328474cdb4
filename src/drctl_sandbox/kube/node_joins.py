"""EC2 instances of a scaled-out nodegroup joining a simulated cluster: NotReady first, Ready later.

`state_changes` tells when `UpdateNodegroupConfig` adds nodes (AWS seconds on the sandbox
clock); `NodeJoins` adds them to the cluster of that region and name at their `joins_at`
with `Ready=False` and turns them Ready at `ready_at`, so "nodegroup ACTIVE" and "nodes
Ready" differ as they do on EKS.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping, Sequence

from drctl_sandbox.aws import state_changes
from drctl_sandbox.aws.state_changes import NodesJoining
from drctl_sandbox.clock import CLOCK
from drctl_sandbox.kube.simulation import SimulatedCluster


class NodeJoins:
    """Adds the nodes each scale-out brings to `clusters[(region, cluster name)]`."""

    def __init__(
        self,
        clusters: Mapping[tuple[str, str], SimulatedCluster],
        zones: Mapping[str, Sequence[str]],
    ) -> None:
        self.clusters = clusters
        self.zones = zones
        self._serial = itertools.count(1)
        self._timers: list[threading.Timer] = []
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> NodeJoins:
        self._unsubscribe = state_changes.on_nodes(self._joining)
        return self

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        for timer in self._timers:
            timer.cancel()

    def _joining(self, event: NodesJoining) -> None:
        cluster = self.clusters.get((event.region, event.cluster))
        if cluster is None:
            return
        zones = list(self.zones.get(event.region) or [f"{event.region}a"])
        names = [
            f"ip-10-1-{n}-{10 + n % 200}.{event.region}.compute.internal"
            for n in itertools.islice(self._serial, event.count)
        ]

        def join() -> None:
            for i, name in enumerate(names):
                cluster.add_node(
                    name, zones[i % len(zones)], ready=False, nodegroup=event.nodegroup
                )

        def ready() -> None:
            for name in names:
                cluster.set_node_ready(name, True)

        now = CLOCK.now()
        for at, action in ((event.joins_at, join), (event.ready_at, ready)):
            timer = threading.Timer(CLOCK.wall(max(0.0, at - now)), action)
            timer.daemon = True
            self._timers.append(timer)
            timer.start()
