"""ElastiCache Global Datastore actions against the sandbox over HTTP: failover and member checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from drctl.clock import SystemClock
from drctl.errors import StateError
from drctl.providers.aws.elasticache import (
    FailoverDatastore,
    MemberParams,
    VerifyMember,
    VerifyMemberParams,
    read_global_datastore,
)
from drctl.providers.base import StepTimeout

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"


def global_datastore(aws: Any) -> tuple[str, str, str]:
    """A datastore with its primary group in PRIMARY and a secondary in SECONDARY."""
    home, dr = aws.name("sessions-tokyo"), aws.name("sessions-singapore")
    aws.client("elasticache", PRIMARY).create_replication_group(
        ReplicationGroupId=home, ReplicationGroupDescription="sessions", Engine="redis"
    )
    created = aws.client("elasticache", PRIMARY).create_global_replication_group(
        GlobalReplicationGroupIdSuffix=aws.name("sessions"), PrimaryReplicationGroupId=home
    )["GlobalReplicationGroup"]
    datastore = created["GlobalReplicationGroupId"]
    aws.client("elasticache", SECONDARY).create_replication_group(
        ReplicationGroupId=dr,
        ReplicationGroupDescription="sessions",
        GlobalReplicationGroupId=datastore,
    )
    return datastore, home, dr


def test_the_sandbox_answers_global_datastores_as_the_api_reference_says(aws: Any) -> None:
    datastore, home, dr = global_datastore(aws)
    ec = aws.client("elasticache", SECONDARY)
    without = ec.describe_global_replication_groups(GlobalReplicationGroupId=datastore)
    assert "Members" not in without["GlobalReplicationGroups"][0]
    state = read_global_datastore(aws.clients(), datastore, SECONDARY)
    assert state.status == "available"
    assert {(m.replication_group, m.role) for m in state.members} == {
        (home, "PRIMARY"),
        (dr, "SECONDARY"),
    }
    with pytest.raises(ClientError) as missing:
        ec.describe_global_replication_groups(GlobalReplicationGroupId="nope-x")
    assert missing.value.response["Error"]["Code"] == "GlobalReplicationGroupNotFoundFault"


def test_failover_makes_the_dr_group_primary_once_and_repeats_as_a_no_op(aws: Any) -> None:
    datastore, home, dr = global_datastore(aws)
    params = MemberParams(global_datastore=datastore, region=SECONDARY, replication_group=dr)
    action = FailoverDatastore(params, aws.ctx(), aws.clients())
    assert dr in action.describe()
    since = datetime.now(UTC)

    first, verified = aws.prove_idempotent(action, PRIMARY, SECONDARY)

    assert first.changed is True and verified["primary"] == dr
    state = read_global_datastore(aws.clients(), datastore, PRIMARY)
    assert state.primary is not None and state.primary.replication_group == dr
    assert state.member(home) is not None and state.member(home).role == "SECONDARY"  # type: ignore[union-attr]
    assert aws.writes(PRIMARY, SECONDARY, since=since) == ["FailoverGlobalReplicationGroup"]


def test_failover_to_a_group_outside_the_datastore_names_it(aws: Any) -> None:
    datastore, _home, _dr = global_datastore(aws)
    params = MemberParams(global_datastore=datastore, region=SECONDARY, replication_group="other")
    with pytest.raises(StateError, match="other is not a member of global datastore"):
        FailoverDatastore(params, aws.ctx(), aws.clients()).apply()


def test_verify_member_waits_for_the_role_and_names_what_is_wrong(aws: Any) -> None:
    datastore, home, dr = global_datastore(aws)
    ok = VerifyMemberParams(global_datastore=datastore, region=SECONDARY, replication_group=dr)
    out = VerifyMember(ok, aws.ctx(), aws.clients()).verify(deadline=SystemClock().monotonic() + 5)
    assert out["identifier"] == datastore
    wrong = VerifyMemberParams(global_datastore=datastore, region=SECONDARY, replication_group=home)
    with pytest.raises(StepTimeout, match=f"{home} is PRIMARY, not SECONDARY"):
        VerifyMember(wrong, aws.ctx(), aws.clients()).verify(
            deadline=SystemClock().monotonic() + 0.5
        )
