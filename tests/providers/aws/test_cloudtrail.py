"""CloudTrail lookup and CloudWatch replication-lag actions against the sandbox over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from drctl.audit.cloudtrail import TrailWindow, down_regions, lookup_run_calls
from drctl.errors import NotFoundError
from drctl.providers.aws import cloudtrail
from drctl.providers.base import StepTimeout
from drctl_sandbox.aws import outage

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"


def test_lookup_finds_the_promotion_events_of_the_window(aws: Any) -> None:
    name = aws.name("db")
    arn = aws.client("rds", PRIMARY).create_db_instance(
        DBInstanceIdentifier=name,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
    )["DBInstance"]["DBInstanceArn"]
    rds2 = aws.client("rds", SECONDARY)
    rds2.create_db_instance_read_replica(
        DBInstanceIdentifier=f"{name}-r",
        SourceDBInstanceIdentifier=arn,
        DBInstanceClass="db.t3.micro",
    )
    rds2.promote_read_replica(DBInstanceIdentifier=f"{name}-r")
    params = cloudtrail.LookupParams(
        region=SECONDARY, event_names=["PromoteReadReplica"], expect_at_least=1
    )

    _, verified = aws.prove_idempotent(
        cloudtrail.Lookup(params, aws.ctx(), aws.clients()), SECONDARY
    )

    mine = [e for e in verified["events"] if e["access_key_id"] == aws.access_key]
    assert [e["event_name"] for e in mine] == ["PromoteReadReplica"]
    assert mine[0]["event_source"] == "rds.amazonaws.com" and mine[0]["read_only"] is False


def test_lookup_times_out_when_the_expected_events_never_happened(aws: Any) -> None:
    params = cloudtrail.LookupParams(
        region=SECONDARY, event_names=["NoSuchEventEver"], expect_at_least=1
    )

    with pytest.raises(StepTimeout) as err:
        cloudtrail.Lookup(params, aws.ctx(), aws.clients()).verify(deadline=0.0)

    assert "0 event(s), expected 1" in err.value.message
    assert err.value.where == f"CloudTrail in {SECONDARY}"


def test_trail_status_reports_a_logging_multi_region_trail(aws: Any) -> None:
    bucket, trail = aws.name("trail-logs"), aws.name("org-trail")
    aws.client("s3", PRIMARY).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": PRIMARY}
    )
    ct = aws.client("cloudtrail", PRIMARY)
    ct.create_trail(Name=trail, S3BucketName=bucket, IsMultiRegionTrail=True)
    ct.start_logging(Name=trail)

    status = cloudtrail.read_trail_status(aws.clients(), trail, PRIMARY)

    assert (status.is_logging, status.multi_region) == (True, True)
    with pytest.raises(NotFoundError) as err:
        cloudtrail.read_trail_status(aws.clients(), "absent-trail", PRIMARY)
    assert err.value.where == f"trail absent-trail in {PRIMARY}"


def put_lag(aws: Any, cluster: str, milliseconds: float) -> None:
    aws.client("cloudwatch", SECONDARY).put_metric_data(
        Namespace="AWS/RDS",
        MetricData=[
            {
                "MetricName": "AuroraGlobalDBReplicationLag",
                "Unit": "Milliseconds",
                "Value": milliseconds,
                "Dimensions": [{"Name": "DBClusterIdentifier", "Value": cluster}],
                "Timestamp": datetime.now(UTC),
            }
        ],
    )


def test_replication_lag_under_the_budget_passes_in_seconds(aws: Any) -> None:
    cluster = aws.name("app-singapore")
    put_lag(aws, cluster, 250.0)
    params = cloudtrail.LagParams(
        region=SECONDARY,
        metric="AuroraGlobalDBReplicationLag",
        resource=cluster,
        max_lag=timedelta(seconds=1),
    )

    _, verified = aws.prove_idempotent(
        cloudtrail.ReplicationLag(params, aws.ctx(), aws.clients()), SECONDARY
    )

    assert verified["max_seconds"] == pytest.approx(0.25)


def test_replication_lag_over_the_budget_fails_naming_the_lag(aws: Any) -> None:
    cluster = aws.name("app-singapore")
    put_lag(aws, cluster, 4200.0)
    params = cloudtrail.LagParams(
        region=SECONDARY,
        metric="AuroraGlobalDBReplicationLag",
        resource=cluster,
        max_lag=timedelta(seconds=1),
    )

    with pytest.raises(StepTimeout) as err:
        cloudtrail.ReplicationLag(params, aws.ctx(), aws.clients()).verify(deadline=0.0)

    assert "lag 4.200s exceeds 1.000s" in err.value.message
    assert err.value.where == f"{cluster} in {SECONDARY}"


def _window() -> TrailWindow:
    now = datetime.now(UTC)
    return TrailWindow(
        start=now - timedelta(minutes=5),
        end=now,
        regions=[PRIMARY, SECONDARY],
        event_names=["FailoverGlobalCluster", "PromoteReadReplica", "ChangeResourceRecordSets"],
    )


@pytest.fixture
def primary_down() -> Iterator[None]:
    outage.block(PRIMARY)
    yield
    outage.unblock(PRIMARY)


def test_evidence_does_not_ask_cloudtrail_in_the_region_the_run_knows_is_down(
    aws: Any, primary_down: None
) -> None:
    started = time.monotonic()

    found = lookup_run_calls(aws.clients(), _window(), down=down_regions("region-failure", PRIMARY))

    assert time.monotonic() - started < 3  # the default client spends ~12 s retrying there
    assert found.errors == [f"{PRIMARY}: not looked up, the region is down in this run"]


def test_a_region_that_does_not_answer_once_is_not_asked_for_the_other_names(
    aws: Any, primary_down: None
) -> None:
    found = lookup_run_calls(aws.clients(max_attempts=2), _window())

    assert [e.split(":")[0] for e in found.errors] == [
        f"FailoverGlobalCluster in {PRIMARY}",
        f"PromoteReadReplica, ChangeResourceRecordSets in {PRIMARY}",
    ]
    assert found.errors[1].endswith("not looked up, the region did not answer")
    assert down_regions("failback", PRIMARY) == [] and down_regions("drill", None) == []
