"""Route53 health checks evaluated by probing the sample apps, and failover answers, over HTTP."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import pytest
from botocore.exceptions import ClientError
from tests.sandbox.conftest import PRIMARY, SECONDARY, Client

from drctl_sandbox.aws import route53_health
from drctl_sandbox.aws.route53_health import HealthEvaluator
from drctl_sandbox.estate.sample_app import SampleApps


@dataclass
class Failover:
    zone_id: str
    record: str
    checks: dict[str, str]


@pytest.fixture
def failover(aws: Client, apps: SampleApps) -> Failover:
    """A zone with PRIMARY/SECONDARY A records, each with a health check on its app's /health."""
    r53 = aws("route53")
    domain = f"{uuid.uuid4().hex[:8]}.example.com"
    zone_id = r53.create_hosted_zone(Name=domain, CallerReference=domain)["HostedZone"]["Id"]
    record, checks, changes = f"app.{domain}", {}, []
    for role, region in (("PRIMARY", PRIMARY), ("SECONDARY", SECONDARY)):
        app = apps[region]
        checks[region] = r53.create_health_check(
            CallerReference=f"{domain}-{region}",
            HealthCheckConfig={
                "Type": "HTTP", "IPAddress": app.host, "Port": app.port,
                "ResourcePath": "/health", "RequestInterval": 10, "FailureThreshold": 3,
            },
        )["HealthCheck"]["Id"]  # fmt: skip
        rrset = {
            "Name": record, "Type": "A", "SetIdentifier": role.lower(), "Failover": role,
            "TTL": 60, "ResourceRecords": [{"Value": app.host}], "HealthCheckId": checks[region],
        }  # fmt: skip
        changes.append({"Action": "UPSERT", "ResourceRecordSet": rrset})
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return Failover(zone_id.split("/")[-1], record, checks)


@pytest.fixture
def evaluator() -> HealthEvaluator:
    """Probes every check on each `evaluate_once()` call (interval 0), so tests control time."""
    return HealthEvaluator(interval=0.0)


def status_of(aws: Client, check_id: str) -> str:
    observations = aws("route53").get_health_check_status(HealthCheckId=check_id)
    return str(observations["HealthCheckObservations"][0]["StatusReport"]["Status"])


def dns_answer(aws: Client, failover: Failover) -> list[str]:
    answer = aws("route53").test_dns_answer(
        HostedZoneId=failover.zone_id, RecordName=failover.record, RecordType="A"
    )
    assert answer["ResponseCode"] == "NOERROR"
    return list(answer["RecordData"])


def evaluate(evaluator: HealthEvaluator, times: int) -> None:
    for _ in range(times):
        evaluator.evaluate_once()


def test_status_reports_the_observed_http_answer_of_the_endpoint(
    aws: Client, failover: Failover, evaluator: HealthEvaluator
) -> None:
    evaluate(evaluator, 1)
    status = status_of(aws, failover.checks[PRIMARY])
    assert status.startswith("Success: HTTP Status Code 200, OK")
    assert "127.0.0.2" in status


def test_check_turns_unhealthy_only_after_failure_threshold_consecutive_failures(
    aws: Client, apps: SampleApps, failover: Failover, evaluator: HealthEvaluator
) -> None:
    evaluate(evaluator, 1)
    apps[PRIMARY].fail()
    evaluate(evaluator, 2)
    assert status_of(aws, failover.checks[PRIMARY]).startswith("Success")
    evaluate(evaluator, 1)
    status = status_of(aws, failover.checks[PRIMARY])
    assert status.startswith("Failure: HTTP Status Code 503, Service Unavailable")
    assert status_of(aws, failover.checks[SECONDARY]).startswith("Success")


def test_check_turns_healthy_again_after_threshold_successes_when_the_app_recovers(
    aws: Client, apps: SampleApps, failover: Failover, evaluator: HealthEvaluator
) -> None:
    apps[PRIMARY].fail("down")
    evaluate(evaluator, 3)
    assert "Connection refused" in status_of(aws, failover.checks[PRIMARY])
    apps[PRIMARY].recover()
    evaluate(evaluator, 2)
    assert status_of(aws, failover.checks[PRIMARY]).startswith("Failure")
    evaluate(evaluator, 1)
    assert status_of(aws, failover.checks[PRIMARY]).startswith("Success")


def test_dns_answer_is_primary_while_healthy_and_secondary_after_the_primary_app_fails(
    aws: Client, apps: SampleApps, failover: Failover, evaluator: HealthEvaluator
) -> None:
    evaluate(evaluator, 1)
    assert dns_answer(aws, failover) == ["127.0.0.2"]
    apps[PRIMARY].fail()
    evaluate(evaluator, 3)
    assert dns_answer(aws, failover) == ["127.0.0.3"]
    assert route53_health.resolve(failover.record) == ["127.0.0.3"]


def test_dns_answer_falls_back_to_primary_when_both_regions_are_unhealthy(
    aws: Client, apps: SampleApps, failover: Failover, evaluator: HealthEvaluator
) -> None:
    apps[PRIMARY].fail()
    apps[SECONDARY].fail()
    evaluate(evaluator, 3)
    assert dns_answer(aws, failover) == ["127.0.0.2"]


def test_inverting_the_healthy_primary_check_reports_failure_and_fails_over(
    aws: Client, failover: Failover, evaluator: HealthEvaluator
) -> None:
    evaluate(evaluator, 1)
    aws("route53").update_health_check(HealthCheckId=failover.checks[PRIMARY], Inverted=True)
    status = status_of(aws, failover.checks[PRIMARY])
    assert status.startswith("Failure: HTTP Status Code 200") and "inverted" in status
    assert dns_answer(aws, failover) == ["127.0.0.3"]
    aws("route53").update_health_check(HealthCheckId=failover.checks[PRIMARY], Inverted=False)
    assert dns_answer(aws, failover) == ["127.0.0.2"]


def test_a_disabled_check_counts_as_healthy_even_when_its_endpoint_is_down(
    aws: Client, apps: SampleApps, failover: Failover, evaluator: HealthEvaluator
) -> None:
    aws("route53").update_health_check(HealthCheckId=failover.checks[PRIMARY], Disabled=True)
    apps[PRIMARY].fail("down")
    evaluate(evaluator, 3)
    assert status_of(aws, failover.checks[PRIMARY]).startswith("Success: Health check is disabled")
    assert dns_answer(aws, failover) == ["127.0.0.2"]


def test_dns_answer_for_an_unknown_name_is_nxdomain_and_an_unknown_zone_is_an_aws_error(
    aws: Client, failover: Failover
) -> None:
    r53 = aws("route53")
    answer = r53.test_dns_answer(
        HostedZoneId=failover.zone_id, RecordName="nope." + failover.record, RecordType="A"
    )
    assert (answer["ResponseCode"], answer["RecordData"]) == ("NXDOMAIN", [])
    with pytest.raises(ClientError) as caught:
        r53.test_dns_answer(HostedZoneId="ZNOSUCHZONE", RecordName="a.example.com", RecordType="A")
    assert caught.value.response["Error"]["Code"] == "NoSuchHostedZone"


def test_the_evaluator_thread_fails_over_within_a_few_compressed_intervals(
    aws: Client, apps: SampleApps, failover: Failover
) -> None:
    evaluator = HealthEvaluator(interval=0.1).start()
    try:
        apps[PRIMARY].fail()
        deadline = time.monotonic() + 5
        while (
            route53_health.resolve(failover.record) != ["127.0.0.3"] and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        assert dns_answer(aws, failover) == ["127.0.0.3"]
    finally:
        evaluator.stop()
