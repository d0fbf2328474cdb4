"""The whole seed estate, provisioned by `Sandbox`, checked through boto3 over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from pydantic import ValidationError

from drctl_sandbox.runtime import Sandbox

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"
pytestmark = pytest.mark.slow  # starts the whole sandbox (~3 s) and waits for failovers


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    started = time.monotonic()
    with Sandbox(health_interval=0.2, replication_lag=0.1) as running:
        print(
            f"\nseed estate: sandbox up in {time.monotonic() - started:.2f} s, "
            f"provisioning {running.estate.seconds_to_provision:.2f} s"
        )
        yield running


def client(sandbox: Sandbox, service: str, region: str = "us-east-1") -> Any:
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=sandbox.endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_eks_runs_in_both_regions_with_active_and_standby_capacity(sandbox: Sandbox) -> None:
    sizes = {}
    for region in (PRIMARY, SECONDARY):
        eks = client(sandbox, "eks", region)
        assert eks.list_clusters()["clusters"] == ["my-cluster"]
        ng = eks.describe_nodegroup(clusterName="my-cluster", nodegroupName="ng-1")["nodegroup"]
        sizes[region] = ng["scalingConfig"]["desiredSize"]
        vpc = eks.describe_cluster(name="my-cluster")["cluster"]["resourcesVpcConfig"]
        assert len(vpc["subnetIds"]) == 3
    assert sizes == {PRIMARY: 3, SECONDARY: 1}  # warm standby: DR at standby.desired


def test_each_region_has_a_vpc_with_three_az_subnets_and_an_alb(sandbox: Sandbox) -> None:
    for region in (PRIMARY, SECONDARY):
        network = sandbox.estate.networks[region]
        subnets = client(sandbox, "ec2", region).describe_subnets(SubnetIds=network.subnet_ids)
        zones = sorted(s["AvailabilityZone"] for s in subnets["Subnets"])
        assert zones == sorted(network.availability_zones) and len(set(zones)) == 3
        lbs = client(sandbox, "elbv2", region).describe_load_balancers()["LoadBalancers"]
        assert [lb["LoadBalancerArn"] for lb in lbs] == [sandbox.estate.load_balancers[region].arn]


def test_route53_has_health_checks_on_the_apps_and_primary_secondary_records(
    sandbox: Sandbox,
) -> None:
    dns = sandbox.estate.failover()
    r53 = client(sandbox, "route53")
    for region, check_id in dns.health_check_ids.items():
        config = r53.get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckConfig"]
        app = sandbox.estate.apps[region]
        assert (config["IPAddress"], config["Port"], config["ResourcePath"]) == (
            app.host, app.port, "/health",
        )  # fmt: skip
        assert (config["Type"], config["RequestInterval"], config["FailureThreshold"]) == (
            "HTTP", 10, 3,
        )  # fmt: skip
    records = r53.list_resource_record_sets(HostedZoneId=dns.zone_id)["ResourceRecordSets"]
    failover = {r["Failover"]: r["ResourceRecords"][0]["Value"] for r in records if "Failover" in r}
    assert failover == {"PRIMARY": "127.0.0.2", "SECONDARY": "127.0.0.3"}


def test_aurora_global_cluster_has_a_writer_in_primary_and_a_reader_in_dr(
    sandbox: Sandbox,
) -> None:
    rds = client(sandbox, "rds", PRIMARY)
    glob = rds.describe_global_clusters(GlobalClusterIdentifier="orders-global")
    members = {
        m["DBClusterArn"]: m["IsWriter"] for m in glob["GlobalClusters"][0]["GlobalClusterMembers"]
    }
    arns = sandbox.estate.aurora["orders-db"].cluster_arns
    assert members == {arns[PRIMARY]: True, arns[SECONDARY]: False}


def test_rds_instance_has_a_cross_region_read_replica(sandbox: Sandbox) -> None:
    replica = client(sandbox, "rds", SECONDARY).describe_db_instances(
        DBInstanceIdentifier="legacy-db-replica"
    )["DBInstances"][0]
    assert (
        replica["ReadReplicaSourceDBInstanceIdentifier"]
        == sandbox.estate.rds["legacy-db"].source_arn
    )


def test_dynamodb_table_is_global_and_replicates_items(sandbox: Sandbox) -> None:
    table = client(sandbox, "dynamodb", PRIMARY).describe_table(TableName="sessions")["Table"]
    assert table["Replicas"] == [{"RegionName": SECONDARY, "ReplicaStatus": "ACTIVE"}]
    client(sandbox, "dynamodb", PRIMARY).put_item(
        TableName="sessions", Item={"pk": {"S": "estate"}}
    )
    dr = client(sandbox, "dynamodb", SECONDARY)
    deadline = time.monotonic() + 5
    while "Item" not in dr.get_item(TableName="sessions", Key={"pk": {"S": "estate"}}):
        assert time.monotonic() < deadline, "item did not replicate within 5 s"
        time.sleep(0.05)


def test_s3_buckets_are_versioned_and_replicate_with_rtc(sandbox: Sandbox) -> None:
    s3 = client(sandbox, "s3", PRIMARY)
    for bucket in ("my-app-assets-apne1", "my-app-assets-apse1"):
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_replication(Bucket="my-app-assets-apne1")["ReplicationConfiguration"][
        "Rules"
    ][0]
    assert rule["Destination"]["Bucket"] == "arn:aws:s3:::my-app-assets-apse1"
    assert rule["Destination"]["ReplicationTime"]["Status"] == "Enabled"


def test_ebs_snapshots_are_copied_to_dr_and_efs_exists_per_region(sandbox: Sandbox) -> None:
    ebs = sandbox.estate.ebs["batch-volumes"]
    copy = client(sandbox, "ec2", SECONDARY).describe_snapshots(
        SnapshotIds=[ebs.copies["my-app-batch-data"]]
    )["Snapshots"][0]
    assert copy["State"] == "completed"
    for region, fs_id in sandbox.estate.efs["shared-files"].file_systems.items():
        found = client(sandbox, "efs", region).describe_file_systems(FileSystemId=fs_id)
        assert found["FileSystems"][0]["Encrypted"] is True


def test_secrets_have_dr_replicas_and_ssm_parameters_exist_in_both_regions(
    sandbox: Sandbox,
) -> None:
    secret = client(sandbox, "secretsmanager", PRIMARY).describe_secret(
        SecretId="my-app/db-credentials"
    )
    assert [r["Region"] for r in secret["ReplicationStatus"]] == [SECONDARY]
    assert (
        "FAKE"
        in client(sandbox, "secretsmanager", SECONDARY).get_secret_value(
            SecretId="my-app/db-credentials"
        )["SecretString"]
    )
    for region in (PRIMARY, SECONDARY):
        names = client(sandbox, "ssm", region).get_parameters(
            Names=["/my-app/feature-flags", "/my-app/endpoint"]
        )["Parameters"]
        assert len(names) == 2


def test_cloudtrail_is_multi_region_with_log_validation_and_config_records(
    sandbox: Sandbox,
) -> None:
    trail = client(sandbox, "cloudtrail", PRIMARY).get_trail(Name=sandbox.estate.audit.trail_name)[
        "Trail"
    ]
    assert trail["IsMultiRegionTrail"] and trail["LogFileValidationEnabled"]
    status = client(sandbox, "config", SECONDARY).describe_configuration_recorder_status()
    assert status["ConfigurationRecordersStatus"][0]["recording"] is True
    lock = client(sandbox, "s3", PRIMARY).get_object_lock_configuration(Bucket="my-app-dr-evidence")
    assert lock["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Mode"] == "COMPLIANCE"


def test_estate_is_frozen_data() -> None:
    from drctl_sandbox.estate.model import AppEndpoint

    endpoint = AppEndpoint(region=PRIMARY, host="127.0.0.2", port=80)
    with pytest.raises(ValidationError):
        endpoint.port = 81  # type: ignore[misc]


def test_failing_the_primary_region_fails_dns_over_and_stops_replication_out_of_it(
    sandbox: Sandbox,
) -> None:
    record = sandbox.estate.failover().record_name
    assert sandbox.resolve(record) == ["127.0.0.2"]
    sandbox.fail_region(PRIMARY)
    try:
        deadline = time.monotonic() + 5
        while sandbox.resolve(record) != ["127.0.0.3"]:
            assert time.monotonic() < deadline, "DNS did not fail over within 5 s"
            time.sleep(0.05)
        client(sandbox, "dynamodb", PRIMARY).put_item(
            TableName="sessions", Item={"pk": {"S": "lost"}}
        )
        time.sleep(0.5)
        dr = client(sandbox, "dynamodb", SECONDARY)
        assert "Item" not in dr.get_item(TableName="sessions", Key={"pk": {"S": "lost"}})
    finally:
        sandbox.recover_region(PRIMARY)
    deadline = time.monotonic() + 5
    while sandbox.resolve(record) != ["127.0.0.2"]:
        assert time.monotonic() < deadline, "DNS did not fail back within 5 s"
        time.sleep(0.05)
