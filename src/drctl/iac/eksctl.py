"""eksctl ClusterConfig per region from an `eks-cluster` resource, sized by the plan's strategy.

The same spec is rendered for every region of the resource, with that region's AZs. The
primary region gets the active capacity; the DR region gets (see `dr_capacity`):
pilot-light 0, warm-standby the standby size with min 0, multi-site the active size, and
backup-restore the active size, because that config is only applied at recovery time
(`eksctl create cluster -f eks-cluster-dr.yaml`, seed 4.1) and must then serve traffic.
Nodegroups are eksctl `managedNodeGroups`, so EKS's API (and drift) can see their sizes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError, model_validator

from drctl.errors import PlanError
from drctl.iac.files import Kind, RenderedFile, safe_relative, to_yaml
from drctl.model import Frozen, Strict
from drctl.plan.model import Plan, Strategy
from drctl.plan.resources import EksCluster, Nodegroup

ClusterRole = Literal["primary", "dr"]


class ClusterMeta(Strict):
    """eksctl `metadata`: cluster name, region, Kubernetes version, tags."""

    name: str = Field(pattern=r"^[a-zA-Z][-a-zA-Z0-9]{0,99}$")
    region: str
    version: str = Field(pattern=r"^1\.\d+$")
    tags: dict[str, str] = {}


class ManagedNodeGroup(Strict):
    """eksctl `managedNodeGroups[]` entry (the subset drctl emits)."""

    name: str = Field(pattern=r"^[a-zA-Z][-a-zA-Z0-9]{0,62}$")
    instanceType: str
    desiredCapacity: int = Field(ge=0)
    minSize: int = Field(ge=0)
    maxSize: int = Field(ge=1)
    availabilityZones: list[str] | None = None
    labels: dict[str, str] = {}

    @model_validator(mode="after")
    def _ordered(self) -> ManagedNodeGroup:
        if not self.minSize <= self.desiredCapacity <= self.maxSize:
            raise ValueError(f"nodegroup {self.name}: need minSize <= desiredCapacity <= maxSize")
        return self


class ClusterConfig(Strict):
    """eksctl `ClusterConfig` (apiVersion eksctl.io/v1alpha5), validated before it is written."""

    apiVersion: Literal["eksctl.io/v1alpha5"] = "eksctl.io/v1alpha5"
    kind: Literal["ClusterConfig"] = "ClusterConfig"
    metadata: ClusterMeta
    availabilityZones: list[str] | None = Field(default=None, min_length=2)
    managedNodeGroups: list[ManagedNodeGroup] = Field(min_length=1)

    @model_validator(mode="after")
    def _zones_belong(self) -> ClusterConfig:
        region = self.metadata.region
        for group in self.managedNodeGroups:
            for zone in group.availabilityZones or []:
                if not zone.startswith(region) or (
                    self.availabilityZones and zone not in self.availabilityZones
                ):
                    raise ValueError(f"nodegroup {group.name}: zone {zone} not in the cluster's")
        return self


class Capacity(Frozen):
    """Nodegroup desired/min/max for one region."""

    desired: int
    min: int
    max: int


def dr_capacity(strategy: Strategy, group: Nodegroup) -> Capacity:
    """A nodegroup's size in the DR region under `strategy`."""
    active = group.active
    if strategy is Strategy.PILOT_LIGHT:
        return Capacity(desired=0, min=0, max=active.max)
    if strategy is Strategy.WARM_STANDBY:
        return Capacity(desired=group.standby.desired, min=0, max=active.max)
    return Capacity(desired=active.desired, min=active.min, max=active.max)


def capacity(plan: Plan, group: Nodegroup, role: ClusterRole) -> Capacity:
    """A nodegroup's size in a region playing `role`."""
    if role == "dr":
        return dr_capacity(plan.strategy, group)
    return Capacity(desired=group.active.desired, min=group.active.min, max=group.active.max)


def cluster_role(plan: Plan, region: str) -> ClusterRole:
    """`primary` for the plan's primary region, `dr` for the DR (and drill) regions."""
    return "primary" if region == plan.regions.primary else "dr"


def cluster_config(plan: Plan, resource: EksCluster, region: str) -> ClusterConfig:
    """The eksctl config of `resource` in `region`."""
    role = cluster_role(plan, region)
    zones = resource.availability_zones.get(region) or None
    labels = {"drctl.io/plan": plan.metadata.name, "drctl.io/role": role}
    groups = [
        _nodegroup(group, capacity(plan, group, role), zones, labels)
        for group in resource.nodegroups
    ]
    meta = ClusterMeta(
        name=resource.clusters[region],
        region=region,
        version=resource.version,
        tags={"drctl.io/plan": plan.metadata.name, "drctl.io/resource": resource.name},
    )
    return ClusterConfig(metadata=meta, availabilityZones=zones, managedNodeGroups=groups)


def _nodegroup(
    group: Nodegroup, size: Capacity, zones: list[str] | None, labels: dict[str, str]
) -> ManagedNodeGroup:
    return ManagedNodeGroup(
        name=group.name,
        instanceType=group.instance_type,
        desiredCapacity=size.desired,
        minSize=size.min,
        maxSize=size.max,
        availabilityZones=zones,
        labels=labels,
    )


def cluster_regions(plan: Plan, resource: EksCluster) -> list[str]:
    """The resource's regions, primary first, then the rest alphabetically."""
    return sorted(resource.clusters, key=lambda r: (r != plan.regions.primary, r))


def render_eksctl(plan: Plan) -> list[RenderedFile]:
    """One eksctl ClusterConfig file per region of every `eks-cluster` resource."""
    files: list[RenderedFile] = []
    for resource in plan.resources_of(EksCluster):
        for region in cluster_regions(plan, resource):
            where = f"resource {resource.name}, eksctl_configs.{region}"
            config = _validated(plan, resource, region)
            default = f"eksctl/{resource.clusters[region]}-{region}.yaml"
            path = resource.eksctl_configs.get(region, default)
            header = _header(plan, resource, region)
            body = to_yaml(config.model_dump(mode="json", exclude_none=True))
            files.append(
                RenderedFile(
                    path=safe_relative(path, where), kind=Kind.EKSCTL, content=header + body
                )
            )
    return files


def _validated(plan: Plan, resource: EksCluster, region: str) -> ClusterConfig:
    try:
        return cluster_config(plan, resource, region)
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = ".".join(str(part) for part in problem["loc"])
        raise PlanError(
            f"the eksctl config for {region} would be invalid: {field}: {problem['msg']}",
            hint="eksctl needs at least two availability zones and names starting with a letter",
            where=f"resource {resource.name}",
        ) from None


def _header(plan: Plan, resource: EksCluster, region: str) -> str:
    role = cluster_role(plan, region)
    return (
        f"# eksctl config of {resource.name} in {region} ({role}, strategy {plan.strategy}).\n"
        f"# Rendered by drctl from plan {plan.metadata.name}: edit the plan, then re-render.\n"
    )
