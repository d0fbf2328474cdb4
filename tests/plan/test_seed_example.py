from __future__ import annotations

from pathlib import Path

from drctl.plan.load import load_plan
from drctl.plan.resources import EksCluster


def test_seed_estate_mirrors_the_seed_document(seed_plan_path: Path) -> None:
    plan = load_plan(seed_plan_path)
    assert plan.regions.primary == "ap-northeast-1"
    assert plan.regions.secondary == "ap-southeast-1"
    (eks,) = plan.resources_of(EksCluster)
    assert eks.availability_zones["ap-northeast-1"] == [
        "ap-northeast-1a",
        "ap-northeast-1c",
        "ap-northeast-1d",
    ]
    ng = eks.nodegroups[0]
    assert (ng.name, ng.instance_type) == ("ng-1", "t3.medium")
    assert (ng.active.desired, ng.active.min, ng.active.max) == (3, 2, 4)
    # every kind of the seed document, plus the cache tier drctl adds beyond it
    kinds = {r.kind for r in plan.resources} - {"elasticache-global"}
    assert kinds == {
        "eks-cluster", "route53-failover", "aurora-global", "rds-replica",
        "dynamodb-global-table", "s3-replication", "efs", "ebs-snapshots", "secrets", "gitops",
    }  # fmt: skip
