"""The data-plane switch: ARC routing controls on rotating endpoints, verified over real DNS."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from drctl.errors import ProviderError
from drctl.providers.aws import arc
from drctl.providers.aws.route53 import Target
from drctl.providers.aws.route53_failover import (
    ActivateSecondary,
    ArcControls,
    FailoverParams,
    RestorePrimary,
)
from drctl_sandbox.aws.arc_cluster import ArcCluster, SafetyRule
from drctl_sandbox.aws.dns_server import AuthoritativeDns

GLOBAL = "us-east-1"
PANEL = "arn:aws:route53-recovery-control::123456789012:controlpanel/p1/routingcontrol"


@pytest.fixture
def dns() -> Iterator[AuthoritativeDns]:
    server = AuthoritativeDns().start()
    yield server
    server.stop()


@pytest.fixture
def cluster(aws: Any) -> Iterator[ArcCluster]:
    primary, secondary = f"{PANEL}/{aws.name('apne1')}", f"{PANEL}/{aws.name('apse1')}"
    running = ArcCluster(
        controls={primary: "primary", secondary: "secondary"},
        rules=[SafetyRule("at-least-one-on", (primary, secondary))],
    ).start()
    running.update({secondary: "Off"}, [])
    yield running
    running.stop()


def controlled_zone(aws: Any, cluster: ArcCluster) -> tuple[str, str, ArcControls]:
    """PRIMARY 10.0.0.1 / SECONDARY 10.0.1.1, each with a RECOVERY_CONTROL health check."""
    r53 = aws.client("route53", GLOBAL)
    zone = f"{aws.name('arc')}.example.com"
    zone_id = r53.create_hosted_zone(Name=zone, CallerReference=aws.name("ref"))["HostedZone"]["Id"]
    primary, secondary = list(cluster.controls)
    record, changes = f"app.{zone}", []
    for role, ip, control in (
        ("PRIMARY", "10.0.0.1", primary),
        ("SECONDARY", "10.0.1.1", secondary),
    ):
        check = r53.create_health_check(
            CallerReference=aws.name("hc"),
            HealthCheckConfig={"Type": "RECOVERY_CONTROL", "RoutingControlArn": control},
        )["HealthCheck"]["Id"]
        changes.append({"Action": "CREATE", "ResourceRecordSet": {
            "Name": record, "Type": "A", "SetIdentifier": role.lower(), "Failover": role,
            "TTL": 60, "ResourceRecords": [{"Value": ip}], "HealthCheckId": check,
        }})  # fmt: skip
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    controls = ArcControls(
        endpoints=cluster.endpoints(), primary_control=primary, secondary_control=secondary
    )
    return zone, record, controls


def params(zone: str, record: str, controls: ArcControls) -> FailoverParams:
    return FailoverParams(
        hosted_zone=zone,
        record=record,
        method="arc-routing-control",
        primary=Target(value="10.0.0.1"),
        secondary=Target(value="10.0.1.1"),
        arc=controls,
    )


def ctx(aws: Any, dns: AuthoritativeDns) -> Any:
    settings = aws.settings.model_copy(update={"dns_servers": [dns.address]})
    return dataclasses.replace(aws.ctx(), settings=settings)


def test_switching_with_routing_controls_survives_a_dead_endpoint_and_is_seen_in_dns(
    aws: Any, cluster: ArcCluster, dns: AuthoritativeDns
) -> None:
    zone, record, controls = controlled_zone(aws, cluster)
    cluster.take_down(next(iter(controls.endpoints)))  # the first endpoint no longer answers
    time.sleep(1.1)  # CloudTrail times have one-second resolution
    switched_at = datetime.now(UTC)
    action = ActivateSecondary(params(zone, record, controls), ctx(aws, dns), aws.clients())

    outcome = action.apply()
    verified = action.verify(deadline=time.monotonic() + 15)

    assert outcome.changed is True
    assert verified["dns_answer"] == ["10.0.1.1"]
    assert cluster.state(controls.secondary_control) == "On"
    assert cluster.state(controls.primary_control) == "Off"
    assert action.apply().changed is False
    route53_calls = {e["EventName"] for e in aws.calls(GLOBAL, since=switched_at)}
    assert not route53_calls & {"UpdateHealthCheck", "ChangeResourceRecordSets", "TestDNSAnswer"}


def test_failback_turns_the_primary_on_again(
    aws: Any, cluster: ArcCluster, dns: AuthoritativeDns
) -> None:
    zone, record, controls = controlled_zone(aws, cluster)
    ActivateSecondary(params(zone, record, controls), ctx(aws, dns), aws.clients()).apply()
    back = RestorePrimary(params(zone, record, controls), ctx(aws, dns), aws.clients())

    back.apply()

    assert back.verify(deadline=time.monotonic() + 15)["dns_answer"] == ["10.0.0.1"]


def test_a_safety_rule_conflict_is_raised_at_once_not_tried_on_other_endpoints(
    aws: Any, cluster: ArcCluster
) -> None:
    primary, secondary = list(cluster.controls)
    with pytest.raises(ProviderError) as err:
        arc.update_states(aws.clients(), cluster.endpoints(), {primary: "Off", secondary: "Off"})
    assert err.value.code == "ConflictException"
    assert cluster.state(primary) == "On"


def test_no_endpoint_answering_is_one_retryable_error_naming_each(
    aws: Any, cluster: ArcCluster
) -> None:
    endpoints = cluster.endpoints()
    cluster.stop()
    with pytest.raises(ProviderError) as err:
        arc.read_states(aws.clients(), endpoints, list(cluster.controls)[:1])
    assert err.value.code == "NoClusterEndpoint" and err.value.retryable
    assert all(region in err.value.message for region in endpoints)
