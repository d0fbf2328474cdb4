"""CloudTrail evidence covers the run's own window and waits (bounded) for late deliveries."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from drctl.providers.aws import cloudtrail
from drctl.providers.base import ActionContext, StepTimeout

GLOBAL = "us-east-1"


def health_check(aws: Any) -> str:
    return str(
        aws.client("route53", GLOBAL).create_health_check(
            CallerReference=aws.name("hc"),
            HealthCheckConfig={"IPAddress": "10.9.9.9", "Port": 80, "Type": "HTTP"},
        )["HealthCheck"]["Id"]
    )


def in_run(aws: Any, started: datetime, changed: set[str]) -> ActionContext:
    return dataclasses.replace(aws.ctx(), run_started_at=started, changed_steps=frozenset(changed))


def mine(verified: dict[str, Any], aws: Any) -> list[str]:
    return [e["event_name"] for e in verified["events"] if e["access_key_id"] == aws.access_key]


def test_calls_made_before_the_run_began_are_not_its_evidence(aws: Any) -> None:
    hc = health_check(aws)
    aws.client("route53", GLOBAL).update_health_check(HealthCheckId=hc, Inverted=True)
    time.sleep(1.1)  # CloudTrail times have one-second resolution
    started = datetime.now(UTC) + cloudtrail.WINDOW_SLACK  # the run began after that call
    params = cloudtrail.LookupParams(region=GLOBAL, event_names=["UpdateHealthCheck"])

    verified = cloudtrail.Lookup(params, in_run(aws, started, set()), aws.clients()).verify(
        deadline=time.monotonic() + 5
    )

    assert mine(verified, aws) == []


def test_the_lookup_waits_for_the_event_of_a_step_that_changed_something(aws: Any) -> None:
    hc = health_check(aws)
    params = cloudtrail.LookupParams(
        region=GLOBAL,
        event_names=["DeleteHealthCheck"],  # an event no other test of this module makes
        expect_from={"retire-check": ["DeleteHealthCheck"]},
    )
    ctx = in_run(aws, datetime.now(UTC), {"retire-check"})
    late = threading.Timer(
        1.0, lambda: aws.client("route53", GLOBAL).delete_health_check(HealthCheckId=hc)
    )
    late.start()  # the event turns up in event history after the lookup began

    verified = cloudtrail.Lookup(params, ctx, aws.clients()).verify(deadline=time.monotonic() + 10)

    late.join()
    assert mine(verified, aws) == ["DeleteHealthCheck"]


def test_the_wait_is_bounded_and_names_the_step_whose_event_never_came(aws: Any) -> None:
    params = cloudtrail.LookupParams(
        region=GLOBAL,
        event_names=["CreateTrafficPolicyInstance"],  # never made by the sandbox tests
        expect_from={"switch-dns": ["CreateTrafficPolicyInstance"], "idle": ["UpdateHealthCheck"]},
        wait=timedelta(seconds=1),
    )
    ctx = in_run(aws, datetime.now(UTC), {"switch-dns"})  # `idle` changed nothing: not awaited
    begun = time.monotonic()

    with pytest.raises(StepTimeout) as err:
        cloudtrail.Lookup(params, ctx, aws.clients()).verify(deadline=begun + 60)

    assert time.monotonic() - begun < 10
    assert (
        "no CloudTrail event in us-east-1 yet for switch-dns (CreateTrafficPolicyInstance)"
        in err.value.message
    )
    assert "idle" not in err.value.message
