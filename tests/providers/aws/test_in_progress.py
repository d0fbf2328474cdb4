"""Providers against AWS's state machines in scaled time: an operation in progress counts as requested."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from drctl.clock import ScaledClock
from drctl.providers.aws import eks, rds
from drctl.providers.base import ActionContext
from drctl.providers.kube.access import KubeAccess
from drctl_sandbox import latencies
from drctl_sandbox.aws import eks_creation, state_changes
from drctl_sandbox.kube.api import FakeKubeApi
from drctl_sandbox.kube.node_joins import NodeJoins
from drctl_sandbox.latencies import LatencyTable

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"
SCALE = 0.01


@pytest.fixture
def faithful() -> Iterator[None]:
    table = LatencyTable(
        {
            # 4 s of wall time: a loaded machine must not see the promotion over before the
            # step looks (at 1 s, a CI run once found it already promoted).
            "rds_replica_promotion": timedelta(seconds=400),
            "eks_nodegroup_update": timedelta(seconds=300),
            "eks_node_join": timedelta(seconds=60),
            "eks_node_ready": timedelta(seconds=60),
        }
    )
    with latencies.in_force(table, SCALE):
        yield


def scaled_ctx(aws: Any) -> ActionContext:
    """drctl's side of the same time scale, as DRCTL_TIME_SCALE gives the engine."""
    return ActionContext(
        run_id="run-1", step_id="step", settings=aws.settings, clock=ScaledClock(SCALE)
    )


def test_a_replica_being_promoted_after_a_crash_is_not_promoted_again(
    aws: Any, faithful: None
) -> None:
    source, replica = aws.name("db"), aws.name("db-dr")
    arn = aws.client("rds", PRIMARY).create_db_instance(
        DBInstanceIdentifier=source,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
    )["DBInstance"]["DBInstanceArn"]
    aws.client("rds", SECONDARY).create_db_instance_read_replica(
        DBInstanceIdentifier=replica, SourceDBInstanceIdentifier=arn, DBInstanceClass="db.t3.micro"
    )
    aws.client("rds", SECONDARY).promote_read_replica(
        DBInstanceIdentifier=replica
    )  # before the crash
    since = datetime.now(UTC)
    ctx = scaled_ctx(aws)
    action = rds.PromoteReadReplica(
        rds.InstanceParams(region=SECONDARY, instance=replica), ctx, aws.clients()
    )

    outcome = action.apply()
    verified = action.verify(deadline=ctx.clock.monotonic() + 600)

    # A loaded machine may already be past `modifying`: either state is the same promotion.
    assert outcome.changed is False
    assert outcome.detail in (
        f"promotion of {replica} already in progress (modifying)",
        f"promotion of {replica} already in progress (rebooting)",
    )
    assert str(verified["endpoint"]).startswith(replica)
    assert aws.writes(SECONDARY, since=since) == []


def nodegroup(aws: Any, desired: int) -> tuple[str, str]:
    client, cluster, group = aws.client("eks", SECONDARY), aws.name("eks"), "ng-1"
    role = "arn:aws:iam::123456789012:role/eks"
    with eks_creation.provisioning():  # the estate exists before the test
        client.create_cluster(
            name=cluster, roleArn=role, resourcesVpcConfig={"subnetIds": ["subnet-1"]}
        )
        client.create_nodegroup(
            clusterName=cluster,
            nodegroupName=group,
            nodeRole=role,
            subnets=["subnet-1"],
            scalingConfig={"minSize": 0, "maxSize": 4, "desiredSize": desired},
        )
    return cluster, group


def test_scaling_waits_for_the_new_nodes_to_be_ready_not_only_for_active(
    aws: Any, faithful: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    cluster, group = nodegroup(aws, desired=1)
    with FakeKubeApi() as api:
        api.cluster.seed_cluster(region=SECONDARY, zones=[f"{SECONDARY}a"], node_count=1)
        joins = NodeJoins({(SECONDARY, cluster): api.cluster}, {}).start()
        monkeypatch.setenv("DR_TOKEN", api.token)
        ctx = scaled_ctx(aws)
        action = eks.ScaleNodegroups(
            eks.ScaleParams(
                region=SECONDARY,
                cluster=cluster,
                nodegroups=[eks.Size(name=group, desired=3, min=2, max=4)],
                nodes=KubeAccess(server=api.url, token_env="DR_TOKEN"),
            ),
            ctx,
            aws.clients(),
        )
        try:
            assert action.apply().changed is True
            verified = action.verify(deadline=ctx.clock.monotonic() + 900)
        finally:
            joins.stop()
        nodes = api.store.items("nodes")

    assert verified["ready_nodes"] == {group: 3}
    assert len(nodes) == 3
    assert all(n["status"]["conditions"][0]["status"] == "True" for n in nodes)


def test_scaling_after_a_crash_mid_update_makes_no_second_update(aws: Any, faithful: None) -> None:
    cluster, group = nodegroup(aws, desired=1)
    stop = state_changes.on_nodes(lambda _event: None)
    try:
        aws.client("eks", SECONDARY).update_nodegroup_config(  # the call served before the crash
            clusterName=cluster,
            nodegroupName=group,
            scalingConfig={"minSize": 2, "maxSize": 4, "desiredSize": 3},
        )
    finally:
        stop()
    since = datetime.now(UTC)
    ctx = scaled_ctx(aws)
    action = eks.ScaleNodegroups(
        eks.ScaleParams(
            region=SECONDARY,
            cluster=cluster,
            nodegroups=[eks.Size(name=group, desired=3, min=2, max=4)],
        ),
        ctx,
        aws.clients(),
    )
    assert eks.read_nodegroup(aws.clients(), cluster, group, SECONDARY).status == "UPDATING"

    outcome = action.apply()
    verified = action.verify(deadline=ctx.clock.monotonic() + 600)

    assert outcome.changed is False
    assert verified[group]["status"] == "ACTIVE"  # type: ignore[index,call-overload]
    assert aws.writes(SECONDARY, since=since) == []


def test_a_different_update_in_progress_is_waited_out_instead_of_resource_in_use(
    aws: Any, faithful: None
) -> None:
    cluster, group = nodegroup(aws, desired=1)
    aws.client("eks", SECONDARY).update_nodegroup_config(  # someone else's update
        clusterName=cluster, nodegroupName=group, scalingConfig={"desiredSize": 2}
    )
    ctx = scaled_ctx(aws)
    action = eks.ScaleNodegroups(
        eks.ScaleParams(
            region=SECONDARY,
            cluster=cluster,
            nodegroups=[eks.Size(name=group, desired=3, min=2, max=4)],
        ),
        ctx,
        aws.clients(),
    )

    outcome = action.apply()
    action.verify(deadline=ctx.clock.monotonic() + 600)

    assert outcome.changed is True
    state = eks.read_nodegroup(aws.clients(), cluster, group, SECONDARY)
    assert (state.status, state.desired) == ("ACTIVE", 3)
