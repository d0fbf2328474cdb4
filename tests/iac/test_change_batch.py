"""failover.json moves the PRIMARY record to the DR target; failback.json restores the intent."""

from __future__ import annotations

import json
import secrets

import pytest
from tests.iac.estate import apply_route53
from tests.iac.plans import plan, plan_data, resource_data

from drctl.iac.context import RenderContext
from drctl.iac.drift import detect_drift
from drctl.iac.files import Kind
from drctl.iac.live import ROUTE53_REGION, hosted_zone_id, render_context
from drctl.iac.render import render
from drctl.plan.model import Plan
from drctl.providers.aws.clients import AwsClients


@pytest.fixture
def dns_only() -> Plan:
    data = plan_data()
    data["resources"] = [resource_data(data, "route53-failover")]
    return plan(data)


def _batches(p: Plan, ctx: RenderContext) -> dict[str, dict[str, object]]:
    files = render(p, ctx, only=[Kind.CHANGE_BATCH])
    return {f.path.rsplit("-", 1)[-1]: json.loads(f.content) for f in files}


def _apply(clients: AwsClients, batch: dict[str, object]) -> None:
    zone = hosted_zone_id(clients, "example.com")
    clients.client("route53", ROUTE53_REGION).change_resource_record_sets(
        HostedZoneId=zone, ChangeBatch=batch
    )


def test_without_live_ids_the_batches_name_the_health_checks_as_placeholders(
    dns_only: Plan,
) -> None:
    batches = _batches(dns_only, RenderContext())
    failover = batches["failover.json"]["Changes"][0]["ResourceRecordSet"]  # type: ignore[index]
    assert failover["HealthCheckId"] == "${MY_APP_DNS_SECONDARY_HEALTH_CHECK_ID}"
    assert failover["AliasTarget"]["DNSName"] == "my-app-apse1.ap-southeast-1.elb.amazonaws.com"
    assert (failover["Failover"], failover["SetIdentifier"]) == ("PRIMARY", "Primary")


def test_manual_failover_then_failback_round_trips_to_no_drift(
    clients: AwsClients, dns_only: Plan
) -> None:
    ids = apply_route53(clients, dns_only)
    ctx = render_context(dns_only, clients, RenderContext())
    assert ctx.health_check_ids == {
        "my-app-dns/primary": ids["my-app-dns/PrimaryHealthCheck"],
        "my-app-dns/secondary": ids["my-app-dns/SecondaryHealthCheck"],
    }
    batches = _batches(dns_only, ctx)
    _apply(clients, batches["failover.json"])
    moved = {(d.field, d.live) for d in detect_drift(dns_only, clients).differences}
    assert ("alias.dns_name", "my-app-apse1.ap-southeast-1.elb.amazonaws.com") in moved
    assert ("fqdn", "my-app-apse1.ap-southeast-1.elb.amazonaws.com") in moved
    _apply(clients, batches["failback.json"])
    assert detect_drift(dns_only, clients).differences == ()


def test_live_context_reads_the_account_id(clients: AwsClients, dns_only: Plan) -> None:
    account = clients.client("sts", "ap-northeast-1").get_caller_identity()["Account"]
    ctx = render_context(
        dns_only, clients, RenderContext(git_repo_url=f"https://g/{secrets.token_hex(2)}")
    )
    assert ctx.account_id == account
    assert ctx.health_check_ids == {}
