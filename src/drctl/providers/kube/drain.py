"""`k8s.drain-az` and `k8s.uncordon-az`: an AZ-failure drill's cordon, drain and restore.

Drain does what `kubectl drain --ignore-daemonsets` does, for every node of one zone:
cordon (marking the node `drctl.io/cordoned-by`, so uncordon restores only what drctl
changed), then evict pods through the policy/v1 Eviction API. The API server answers 429
while a PodDisruptionBudget forbids an eviction; `verify` keeps retrying those until the
deadline and then fails naming the budget. A pod already terminating counts as evicted.
"""

from __future__ import annotations

from pydantic import Field, JsonValue

from drctl.errors import NotFoundError, ThrottledError
from drctl.model import Frozen
from drctl.providers.base import Outcome, Output
from drctl.providers.kube.access import KubeAccess
from drctl.providers.kube.action import KubeAction
from drctl.providers.kube.errors import kube_errors
from drctl.providers.kube.views import CORDONED_BY, NodeView, PodView, list_pods, zone_nodes


class DrainProgress(Frozen):
    """Pods still on the zone's nodes, and why the last eviction of each was refused."""

    zone: str
    nodes: list[str]
    evicted: list[str] = []
    remaining: dict[str, str] = {}

    def problem(self) -> str:
        if not self.remaining:
            return ""
        pods = ", ".join(f"{ref} ({why})" if why else ref for ref, why in self.remaining.items())
        return f"pods still on {self.zone} nodes: {pods}"


class DrainAzParams(KubeAccess):
    """The zone to drain, optionally narrowed to nodes matching `node_selector`."""

    zone: str
    node_selector: str = ""
    grace_period_seconds: int | None = Field(default=None, ge=0)


class DrainAz(KubeAction[DrainAzParams]):
    """Cordon every node of one AZ and evict its pods, respecting PodDisruptionBudgets."""

    kind = "k8s.drain-az"
    Params = DrainAzParams

    def describe(self) -> str:
        return f"cordon and drain the nodes of {self.params.zone} on {self.target} (PDBs respected)"

    def nodes(self) -> list[NodeView]:
        nodes = zone_nodes(self.kube, self.params.zone, self.params.node_selector)
        if not nodes:
            raise NotFoundError(
                f"no nodes in zone {self.params.zone}",
                hint="check the zone name and `node_selector` (`kubectl get nodes -L topology.kubernetes.io/zone`)",
                where=self.target,
            )
        return nodes

    def current(self) -> Output:
        nodes = self.nodes()
        return {
            "cordoned": [n.name for n in nodes if n.unschedulable],
            "uncordoned": [n.name for n in nodes if not n.unschedulable],
            "pods": [p.ref for p in self._pods_on({n.name for n in nodes})],
        }

    def apply(self) -> Outcome:
        nodes = self.nodes()
        cordoned: list[JsonValue] = [self._cordon(n) for n in nodes if not n.unschedulable]
        progress = self.evict_remaining()
        detail = f"cordoned {len(cordoned)} node(s), evicted {len(progress.evicted)} pod(s)"
        if progress.remaining:
            detail += f", {len(progress.remaining)} waiting on disruption budgets"
        output: Output = {"cordoned": cordoned, **progress.model_dump(mode="json")}
        return Outcome(changed=bool(cordoned or progress.evicted), detail=detail, output=output)

    def verify(self, deadline: float) -> Output:
        return self.wait(self.evict_remaining, DrainProgress.problem, deadline).model_dump(
            mode="json"
        )

    def evict_remaining(self) -> DrainProgress:
        """Try to evict every drainable pod still on the zone's nodes (one pass)."""
        nodes = self.nodes()
        evicted, remaining = [], {}
        for pod in self._pods_on({n.name for n in nodes}):
            refusal = self._evict(pod)
            if refusal is None:
                evicted.append(pod.ref)
            else:
                remaining[pod.ref] = refusal
        return DrainProgress(
            zone=self.params.zone,
            nodes=[n.name for n in nodes],
            evicted=evicted,
            remaining=remaining,
        )

    def _pods_on(self, nodes: set[str]) -> list[PodView]:
        pods = list_pods(self.kube, ["*"])
        return [p for p in pods if p.node in nodes and p.drainable and not p.terminating]

    def _cordon(self, node: NodeView) -> str:
        marker = f"{self.ctx.run_id}/{self.ctx.step_id}"
        body = {"spec": {"unschedulable": True}, "metadata": {"annotations": {CORDONED_BY: marker}}}
        with kube_errors(self.kube.server, f"cordon node {node.name}"):
            self.kube.core.patch_node(node.name, body, _request_timeout=self.kube.timeout)
        self.ctx.log(f"cordoned {node.name} ({node.zone})")
        return node.name

    def _evict(self, pod: PodView) -> str | None:
        """Evict one pod; the refusal (a disruption budget's message) or None when accepted."""
        body: dict[str, object] = {
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": pod.name, "namespace": pod.namespace},
        }
        if self.params.grace_period_seconds is not None:
            body["deleteOptions"] = {"gracePeriodSeconds": self.params.grace_period_seconds}
        try:
            with kube_errors(self.kube.server, f"evict pod {pod.ref}"):
                self.kube.core.create_namespaced_pod_eviction(
                    pod.name, pod.namespace, body, _request_timeout=self.kube.timeout
                )
        except ThrottledError as refused:
            return f"blocked by PodDisruptionBudget: {refused.message}"
        except NotFoundError:
            return None  # gone already: what eviction wanted
        self.ctx.log(f"evicted {pod.ref} from {pod.node}")
        return None


class UncordonAzParams(KubeAccess):
    """The zone whose nodes become schedulable again; by default only nodes drctl cordoned."""

    zone: str
    node_selector: str = ""
    only_cordoned_by_drctl: bool = True


class UncordonAz(KubeAction[UncordonAzParams]):
    """Make the nodes of one AZ schedulable again after a drill."""

    kind = "k8s.uncordon-az"
    Params = UncordonAzParams

    def describe(self) -> str:
        which = "drctl-cordoned nodes" if self.params.only_cordoned_by_drctl else "cordoned nodes"
        return f"uncordon the {which} of {self.params.zone} on {self.target}"

    def _to_uncordon(self) -> list[NodeView]:
        nodes = zone_nodes(self.kube, self.params.zone, self.params.node_selector)
        drctl_only = self.params.only_cordoned_by_drctl
        return [n for n in nodes if n.unschedulable and (n.cordoned_by or not drctl_only)]

    def current(self) -> Output:
        return {"cordoned": [n.name for n in self._to_uncordon()]}

    def apply(self) -> Outcome:
        names = []
        body = {"spec": {"unschedulable": None}, "metadata": {"annotations": {CORDONED_BY: None}}}
        for node in self._to_uncordon():
            with kube_errors(self.kube.server, f"uncordon node {node.name}"):
                self.kube.core.patch_node(node.name, body, _request_timeout=self.kube.timeout)
            names.append(node.name)
        return Outcome(
            changed=bool(names),
            detail=f"uncordoned {len(names)} node(s)",
            output={"uncordoned": names},
        )

    def verify(self, deadline: float) -> Output:
        left = self.wait(self._to_uncordon, _still_cordoned, deadline)
        return {"still_cordoned": [n.name for n in left]}


def _still_cordoned(nodes: list[NodeView]) -> str:
    return f"nodes still cordoned: {', '.join(n.name for n in nodes)}" if nodes else ""
