"""Route 53 actions against the sandbox over HTTP: activate the secondary, restore the primary, health status."""

from __future__ import annotations

from typing import Any

import pytest

from drctl.errors import NotFoundError, StateError
from drctl.providers.aws.route53 import read_failover_records, read_health_check
from drctl.providers.aws.route53_failover import (
    ActivateSecondary,
    FailoverParams,
    HealthStatus,
    HealthStatusParams,
    RestorePrimary,
)
from drctl_sandbox.aws import route53_health

GLOBAL = "us-east-1"


def failover_zone(aws: Any, *, with_health_check: bool = True) -> tuple[str, str, str]:
    """A zone with PRIMARY (10.0.0.1, health-checked) and SECONDARY (10.0.1.1) records for app.<zone>."""
    r53 = aws.client("route53", GLOBAL)
    zone = f"{aws.name('shop')}.example.com"
    zone_id = r53.create_hosted_zone(Name=zone, CallerReference=aws.name("ref"))["HostedZone"]["Id"]
    hc = r53.create_health_check(
        CallerReference=aws.name("hc"),
        HealthCheckConfig={
            "IPAddress": "10.0.0.1",
            "Port": 80,
            "Type": "HTTP",
            "ResourcePath": "/health",
            "RequestInterval": 10,
            "FailureThreshold": 3,
        },
    )["HealthCheck"]["Id"]
    record = f"app.{zone}"
    changes = []
    for role, ip in (("PRIMARY", "10.0.0.1"), ("SECONDARY", "10.0.1.1")):
        rrset: dict[str, Any] = {
            "Name": record,
            "Type": "A",
            "SetIdentifier": role.lower(),
            "Failover": role,
            "TTL": 60,
            "ResourceRecords": [{"Value": ip}],
        }
        if role == "PRIMARY" and with_health_check:
            rrset["HealthCheckId"] = hc
        changes.append({"Action": "CREATE", "ResourceRecordSet": rrset})
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return zone, record, hc


@pytest.mark.parametrize("method", ["invert-health-check", "disable-health-check"])
def test_activating_the_secondary_flips_the_primary_health_check_and_failback_restores_it(
    aws: Any, method: str
) -> None:
    zone, record, hc = failover_zone(aws)
    params = FailoverParams(hosted_zone=zone, record=record, method=method)

    first, _verified = aws.prove_idempotent(
        ActivateSecondary(params, aws.ctx(), aws.clients()), GLOBAL
    )

    assert first.changed is True
    assert first.output["health_check_ids"] == [hc]
    state = read_health_check(aws.clients(), hc)
    assert state.inverted is True
    assert state.disabled is (method == "disable-health-check")
    back, _ = aws.prove_idempotent(RestorePrimary(params, aws.ctx(), aws.clients()), GLOBAL)
    assert back.changed is True
    restored = read_health_check(aws.clients(), hc)
    assert (restored.inverted, restored.disabled) == (False, False)


def test_record_upsert_points_the_primary_record_at_the_secondary_and_keeps_the_change_batch(
    aws: Any,
) -> None:
    zone, record, hc = failover_zone(aws)
    params = FailoverParams(
        hosted_zone=zone,
        record=record,
        method="record-upsert",
        health_check_id=hc,
        primary={"value": "10.0.0.1"},
        secondary={"value": "10.0.1.1"},
    )
    action = ActivateSecondary(params, aws.ctx(), aws.clients())
    assert (
        action.describe()
        == f"make the secondary of {record} (A, zone {zone}) active by record-upsert"
    )

    first, verified = aws.prove_idempotent(action, GLOBAL)

    change = first.output["change_batch"]["Changes"][0]
    assert change["Action"] == "UPSERT"
    assert change["ResourceRecordSet"]["Failover"] == "PRIMARY"
    assert change["ResourceRecordSet"]["ResourceRecords"] == [{"Value": "10.0.1.1"}]
    assert verified["insync_changes"] == [first.output["change_id"]]
    records = read_failover_records(aws.clients(), zone, record)
    assert records.primary is not None and records.primary.values == ("10.0.1.1",)

    aws.prove_idempotent(RestorePrimary(params, aws.ctx(), aws.clients()), GLOBAL)
    records = read_failover_records(aws.clients(), zone, record)
    assert records.primary is not None
    assert (records.primary.values, records.primary.health_check_id) == (("10.0.0.1",), hc)


def test_record_upsert_failback_restores_the_primary_health_check_it_was_not_given(
    aws: Any,
) -> None:
    zone, record, hc = failover_zone(aws)
    params = FailoverParams(  # as the recipe compiles it: the plan knows no health check id
        hosted_zone=zone,
        record=record,
        method="record-upsert",
        primary={"value": "10.0.0.1"},
        secondary={"value": "10.0.1.1"},
    )

    aws.prove_idempotent(ActivateSecondary(params, aws.ctx(), aws.clients()), GLOBAL)
    aws.prove_idempotent(RestorePrimary(params, aws.ctx(), aws.clients()), GLOBAL)

    records = read_failover_records(aws.clients(), zone, record)
    assert records.primary is not None
    assert (records.primary.values, records.primary.health_check_id) == (("10.0.0.1",), hc)


def test_record_upsert_failback_refuses_to_leave_the_primary_without_a_health_check(
    aws: Any,
) -> None:
    zone, record, _hc = failover_zone(aws, with_health_check=False)
    params = FailoverParams(
        hosted_zone=zone,
        record=record,
        method="record-upsert",
        primary={"value": "10.0.0.1"},
        secondary={"value": "10.0.1.1"},
    )

    with pytest.raises(StateError) as err:
        RestorePrimary(params, aws.ctx(), aws.clients()).apply()

    assert err.value.message == f"the PRIMARY record of {record} has no health check to restore"


def test_health_status_reports_each_side_and_changes_nothing(aws: Any) -> None:
    zone, record, hc = failover_zone(aws)
    route53_health.publish_status_of(hc)  # what Route 53 puts into CloudWatch every minute
    action = HealthStatus(
        HealthStatusParams(hosted_zone=zone, record=record, expect_healthy=["primary"]),
        aws.ctx(),
        aws.clients(),
    )

    first, verified = aws.prove_idempotent(action, GLOBAL)

    assert first.changed is False
    assert verified["primary"]["id"] == hc and verified["primary"]["healthy"] is True
    assert "secondary" not in verified


def test_missing_hosted_zone_is_not_found_with_a_hint(aws: Any) -> None:
    params = FailoverParams(hosted_zone="nowhere.example.org", record="app.nowhere.example.org")

    with pytest.raises(NotFoundError) as err:
        ActivateSecondary(params, aws.ctx(), aws.clients()).apply()

    assert err.value.where == f"hosted zone nowhere.example.org in {GLOBAL}"
    assert "list-hosted-zones" in err.value.hint


def test_inverting_without_any_health_check_is_a_state_error(aws: Any) -> None:
    zone, record, _hc = failover_zone(aws, with_health_check=False)

    with pytest.raises(StateError) as err:
        ActivateSecondary(
            FailoverParams(hosted_zone=zone, record=record), aws.ctx(), aws.clients()
        ).apply()

    assert err.value.message == f"the PRIMARY record of {record} has no health check"
    assert "health_check_id" in err.value.hint


def test_record_upsert_without_targets_is_rejected_by_the_params_model() -> None:
    with pytest.raises(ValueError, match="needs both `primary` and `secondary`"):
        FailoverParams(
            hosted_zone="z.example.com", record="app.z.example.com", method="record-upsert"
        )
