"""Drift: an estate built from the rendered files shows none; each live change is named exactly."""

from __future__ import annotations

import json
import secrets

import pytest
from tests.iac.estate import apply_all
from tests.iac.plans import plan, plan_data, resource_data

from drctl.iac.drift import Difference, detect_drift
from drctl.iac.live import ROUTE53_REGION
from drctl.plan.model import Plan
from drctl.plan.resources import S3Replication
from drctl.providers.aws.clients import AwsClients


@pytest.fixture
def seed() -> Plan:
    """The seed estate with bucket names of its own (S3 names are global, as on AWS)."""
    data = plan_data()
    bucket = resource_data(data, "s3-replication")
    suffix = secrets.token_hex(4)
    for end in ("source", "destination"):
        bucket[end]["bucket"] += f"-{suffix}"
    return plan(data)


def _source(p: Plan) -> str:
    return p.resources_of(S3Replication)[0].source.bucket


@pytest.fixture
def ids(clients: AwsClients, seed: Plan) -> dict[str, str]:
    return apply_all(clients, seed)


def test_an_estate_built_from_the_rendered_files_shows_no_drift(
    clients: AwsClients, seed: Plan, ids: dict[str, str]
) -> None:
    report = detect_drift(seed, clients)
    assert report.differences == ()
    assert report.checked == ("my-app-dns", "assets", "my-cluster")


def test_a_changed_failure_threshold_is_reported_on_that_health_check_only(
    clients: AwsClients, seed: Plan, ids: dict[str, str]
) -> None:
    check_id = ids["my-app-dns/PrimaryHealthCheck"]
    clients.client("route53", ROUTE53_REGION).update_health_check(
        HealthCheckId=check_id, FailureThreshold=5
    )
    assert detect_drift(seed, clients).differences == (
        Difference(
            resource="my-app-dns",
            target=f"primary health check {check_id}",
            region=ROUTE53_REGION,
            field="failure_threshold",
            intended="3",
            live="5",
        ),
    )


def test_a_changed_path_and_an_inverted_check_are_both_reported(
    clients: AwsClients, seed: Plan, ids: dict[str, str]
) -> None:
    check_id = ids["my-app-dns/SecondaryHealthCheck"]
    clients.client("route53", ROUTE53_REGION).update_health_check(
        HealthCheckId=check_id, ResourcePath="/", Inverted=True
    )
    found = {
        (d.target, d.field, d.intended, d.live) for d in detect_drift(seed, clients).differences
    }
    assert found == {
        (f"secondary health check {check_id}", "resource_path", "/health", "/"),
        (f"secondary health check {check_id}", "inverted", "false", "true"),
    }


def test_a_scaled_up_standby_nodegroup_is_drift_from_warm_standby(
    clients: AwsClients, seed: Plan, ids: dict[str, str]
) -> None:
    clients.client("eks", "ap-southeast-1").update_nodegroup_config(
        clusterName="my-cluster",
        nodegroupName="ng-1",
        scalingConfig={"desiredSize": 3, "minSize": 2, "maxSize": 4},
    )
    found = {
        (d.target, d.region, d.field, d.intended, d.live)
        for d in detect_drift(seed, clients).differences
    }
    assert found == {
        ("nodegroup my-cluster/ng-1", "ap-southeast-1", "desired", "1", "3"),
        ("nodegroup my-cluster/ng-1", "ap-southeast-1", "min", "0", "2"),
    }


def test_replication_without_rtc_is_drift_when_the_rpo_needs_it(
    clients: AwsClients, seed: Plan, ids: dict[str, str]
) -> None:
    s3 = clients.client("s3", "ap-northeast-1")
    config = s3.get_bucket_replication(Bucket=_source(seed))["ReplicationConfiguration"]
    destination = config["Rules"][0]["Destination"]
    del destination["ReplicationTime"], destination["Metrics"]
    s3.put_bucket_replication(Bucket=_source(seed), ReplicationConfiguration=config)
    found = {
        (d.resource, d.field, d.intended, d.live) for d in detect_drift(seed, clients).differences
    }
    assert found == {
        ("assets", "replication_time", "Enabled", "Disabled"),
        ("assets", "metrics", "Enabled", "Disabled"),
    }


def test_an_empty_account_reports_every_checked_resource_missing(
    clients: AwsClients, seed: Plan
) -> None:
    found = {
        (d.resource, d.target, d.region, d.live) for d in detect_drift(seed, clients).differences
    }
    assert found == {
        ("my-app-dns", "hosted zone example.com", ROUTE53_REGION, "missing"),
        ("assets", f"bucket {_source(seed)}", "ap-northeast-1", "missing"),
        ("my-cluster", "EKS cluster my-cluster", "ap-northeast-1", "missing"),
        ("my-cluster", "EKS cluster my-cluster", "ap-southeast-1", "missing"),
    }


def test_backup_restore_does_not_expect_a_dr_cluster(clients: AwsClients) -> None:
    backup = plan(plan_data("backup-restore"))
    report = detect_drift(backup, clients)
    assert {d.region for d in report.differences if d.resource == "shop-backup-cluster"} == {
        "ap-northeast-1"
    }
    assert (
        "shop-backup-cluster in ap-southeast-1: backup-restore builds it at recovery"
        in report.skipped
    )


def test_the_report_serialises_for_json_output(
    clients: AwsClients, seed: Plan, ids: dict[str, str]
) -> None:
    document = json.loads(detect_drift(seed, clients).model_dump_json())
    assert document["plan"] == "my-app" and document["differences"] == []
    assert "argocd: no drift check for its kind" in document["skipped"]


def test_a_rule_renamed_by_hand_is_still_found_by_its_destination(
    clients: AwsClients, seed: Plan, ids: dict[str, str]
) -> None:
    s3 = clients.client("s3", "ap-northeast-1")
    config = s3.get_bucket_replication(Bucket=_source(seed))["ReplicationConfiguration"]
    config["Rules"][0]["ID"] = "hand-made"
    s3.put_bucket_replication(Bucket=_source(seed), ReplicationConfiguration=config)
    found = {(d.field, d.intended, d.live) for d in detect_drift(seed, clients).differences}
    assert found == {("rule_id", "drctl-assets", "hand-made")}
