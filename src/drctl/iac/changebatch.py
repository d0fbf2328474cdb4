"""Route53 change batches for a manual switch (the seed's failover.json) and its reverse.

`failover` UPSERTs the PRIMARY record so it aliases the DR target, guarded by the DR health
check; `failback` UPSERTs it back to exactly what the CloudFormation template declares. Both
are used as `aws route53 change-resource-record-sets --change-batch file://...`.
"""

from __future__ import annotations

from typing import Any, Literal

from drctl.iac.context import RenderContext, Role
from drctl.iac.files import Kind, RenderedFile, to_json
from drctl.iac.route53 import RecordIntent, record_intent
from drctl.plan.model import Plan
from drctl.plan.resources import Route53Failover

Direction = Literal["failover", "failback"]
DIRECTIONS: tuple[Direction, Direction] = ("failover", "failback")


def record_set(intent: RecordIntent, health_check_id: str) -> dict[str, Any]:
    """A `ResourceRecordSet` of the Route53 API for a record intent."""
    record: dict[str, Any] = {
        "Name": intent.name,
        "Type": intent.type,
        "SetIdentifier": intent.set_identifier,
        "Failover": intent.failover,
        "HealthCheckId": health_check_id,
    }
    if intent.alias:
        record["AliasTarget"] = {
            "DNSName": intent.alias.dns_name,
            "HostedZoneId": intent.alias.hosted_zone_id,
            "EvaluateTargetHealth": True,
        }
    else:
        record["TTL"] = intent.ttl
        record["ResourceRecords"] = [{"Value": intent.value}]
    return record


def change_batch(
    plan: Plan, resource: Route53Failover, direction: Direction, ctx: RenderContext
) -> dict[str, Any]:
    """The change batch that points the PRIMARY record at the DR target, or back."""
    points_at: Role = "secondary" if direction == "failover" else "primary"
    intent = record_intent(
        resource, "primary", points_at, ctx.set_identifier(resource.name, "primary")
    )
    region = (resource.secondary if direction == "failover" else resource.primary).region
    return {
        "Comment": f"drctl {direction}: {resource.record} to {region} "
        f"(plan {plan.metadata.name}, resource {resource.name})",
        "Changes": [
            {
                "Action": "UPSERT",
                "ResourceRecordSet": record_set(
                    intent, ctx.health_check_id(resource.name, points_at)
                ),
            }
        ],
    }


def render_change_batches(plan: Plan, ctx: RenderContext) -> list[RenderedFile]:
    """`<resource>-failover.json` and `<resource>-failback.json` per failover resource."""
    files: list[RenderedFile] = []
    for resource in plan.resources_of(Route53Failover):
        for direction in DIRECTIONS:
            document = change_batch(plan, resource, direction, ctx)
            path = f"route53/{resource.name}-{direction}.json"
            files.append(RenderedFile(path=path, kind=Kind.CHANGE_BATCH, content=to_json(document)))
    return files
