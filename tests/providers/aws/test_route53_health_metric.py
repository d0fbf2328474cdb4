"""Route 53 health as Route 53 decides it: > 18 % of checkers, read from CloudWatch, not polled."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.providers.aws.test_route53 import GLOBAL, failover_zone

from drctl.providers.aws.route53 import read_health_check
from drctl.providers.aws.route53_failover import HealthStatus, HealthStatusParams
from drctl_sandbox.aws import route53_health
from drctl_sandbox.aws.route53_health import CHECKER_REGIONS, HealthEvaluator
from drctl_sandbox.estate.sample_app import SampleApps

pytestmark = pytest.mark.usefixtures("uncut")


@pytest.fixture
def uncut() -> Iterator[None]:
    yield
    route53_health.cut_checkers(set())


@pytest.fixture
def app() -> Iterator[Any]:
    apps = SampleApps(["here"]).start()
    yield apps["here"]
    apps.stop()


def health_check_on(aws: Any, app: Any) -> str:
    return str(
        aws.client("route53", GLOBAL).create_health_check(
            CallerReference=aws.name("hc"),
            HealthCheckConfig={
                "IPAddress": app.host, "Port": app.port, "Type": "HTTP",
                "ResourcePath": "/health", "RequestInterval": 10, "FailureThreshold": 3,
            },
        )["HealthCheck"]["Id"]
    )  # fmt: skip


def evaluate(check_id: str, times: int = 3) -> None:
    evaluator = HealthEvaluator(interval=0.0)
    for _ in range(times):
        evaluator.evaluate_once(only={check_id})


def test_a_check_that_a_quarter_of_its_checkers_reach_is_healthy_as_route53_decides(
    aws: Any, app: Any
) -> None:
    hc = health_check_on(aws, app)
    route53_health.cut_checkers(set(CHECKER_REGIONS[2:]))  # 2 of 8 checkers reach it: 25 %
    evaluate(hc)

    state = read_health_check(aws.clients(), hc)

    observations = aws.client("route53", GLOBAL).get_health_check_status(HealthCheckId=hc)[
        "HealthCheckObservations"
    ]
    assert [o["Region"] for o in observations] == list(CHECKER_REGIONS)
    assert sum(o["StatusReport"]["Status"].startswith("Success") for o in observations) == 2
    assert all(o["IPAddress"].startswith("15.177.") for o in observations)
    assert (state.healthy, state.status_metric) == (True, 1.0)


def test_a_check_that_only_one_checker_in_eight_reaches_is_unhealthy_and_says_why(
    aws: Any, app: Any
) -> None:
    hc = health_check_on(aws, app)
    route53_health.cut_checkers(set(CHECKER_REGIONS[1:]))  # 12.5 %: not more than 18 %
    evaluate(hc)

    state = read_health_check(aws.clients(), hc, diagnose=True)

    assert (state.healthy, state.status_metric) == (False, 0.0)
    assert state.reports[0].startswith("us-east-1: Success")
    assert state.reports[1].startswith("us-west-1: Failure: Connection timed out")


def test_a_check_without_a_published_status_is_not_reported_healthy(aws: Any, app: Any) -> None:
    hc = health_check_on(aws, app)

    state = read_health_check(aws.clients(), hc)

    assert state.healthy is False
    assert state.reports == (
        "no HealthCheckStatus datapoint in CloudWatch us-east-1 over the last 5 minutes",
    )


def test_waiting_for_health_reads_cloudwatch_and_never_polls_get_health_check_status(
    aws: Any,
) -> None:
    zone, record, hc = failover_zone(aws)
    route53_health.publish_status_of(hc)
    action = HealthStatus(
        HealthStatusParams(hosted_zone=zone, record=record, expect_healthy=["primary"]),
        aws.ctx(),
        aws.clients(),
    )

    verified = action.verify(deadline=aws.ctx().clock.monotonic() + 10)

    assert verified["primary"]["healthy"] is True
    calls = {(e["EventSource"], e["EventName"]) for e in aws.calls(GLOBAL)}
    assert ("monitoring.amazonaws.com", "GetMetricData") in calls
    assert not any(name == "GetHealthCheckStatus" for _, name in calls)
