"""Aurora actions against the sandbox over HTTP: global switchover/failover, detach, in-region failover."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from drctl.clock import SystemClock
from drctl.errors import NotFoundError, StateError
from drctl.providers.aws.aurora import (
    FailoverGlobal,
    GlobalPromotionParams,
    SwitchoverGlobal,
    read_global_cluster,
)
from drctl.providers.aws.aurora_cluster import (
    DetachAndPromote,
    DetachParams,
    FailoverCluster,
    FailoverClusterParams,
)
from drctl_sandbox import latencies
from drctl_sandbox.aws import outage
from drctl_sandbox.latencies import LatencyTable

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"


@pytest.fixture
def slow_promotion() -> Iterator[None]:
    """Global failovers take a few seconds, as they take time on AWS (long enough for a loaded CI)."""
    table = LatencyTable(
        {"aurora_global_failover": timedelta(seconds=4), "aurora_failover_pending": timedelta()}
    )
    with latencies.in_force(table, 1.0):
        yield
    outage.unblock(PRIMARY)


def global_database(aws: Any) -> tuple[str, str, str]:
    """A global cluster with a writer in PRIMARY and a secondary in SECONDARY; returns names."""
    gc, primary, secondary = aws.name("gdb"), aws.name("app-tokyo"), aws.name("app-singapore")
    rds1, rds2 = aws.client("rds", PRIMARY), aws.client("rds", SECONDARY)
    rds1.create_global_cluster(GlobalClusterIdentifier=gc, Engine="aurora-postgresql")
    rds1.create_db_cluster(
        DBClusterIdentifier=primary,
        Engine="aurora-postgresql",
        GlobalClusterIdentifier=gc,
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
    )
    rds2.create_db_cluster(
        DBClusterIdentifier=secondary, Engine="aurora-postgresql", GlobalClusterIdentifier=gc
    )
    return gc, primary, secondary


@pytest.mark.parametrize("action_class", [SwitchoverGlobal, FailoverGlobal])
def test_global_promotion_makes_the_target_region_the_writer_and_repeats_as_a_no_op(
    aws: Any, action_class: type[SwitchoverGlobal]
) -> None:
    gc, _primary, secondary = global_database(aws)
    since = datetime.now(UTC)
    params = GlobalPromotionParams(
        global_cluster=gc, target_region=SECONDARY, target_cluster=secondary
    )
    action = action_class(params, aws.ctx(), aws.clients())
    assert gc in action.describe() and SECONDARY in action.describe()

    first, verified = aws.prove_idempotent(action, PRIMARY, SECONDARY)

    assert first.changed is True
    writer = read_global_cluster(aws.clients(), gc, SECONDARY).writer
    assert writer is not None and writer.region == SECONDARY
    assert verified["writer_arn"] == writer.cluster_arn
    assert str(verified["writer_endpoint"]).startswith(secondary)
    expected = (
        "SwitchoverGlobalCluster" if action_class is SwitchoverGlobal else "FailoverGlobalCluster"
    )
    assert aws.writes(PRIMARY, SECONDARY, since=since) == [expected]


def test_failover_rerun_after_a_crash_mid_operation_counts_it_as_requested_and_verifies_without_the_primary(
    aws: Any, slow_promotion: None
) -> None:
    gc, _primary, secondary = global_database(aws)
    params = GlobalPromotionParams(
        global_cluster=gc, target_region=SECONDARY, target_cluster=secondary
    )
    target = aws.client("rds", SECONDARY).describe_db_clusters(DBClusterIdentifier=secondary)
    outage.block(PRIMARY)
    aws.client("rds", SECONDARY).failover_global_cluster(  # the first attempt, before the crash
        GlobalClusterIdentifier=gc,
        TargetDbClusterIdentifier=target["DBClusters"][0]["DBClusterArn"],
        AllowDataLoss=True,
    )
    since = datetime.now(UTC)
    action = FailoverGlobal(params, aws.ctx(), aws.clients())

    outcome = action.apply()
    verified = action.verify(deadline=aws.ctx().clock.monotonic() + 20)

    assert outcome.changed is False
    assert outcome.detail.endswith("already in progress (failing-over)")
    assert aws.writes(SECONDARY, since=since) == []
    assert verified["region"] == SECONDARY
    assert read_global_cluster(aws.clients(), gc, SECONDARY).status == "failing-over"


def test_failover_to_a_cluster_outside_the_global_database_names_it_and_hints(aws: Any) -> None:
    gc, _primary, _secondary = global_database(aws)
    loner = aws.name("loner")
    aws.client("rds", SECONDARY).create_db_cluster(
        DBClusterIdentifier=loner,
        Engine="aurora-postgresql",
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
    )
    params = GlobalPromotionParams(global_cluster=gc, target_region=SECONDARY, target_cluster=loner)

    with pytest.raises(StateError) as err:
        FailoverGlobal(params, aws.ctx(), aws.clients()).apply()

    assert f"is not a member of global cluster {gc}" in err.value.message
    assert err.value.where == f"global cluster {gc} in {SECONDARY}"
    assert "describe-global-clusters" in err.value.hint


def test_failover_of_a_missing_global_cluster_is_not_found_in_the_target_region(aws: Any) -> None:
    _gc, _primary, secondary = global_database(aws)
    params = GlobalPromotionParams(
        global_cluster="no-such-gdb", target_region=SECONDARY, target_cluster=secondary
    )

    with pytest.raises(NotFoundError) as err:
        FailoverGlobal(params, aws.ctx(), aws.clients()).apply()

    assert err.value.code == "GlobalClusterNotFoundFault"
    assert err.value.where == f"global cluster no-such-gdb in {SECONDARY}"
    assert err.value.hint


def test_target_cluster_in_the_wrong_region_is_not_found_naming_that_region(aws: Any) -> None:
    gc, _primary, secondary = global_database(aws)
    params = GlobalPromotionParams(
        global_cluster=gc, target_region=PRIMARY, target_cluster=secondary
    )

    with pytest.raises(NotFoundError) as err:
        SwitchoverGlobal(params, aws.ctx(), aws.clients()).apply()

    assert err.value.where == f"DB cluster {secondary} in {PRIMARY}"
    assert err.value.code == "DBClusterNotFoundFault"


def test_detach_and_promote_leaves_a_standalone_writer_and_repeats_as_a_no_op(aws: Any) -> None:
    gc, _primary, secondary = global_database(aws)
    action = DetachAndPromote(
        DetachParams(global_cluster=gc, region=SECONDARY, cluster=secondary),
        aws.ctx(),
        aws.clients(),
    )

    first, verified = aws.prove_idempotent(action, PRIMARY, SECONDARY)

    assert first.changed is True
    members = read_global_cluster(aws.clients(), gc, SECONDARY).members
    assert [m.region for m in members] == [PRIMARY]
    assert str(verified["writer_endpoint"]).startswith(secondary)


def test_in_region_cluster_failover_moves_the_writer_once_per_step(aws: Any) -> None:
    cluster = aws.name("az-cluster")
    rds = aws.client("rds", PRIMARY)
    rds.create_db_cluster(
        DBClusterIdentifier=cluster,
        Engine="aurora-postgresql",
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
    )
    for n in (1, 2):
        rds.create_db_instance(
            DBInstanceIdentifier=f"{cluster}-{n}",
            DBClusterIdentifier=cluster,
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
        )
    action = FailoverCluster(
        FailoverClusterParams(region=PRIMARY, cluster=cluster), aws.ctx(), aws.clients()
    )

    first, verified = aws.prove_idempotent(action, PRIMARY)

    assert first.detail == f"writer was {cluster}-1"
    assert verified["writer_instance"] == f"{cluster}-2"
    again = FailoverCluster(
        FailoverClusterParams(region=PRIMARY, cluster=cluster), aws.ctx("next-step"), aws.clients()
    )
    assert again.apply().changed is True


def test_in_region_failover_of_a_single_instance_cluster_is_a_state_error(aws: Any) -> None:
    cluster = aws.name("lonely")
    rds = aws.client("rds", PRIMARY)
    rds.create_db_cluster(
        DBClusterIdentifier=cluster,
        Engine="aurora-postgresql",
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
    )
    rds.create_db_instance(
        DBInstanceIdentifier=f"{cluster}-1",
        DBClusterIdentifier=cluster,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
    )

    with pytest.raises(StateError) as err:
        FailoverCluster(
            FailoverClusterParams(region=PRIMARY, cluster=cluster), aws.ctx(), aws.clients()
        ).apply()

    assert err.value.code == "InvalidDBClusterStateFault"
    assert err.value.where == f"DB cluster {cluster} in {PRIMARY}"


def test_failover_verify_paced_by_the_estimate_sees_the_promotion_within_a_second_reading_once_a_second(
    aws: Any, slow_promotion: None
) -> None:
    gc, _primary, secondary = global_database(aws)
    params = GlobalPromotionParams(
        global_cluster=gc, target_region=SECONDARY, target_cluster=secondary
    )
    clock = SystemClock()
    ctx = dataclasses.replace(aws.ctx(), expected_at=clock.monotonic() + 4.0)
    action = FailoverGlobal(params, ctx, aws.clients())
    action.apply()
    promoted_by = clock.monotonic() + 4.0  # the sandbox's promotion time, from the request
    since = datetime.now(UTC)

    action.verify(deadline=clock.monotonic() + 30)

    finished = clock.monotonic()
    reads = [e for e in aws.calls(SECONDARY, since=since) if e["ReadOnly"] == "true"]
    polls = sorted({e["EventName"] for e in reads})
    per_poll = len(polls)
    assert finished - promoted_by <= 1.5, f"seen {finished - promoted_by:.2f}s after the promotion"
    # At most one poll a second: reads per API no more than the seconds waited, plus the first.
    for name in polls:
        assert sum(e["EventName"] == name for e in reads) <= (finished - promoted_by + 4.0) + 1
    assert per_poll >= 1
