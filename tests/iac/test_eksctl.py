"""eksctl configs: same spec in both regions, region and AZs swapped, DR capacity by strategy."""

from __future__ import annotations

import pytest
import yaml
from pydantic import ValidationError
from tests.iac.plans import plan, plan_data, resource_data

from drctl.errors import PlanError
from drctl.iac.eksctl import ClusterConfig, render_eksctl
from drctl.iac.files import Kind


def _configs(example: str) -> dict[str, ClusterConfig]:
    files = render_eksctl(plan(plan_data(example)))
    assert {f.kind for f in files} == {Kind.EKSCTL}
    parsed = [ClusterConfig.model_validate(yaml.safe_load(f.content)) for f in files]
    return {c.metadata.region: c for c in parsed}


@pytest.mark.parametrize(
    ("example", "desired", "minimum", "maximum"),
    [
        ("pilot-light", 0, 0, 4),
        ("warm-standby", 1, 0, 4),
        ("multi-site", 3, 2, 4),
        ("backup-restore", 3, 2, 4),
    ],
)
def test_dr_region_nodegroup_is_sized_by_strategy(
    example: str, desired: int, minimum: int, maximum: int
) -> None:
    data = plan_data(example)
    resource_data(data, "eks-cluster")["nodegroups"][0]["standby"] = {"desired": 1}
    parsed = [
        ClusterConfig.model_validate(yaml.safe_load(f.content)) for f in render_eksctl(plan(data))
    ]
    dr = next(c for c in parsed if c.metadata.region == "ap-southeast-1").managedNodeGroups[0]
    assert (dr.desiredCapacity, dr.minSize, dr.maxSize) == (desired, minimum, maximum)


@pytest.mark.parametrize("example", ["pilot-light", "warm-standby", "multi-site", "backup-restore"])
def test_primary_region_always_gets_the_active_capacity(example: str) -> None:
    primary = _configs(example)["ap-northeast-1"].managedNodeGroups[0]
    assert (primary.desiredCapacity, primary.minSize, primary.maxSize) == (3, 2, 4)


def test_both_regions_share_the_spec_with_region_and_zones_swapped() -> None:
    configs = _configs("seed-estate")
    primary, dr = configs["ap-northeast-1"], configs["ap-southeast-1"]
    assert dr.availabilityZones == ["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"]
    assert dr.managedNodeGroups[0].availabilityZones == dr.availabilityZones
    assert (primary.metadata.name, primary.metadata.version) == (
        dr.metadata.name,
        dr.metadata.version,
    )
    assert primary.managedNodeGroups[0].instanceType == dr.managedNodeGroups[0].instanceType


def test_seed_configs_are_written_where_the_plan_says() -> None:
    paths = [f.path for f in render_eksctl(plan(plan_data()))]
    assert paths == ["iac/eks-cluster.yaml", "iac/eks-cluster-dr.yaml"]


def test_cluster_config_model_rejects_keys_eksctl_does_not_know() -> None:
    document = yaml.safe_load(render_eksctl(plan(plan_data()))[0].content)
    document["managedNodeGroups"][0]["desiredSize"] = 3
    with pytest.raises(ValidationError, match="desiredSize"):
        ClusterConfig.model_validate(document)


def test_a_single_availability_zone_is_refused_naming_the_resource() -> None:
    data = plan_data()
    resource_data(data, "eks-cluster")["availability_zones"]["ap-southeast-1"] = ["ap-southeast-1a"]
    with pytest.raises(PlanError) as caught:
        render_eksctl(plan(data))
    assert str(caught.value).startswith("resource my-cluster: the eksctl config for ap-southeast-1")


def test_an_eksctl_path_escaping_the_output_directory_is_refused() -> None:
    data = plan_data()
    resource_data(data, "eks-cluster")["eksctl_configs"]["ap-southeast-1"] = "../../etc/x.yaml"
    with pytest.raises(PlanError, match="not a relative path inside the output directory"):
        render_eksctl(plan(data))
