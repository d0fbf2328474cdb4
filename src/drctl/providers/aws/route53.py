"""Route 53 failover: read PRIMARY/SECONDARY records and health checks; the record and zone plumbing.

Route 53 is a global service whose control plane lives in us-east-1. Health-check driven
failover (inverting the primary's health check) keeps the switch on Route 53's data plane
once the check flips, which AWS advises over record edits during a regional event.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import model_validator

from drctl.errors import NotFoundError
from drctl.model import Frozen
from drctl.providers.aws.clients import AwsClients, aws_errors
from drctl.providers.base import Params

ROUTE53_REGION = "us-east-1"
RecordType = Literal["A", "AAAA", "CNAME"]


class Alias(Params):
    """An alias target (e.g. an ALB): its DNS name and hosted zone id."""

    dns_name: str
    hosted_zone_id: str


class Target(Params):
    """Where a record points: exactly one of a plain value or an alias."""

    value: str | None = None
    alias: Alias | None = None

    @model_validator(mode="after")
    def _one(self) -> Target:
        if (self.value is None) == (self.alias is None):
            raise ValueError("give exactly one of `value` or `alias`")
        return self


class RecordState(Frozen):
    """One failover record set as Route 53 holds it."""

    set_identifier: str
    failover: str
    values: tuple[str, ...]
    alias_dns_name: str | None
    health_check_id: str | None
    ttl: int | None

    def points_at(self, target: Target) -> bool:
        """Whether the record answers with `target`."""
        if target.alias is not None:
            return (self.alias_dns_name or "").rstrip(".") == target.alias.dns_name.rstrip(".")
        return self.values == (target.value,)


class FailoverRecords(Frozen):
    """The PRIMARY and SECONDARY records of one name."""

    zone_id: str
    name: str
    primary: RecordState | None
    secondary: RecordState | None


class HealthCheckState(Frozen):
    """A health check's flags, its status as Route 53 publishes it, and (diagnosis) checker reports."""

    id: str
    inverted: bool
    disabled: bool
    healthy: bool
    reports: tuple[str, ...]
    status_metric: float | None = None  # newest HealthCheckStatus minute (None: no datapoint)


HEALTH_METRIC_WINDOW = timedelta(minutes=5)


def fqdn(name: str) -> str:
    """A DNS name with its trailing dot."""
    return name if name.endswith(".") else f"{name}."


def route53(clients: AwsClients) -> Any:
    """The Route 53 client (global service, signed for us-east-1)."""
    return clients.client("route53", ROUTE53_REGION)


def resolve_zone(clients: AwsClients, zone: str) -> str:
    """A hosted zone id from an id (`Z…`, `/hostedzone/Z…`) or a zone name."""
    if zone.startswith("/hostedzone/") or (zone.startswith("Z") and "." not in zone):
        return zone.removeprefix("/hostedzone/")
    with aws_errors(f"hosted zone {zone}", ROUTE53_REGION):
        zones = route53(clients).list_hosted_zones_by_name(DNSName=fqdn(zone))["HostedZones"]
    for found in zones:
        if found["Name"] == fqdn(zone):
            return str(found["Id"]).removeprefix("/hostedzone/")
    raise NotFoundError(
        f"hosted zone {zone} does not exist",
        hint="check the zone name with `aws route53 list-hosted-zones`",
        where=f"hosted zone {zone} in {ROUTE53_REGION}",
        code="NoSuchHostedZone",
    )


def dns_answer(clients: AwsClients, zone: str, record: str, record_type: str) -> tuple[str, ...]:
    """What Route 53's name servers answer for `record` now (TestDNSAnswer: failover applied, no caches)."""
    zone_id = resolve_zone(clients, zone)
    with aws_errors(f"record {record}", ROUTE53_REGION):
        answer = route53(clients).test_dns_answer(
            HostedZoneId=zone_id, RecordName=fqdn(record), RecordType=record_type
        )
    return tuple(str(v).rstrip(".") for v in answer.get("RecordData", []))


def _record(raw: dict[str, Any]) -> RecordState:
    return RecordState(
        set_identifier=raw.get("SetIdentifier", ""),
        failover=raw.get("Failover", ""),
        values=tuple(r["Value"] for r in raw.get("ResourceRecords", [])),
        alias_dns_name=(raw.get("AliasTarget") or {}).get("DNSName"),
        health_check_id=raw.get("HealthCheckId"),
        ttl=raw.get("TTL"),
    )


def read_failover_records(
    clients: AwsClients, zone: str, record: str, record_type: RecordType = "A"
) -> FailoverRecords:
    """The PRIMARY and SECONDARY failover records of `record` in `zone` (name or id)."""
    zone_id = resolve_zone(clients, zone)
    with aws_errors(f"record {record} in zone {zone}", ROUTE53_REGION):
        pages = (
            route53(clients)
            .get_paginator("list_resource_record_sets")
            .paginate(
                HostedZoneId=zone_id, StartRecordName=fqdn(record), StartRecordType=record_type
            )
        )
        sets = [r for page in pages for r in page["ResourceRecordSets"]]
    mine = [_record(r) for r in sets if r["Name"] == fqdn(record) and r["Type"] == record_type]
    return FailoverRecords(
        zone_id=zone_id,
        name=fqdn(record),
        primary=next((r for r in mine if r.failover == "PRIMARY"), None),
        secondary=next((r for r in mine if r.failover == "SECONDARY"), None),
    )


def read_health_status_metric(
    clients: AwsClients, health_check_id: str, now: datetime | None = None
) -> float | None:
    """The newest minute of CloudWatch `AWS/Route53` `HealthCheckStatus` (1 healthy, 0 not; Minimum).

    Route 53 publishes it in us-east-1 with the single dimension `HealthCheckId`; it is the
    status Route 53 acts on (> 18 % of checkers healthy), and CloudWatch is the supported
    way to watch it (`GetHealthCheckStatus` is for diagnosis, not polling).
    """
    end = (now or datetime.now(UTC)) + timedelta(minutes=1)
    query = {
        "Id": "status",
        "MetricStat": {
            "Metric": {
                "Namespace": "AWS/Route53",
                "MetricName": "HealthCheckStatus",
                "Dimensions": [{"Name": "HealthCheckId", "Value": health_check_id}],
            },
            "Period": 60,
            "Stat": "Minimum",
        },
    }
    with aws_errors(f"HealthCheckStatus metric of {health_check_id}", ROUTE53_REGION):
        result = clients.client("cloudwatch", ROUTE53_REGION).get_metric_data(
            MetricDataQueries=[query],
            StartTime=end - HEALTH_METRIC_WINDOW - timedelta(minutes=1),
            EndTime=end,
            ScanBy="TimestampDescending",
        )
    values = result["MetricDataResults"][0]["Values"] if result["MetricDataResults"] else []
    return float(values[0]) if values else None


def read_checker_reports(clients: AwsClients, health_check_id: str) -> tuple[str, ...]:
    """Each health checker's last report, `region: status` (GetHealthCheckStatus, for diagnosis)."""
    with aws_errors(f"health check {health_check_id}", ROUTE53_REGION):
        observations = route53(clients).get_health_check_status(HealthCheckId=health_check_id)[
            "HealthCheckObservations"
        ]
    return tuple(
        f"{o.get('Region', '?')}: {o.get('StatusReport', {}).get('Status', '')}"
        for o in observations
    )


def read_health_check(
    clients: AwsClients,
    health_check_id: str,
    *,
    now: datetime | None = None,
    diagnose: bool = False,
) -> HealthCheckState:
    """A health check's flags and its published status; with `diagnose`, why it is unhealthy."""
    with aws_errors(f"health check {health_check_id}", ROUTE53_REGION):
        config = route53(clients).get_health_check(HealthCheckId=health_check_id)["HealthCheck"][
            "HealthCheckConfig"
        ]
    metric = read_health_status_metric(clients, health_check_id, now)
    healthy = metric is not None and metric >= 1.0
    reports: tuple[str, ...] = ()
    if metric is None:
        reports = (
            f"no HealthCheckStatus datapoint in CloudWatch {ROUTE53_REGION} over the last "
            f"{int(HEALTH_METRIC_WINDOW.total_seconds() // 60)} minutes",
        )
    elif diagnose and not healthy:
        reports = read_checker_reports(clients, health_check_id)
    return HealthCheckState(
        id=health_check_id,
        inverted=bool(config.get("Inverted")),
        disabled=bool(config.get("Disabled")),
        healthy=healthy,
        reports=reports,
        status_metric=metric,
    )


def record_change(
    records: FailoverRecords,
    record_type: RecordType,
    role: RecordState,
    target: Target,
    health_check_id: str | None,
    ttl: int,
) -> dict[str, Any]:
    """A ChangeBatch (the seed's failover.json) UPSERTing `role`'s record to answer with `target`."""
    rrset: dict[str, Any] = {
        "Name": records.name,
        "Type": record_type,
        "SetIdentifier": role.set_identifier,
        "Failover": role.failover,
    }
    if target.alias is not None:
        rrset["AliasTarget"] = {
            "DNSName": target.alias.dns_name,
            "HostedZoneId": target.alias.hosted_zone_id,
            "EvaluateTargetHealth": True,
        }
    else:
        rrset["TTL"] = ttl
        rrset["ResourceRecords"] = [{"Value": target.value}]
    if health_check_id:
        rrset["HealthCheckId"] = health_check_id
    return {
        "Comment": f"drctl: {role.failover} {records.name} -> {target.value or target.alias}",
        "Changes": [{"Action": "UPSERT", "ResourceRecordSet": rrset}],
    }


class HealthCheckConfig(Frozen):
    """What a health check probes and how often (`get_health_check`'s HealthCheckConfig)."""

    id: str
    type: str
    path: str | None
    port: int | None
    interval: int
    failure_threshold: int


def read_health_check_config(clients: AwsClients, health_check_id: str) -> HealthCheckConfig:
    """A health check's type, path, port, request interval and failure threshold."""
    with aws_errors(f"health check {health_check_id}", ROUTE53_REGION):
        config = route53(clients).get_health_check(HealthCheckId=health_check_id)["HealthCheck"][
            "HealthCheckConfig"
        ]
    return HealthCheckConfig(
        id=health_check_id,
        type=config.get("Type", ""),
        path=config.get("ResourcePath"),
        port=config.get("Port"),
        interval=int(config.get("RequestInterval", 30)),
        failure_threshold=int(config.get("FailureThreshold", 3)),
    )
