"""Read-only AZ checks: `k8s.nodes-per-az` (capacity per healthy zone) and `k8s.verify-rescheduled`."""

from __future__ import annotations

from collections import Counter

from pydantic import Field

from drctl.model import Frozen
from drctl.providers.base import Outcome, Output
from drctl.providers.kube.access import KubeAccess
from drctl.providers.kube.action import KubeAction
from drctl.providers.kube.views import list_nodes, list_pods


class ZoneCapacity(Frozen):
    """Ready, schedulable nodes per zone, and the zones short of the minimum."""

    ready: dict[str, int]
    total: dict[str, int]
    short: list[str]

    def problem(self) -> str:
        return (
            f"zones with too few Ready schedulable nodes: {', '.join(self.short)}"
            if self.short
            else ""
        )


class NodesPerAzParams(KubeAccess):
    """At least `min_ready` Ready, schedulable nodes in each zone (all seen, or `zones`), minus `exclude_zones`."""

    min_ready: int = Field(default=1, ge=0)
    zones: list[str] = []
    exclude_zones: list[str] = []
    node_selector: str = ""


class NodesPerAz(KubeAction[NodesPerAzParams]):
    """Verify node capacity in every healthy availability zone."""

    kind = "k8s.nodes-per-az"
    Params = NodesPerAzParams

    def describe(self) -> str:
        skip = (
            f" (ignoring {', '.join(self.params.exclude_zones)})"
            if self.params.exclude_zones
            else ""
        )
        return f"check at least {self.params.min_ready} Ready node(s) per AZ on {self.target}{skip}"

    def read(self) -> ZoneCapacity:
        p = self.params
        nodes = list_nodes(self.kube, p.node_selector)
        zones = sorted(set(p.zones or {n.zone for n in nodes}) - set(p.exclude_zones))
        ready = Counter(n.zone for n in nodes if n.schedulable)
        total = Counter(n.zone for n in nodes)
        short = [f"{z} ({ready[z]}/{p.min_ready})" for z in zones if ready[z] < p.min_ready]
        return ZoneCapacity(
            ready={z: ready[z] for z in zones}, total={z: total[z] for z in zones}, short=short
        )

    def current(self) -> Output:
        return self.read().model_dump(mode="json")

    def apply(self) -> Outcome:
        return Outcome(changed=False, detail="read-only: capacity is checked in verify")

    def verify(self, deadline: float) -> Output:
        return self.wait(self.read, ZoneCapacity.problem, deadline).model_dump(mode="json")


class Placement(Frozen):
    """Where the selected pods run after an AZ failure."""

    failed_zone: str
    pods_by_zone: dict[str, int]
    still_in_failed_zone: list[str]
    not_ready: list[str]

    def problem(self) -> str:
        parts = []
        if self.still_in_failed_zone:
            parts.append(
                f"pods still on nodes in {self.failed_zone}: {', '.join(self.still_in_failed_zone)}"
            )
        if self.not_ready:
            parts.append(f"pods not Ready: {', '.join(self.not_ready)}")
        return "; ".join(parts)


class VerifyRescheduledParams(KubeAccess):
    """The failed zone and the namespaces whose pods must have moved out of it."""

    failed_zone: str
    namespaces: list[str] = Field(min_length=1)
    label_selector: str = ""


class VerifyRescheduled(KubeAction[VerifyRescheduledParams]):
    """Verify no selected pod runs in the failed AZ and all of them are Ready elsewhere."""

    kind = "k8s.verify-rescheduled"
    Params = VerifyRescheduledParams

    def describe(self) -> str:
        scope = ", ".join(self.params.namespaces)
        return (
            f"verify pods in {scope} left {self.params.failed_zone} and are Ready on {self.target}"
        )

    def read(self) -> Placement:
        p = self.params
        zone_of = {n.name: n.zone for n in list_nodes(self.kube)}
        pods = [
            pod
            for pod in list_pods(self.kube, p.namespaces, p.label_selector)
            if pod.drainable and not pod.terminating
        ]
        return Placement(
            failed_zone=p.failed_zone,
            pods_by_zone=dict(Counter(zone_of.get(pod.node or "", "unscheduled") for pod in pods)),
            still_in_failed_zone=[
                pod.ref for pod in pods if zone_of.get(pod.node or "") == p.failed_zone
            ],
            not_ready=[pod.describe() for pod in pods if not pod.ready],
        )

    def current(self) -> Output:
        return self.read().model_dump(mode="json")

    def apply(self) -> Outcome:
        return Outcome(changed=False, detail="read-only: placement is checked in verify")

    def verify(self, deadline: float) -> Output:
        return self.wait(self.read, Placement.problem, deadline).model_dump(mode="json")
