"""Drift: the rendered intent compared with the live estate, one `Difference` per field that differs.

Checked: Route53 failover records (role, alias target, HealthCheckId) and their health checks
(protocol, path, port, interval, threshold, inverted, disabled); S3 replication (rule status,
destination, RTC and metrics, versioning of both buckets); EKS cluster version and managed
nodegroup sizes and instance types per region, sized per strategy as in the eksctl configs.
"""

from __future__ import annotations

from drctl.iac import live
from drctl.iac.context import Role
from drctl.iac.eksctl import cluster_config, cluster_regions
from drctl.iac.route53 import ROLES, health_check_intent, record_intent
from drctl.iac.s3 import replication_intent
from drctl.model import Frozen
from drctl.plan.model import Plan, Strategy
from drctl.plan.resources import EksCluster, Route53Failover, S3Replication
from drctl.providers.aws.clients import AwsClients

Field = tuple[str, object, object]


class Difference(Frozen):
    """One field whose live value is not the intended one."""

    resource: str
    target: str
    region: str
    field: str
    intended: str
    live: str


class DriftReport(Frozen):
    """Every difference found, plus what was checked and what was deliberately not."""

    plan: str
    checked: tuple[str, ...]
    skipped: tuple[str, ...]
    differences: tuple[Difference, ...]

    @property
    def drifted(self) -> bool:
        """True when at least one difference was found."""
        return bool(self.differences)


def _text(value: object) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)


def _differences(resource: str, target: str, region: str, fields: list[Field]) -> list[Difference]:
    return [
        Difference(
            resource=resource,
            target=target,
            region=region,
            field=name,
            intended=_text(want),
            live=_text(got),
        )
        for name, want, got in fields
        if _text(want) != _text(got)
    ]


def _missing(resource: str, target: str, region: str) -> Difference:
    return Difference(
        resource=resource,
        target=target,
        region=region,
        field="exists",
        intended="true",
        live="missing",
    )


def _dns(name: str | None) -> str | None:
    """Route53 answers alias names lower-case, with a final dot and sometimes `dualstack.`."""
    return name.lower().rstrip(".").removeprefix("dualstack.") if name else name


def failover_drift(clients: AwsClients, resource: Route53Failover) -> list[Difference]:
    """Differences in one failover resource's records and health checks."""
    region = live.ROUTE53_REGION
    zone_id = live.hosted_zone_id(clients, resource.hosted_zone)
    if zone_id is None:
        return [_missing(resource.name, f"hosted zone {resource.hosted_zone}", region)]
    records = live.failover_records(clients, zone_id, resource.record, resource.type)
    found: list[Difference] = []
    for role in ROLES:
        want = record_intent(resource, role)
        target = f"{want.failover} record {want.name} ({want.set_identifier})"
        same_role = (r for r in records.values() if r.failover == want.failover)
        got = records.get(want.set_identifier) or next(same_role, None)
        if got is None:
            found.append(_missing(resource.name, target, region))
            continue
        alias = want.alias
        found += _differences(resource.name, target, region, [
            ("set_identifier", want.set_identifier, got.set_identifier),
            ("failover", want.failover, got.failover),
            ("alias.dns_name", _dns(alias.dns_name) if alias else None, _dns(got.alias_dns)),
            ("alias.hosted_zone_id", alias.hosted_zone_id if alias else None, got.alias_zone),
            ("alias.evaluate_target_health", True if alias else None, got.evaluate_target_health),
            ("values", (want.value,) if want.value else (), got.values),
            ("health_check_id", "set", "set" if got.health_check_id else None),
        ])  # fmt: skip
        if got.health_check_id:
            found += _health_check_drift(resource, role, got)
    return found


def _health_check_drift(
    resource: Route53Failover, role: Role, record: live.LiveRecord
) -> list[Difference]:
    want = health_check_intent(resource, role)
    target = f"{role} health check {record.health_check_id}"
    region = live.ROUTE53_REGION
    got = record.health_check
    if got is None:
        return [_missing(resource.name, target, region)]
    return _differences(resource.name, target, region, [
        ("type", want.type, got.type),
        ("fqdn", _dns(want.fqdn), _dns(got.fqdn)),
        ("ip_address", want.ip_address, got.ip_address),
        ("port", want.port, got.port),
        ("resource_path", want.path, got.path),
        ("request_interval", want.interval, got.interval),
        ("failure_threshold", want.failure_threshold, got.failure_threshold),
        ("inverted", want.inverted, got.inverted),
        ("disabled", want.disabled, got.disabled),
    ])  # fmt: skip


def replication_drift(clients: AwsClients, plan: Plan, resource: S3Replication) -> list[Difference]:
    """Differences in one bucket's replication rule and the versioning it depends on."""
    want = replication_intent(plan, resource)
    target = f"bucket {want.source_bucket} rule {want.rule_id}"
    got = live.replication(clients, want)
    if got is None:
        return [_missing(resource.name, f"bucket {want.source_bucket}", want.source_region)]
    if not got.rule_found:
        return [_missing(resource.name, target, want.source_region)]
    rtc = "Enabled" if want.rtc else "Disabled"
    return _differences(resource.name, target, want.source_region, [
        ("rule_id", want.rule_id, got.rule_id),
        ("status", "Enabled", got.status),
        ("destination", want.destination_arn, got.destination),
        ("replication_time", rtc, got.rtc),
        ("metrics", rtc, got.metrics),
        ("source_versioning", "Enabled", got.source_versioning),
        ("destination_versioning", "Enabled", got.destination_versioning),
    ])  # fmt: skip


def cluster_drift(
    clients: AwsClients, plan: Plan, resource: EksCluster, region: str
) -> list[Difference]:
    """Differences between one region's eksctl config and the live cluster."""
    config = cluster_config(plan, resource, region)
    name = config.metadata.name
    groups = {g.name: g for g in config.managedNodeGroups}
    got = live.cluster(clients, name, region, list(groups))
    if got is None:
        return [_missing(resource.name, f"EKS cluster {name}", region)]
    found = _differences(
        resource.name,
        f"EKS cluster {name}",
        region,
        [("version", config.metadata.version, got.version)],
    )
    for group_name, want in groups.items():
        target = f"nodegroup {name}/{group_name}"
        group = got.nodegroups[group_name]
        if group is None:
            found.append(_missing(resource.name, target, region))
            continue
        found += _differences(resource.name, target, region, [
            ("desired", want.desiredCapacity, group.desired),
            ("min", want.minSize, group.min),
            ("max", want.maxSize, group.max),
            ("instance_types", (want.instanceType,), group.instance_types),
        ])  # fmt: skip
    return found


def detect_drift(plan: Plan, clients: AwsClients) -> DriftReport:
    """Compare every checkable resource of `plan` with the live estate."""
    found: list[Difference] = []
    checked: list[str] = []
    skipped: list[str] = []
    for failover in plan.resources_of(Route53Failover):
        checked.append(failover.name)
        found += failover_drift(clients, failover)
    for bucket in plan.resources_of(S3Replication):
        checked.append(bucket.name)
        found += replication_drift(clients, plan, bucket)
    for eks in plan.resources_of(EksCluster):
        checked.append(eks.name)
        for region in cluster_regions(plan, eks):
            if region != plan.regions.primary and plan.strategy is Strategy.BACKUP_RESTORE:
                skipped.append(f"{eks.name} in {region}: backup-restore builds it at recovery")
                continue
            found += cluster_drift(clients, plan, eks, region)
    others = [r.name for r in plan.resources if r.name not in checked]
    skipped += [f"{name}: no drift check for its kind" for name in others]
    return DriftReport(
        plan=plan.metadata.name,
        checked=tuple(checked),
        skipped=tuple(skipped),
        differences=tuple(found),
    )
