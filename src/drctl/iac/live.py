"""Live state the drift check compares with the rendered intent, read with boto3 (AWS or sandbox).

Reads go through `providers.aws.clients.AwsClients` and `aws_errors`, so botocore errors are
translated in one place. A resource that does not exist reads as `None`.
"""

from __future__ import annotations

from typing import Any

from drctl.errors import NotFoundError, ProviderError
from drctl.iac.context import RenderContext, env_name, health_check_key
from drctl.iac.iam_outside import (
    SIGNING_KEY_PLACEHOLDER,
    is_key_arn,
    kms_key,
    signing_key_region,
)
from drctl.iac.route53 import ROLES
from drctl.iac.s3 import ReplicationIntent
from drctl.model import Frozen
from drctl.plan.model import Plan
from drctl.plan.resources import Route53Failover
from drctl.providers.aws.clients import AwsClients, aws_errors

ROUTE53_REGION = "us-east-1"  # Route53 is global; its API lives in us-east-1


class LiveHealthCheck(Frozen):
    """A Route53 health check's configuration as AWS reports it."""

    id: str
    type: str
    fqdn: str | None
    ip_address: str | None
    port: int | None
    path: str | None
    interval: int
    failure_threshold: int
    enable_sni: bool
    inverted: bool
    disabled: bool


class LiveRecord(Frozen):
    """One failover record set as listed in the hosted zone."""

    set_identifier: str
    failover: str | None
    alias_dns: str | None
    alias_zone: str | None
    evaluate_target_health: bool | None
    values: tuple[str, ...]
    health_check_id: str | None
    health_check: LiveHealthCheck | None


class LiveReplication(Frozen):
    """The replication rule on a source bucket plus both buckets' versioning."""

    rule_found: bool
    rule_id: str | None
    status: str | None
    destination: str | None
    rtc: str | None
    metrics: str | None
    source_versioning: str
    destination_versioning: str


class LiveNodegroup(Frozen):
    """A managed nodegroup's size and instance types."""

    desired: int
    min: int
    max: int
    instance_types: tuple[str, ...]


class LiveCluster(Frozen):
    """An EKS cluster's version and its nodegroups (None where missing)."""

    version: str
    nodegroups: dict[str, LiveNodegroup | None]


def hosted_zone_id(clients: AwsClients, zone: str) -> str | None:
    """The id of the public or private hosted zone called `zone`, if it exists."""
    wanted = zone.rstrip(".") + "."
    with aws_errors(f"hosted zone {zone}", ROUTE53_REGION):
        zones = clients.client("route53", ROUTE53_REGION).list_hosted_zones_by_name(DNSName=wanted)
    found = [z["Id"] for z in zones["HostedZones"] if z["Name"] == wanted]
    return str(found[0]).rsplit("/", 1)[-1] if found else None


def failover_records(
    clients: AwsClients, zone_id: str, name: str, type_: str
) -> dict[str, LiveRecord]:
    """Records called `name` of `type_` with a SetIdentifier, keyed by it, with health checks."""
    wanted = name.rstrip(".") + "."
    client = clients.client("route53", ROUTE53_REGION)
    with aws_errors(f"records {name}", ROUTE53_REGION):
        pages = client.get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=zone_id, StartRecordName=wanted, StartRecordType=type_
        )
        raw = [r for page in pages for r in page["ResourceRecordSets"]]
    records = [
        r for r in raw if r["Name"] == wanted and r["Type"] == type_ and "SetIdentifier" in r
    ]
    return {r["SetIdentifier"]: _record(clients, r) for r in records}


def _record(clients: AwsClients, raw: dict[str, Any]) -> LiveRecord:
    alias = raw.get("AliasTarget") or {}
    check_id = raw.get("HealthCheckId")
    return LiveRecord(
        set_identifier=raw["SetIdentifier"],
        failover=raw.get("Failover"),
        alias_dns=alias.get("DNSName"),
        alias_zone=alias.get("HostedZoneId"),
        evaluate_target_health=alias.get("EvaluateTargetHealth") if alias else None,
        values=tuple(v["Value"] for v in raw.get("ResourceRecords", [])),
        health_check_id=check_id,
        health_check=health_check(clients, check_id) if check_id else None,
    )


def health_check(clients: AwsClients, check_id: str) -> LiveHealthCheck | None:
    """A health check by id, or None when it no longer exists."""
    try:
        with aws_errors(f"health check {check_id}", ROUTE53_REGION):
            raw = clients.client("route53", ROUTE53_REGION).get_health_check(HealthCheckId=check_id)
    except NotFoundError:
        return None
    config = raw["HealthCheck"]["HealthCheckConfig"]
    return LiveHealthCheck(
        id=check_id,
        type=config["Type"],
        fqdn=config.get("FullyQualifiedDomainName"),
        ip_address=config.get("IPAddress"),
        port=config.get("Port"),
        path=config.get("ResourcePath"),
        interval=config.get("RequestInterval", 30),
        failure_threshold=config.get("FailureThreshold", 3),
        enable_sni=bool(config.get("EnableSNI")),
        inverted=bool(config.get("Inverted")),
        disabled=bool(config.get("Disabled")),
    )


def replication(clients: AwsClients, intent: ReplicationIntent) -> LiveReplication | None:
    """The intended rule (by ID, else by destination) on the source bucket; None if no bucket."""
    source, region = intent.source_bucket, intent.source_region
    s3 = clients.client("s3", region)
    try:
        with aws_errors(f"bucket {source}", region):
            source_versioning = s3.get_bucket_versioning(Bucket=source).get("Status", "Off")
    except NotFoundError:
        return None
    try:
        with aws_errors(f"replication of {source}", region):
            rules = s3.get_bucket_replication(Bucket=source)["ReplicationConfiguration"]["Rules"]
    except NotFoundError:
        rules = []
    rule: dict[str, Any] = _rule(rules, intent)
    target = rule.get("Destination", {})
    return LiveReplication(
        rule_found=bool(rule),
        rule_id=rule.get("ID"),
        status=rule.get("Status"),
        destination=target.get("Bucket"),
        rtc=target.get("ReplicationTime", {}).get("Status", "Disabled") if rule else None,
        metrics=target.get("Metrics", {}).get("Status", "Disabled") if rule else None,
        source_versioning=source_versioning,
        destination_versioning=_versioning(
            clients, intent.destination_bucket, intent.destination_region
        ),
    )


def _rule(rules: list[dict[str, Any]], intent: ReplicationIntent) -> dict[str, Any]:
    """The rule with the intended ID, else the one replicating to the intended bucket, else {}."""
    by_id = [r for r in rules if r.get("ID") == intent.rule_id]
    by_destination = [
        r for r in rules if r.get("Destination", {}).get("Bucket") == intent.destination_arn
    ]
    return (by_id or by_destination or [{}])[0]


def _versioning(clients: AwsClients, bucket: str, region: str) -> str:
    try:
        with aws_errors(f"bucket {bucket}", region):
            status = clients.client("s3", region).get_bucket_versioning(Bucket=bucket).get("Status")
    except NotFoundError:
        return "missing"
    return str(status or "Off")


def cluster(
    clients: AwsClients, name: str, region: str, nodegroups: list[str]
) -> LiveCluster | None:
    """An EKS cluster and the named nodegroups, or None when the cluster is missing."""
    eks = clients.client("eks", region)
    try:
        with aws_errors(f"EKS cluster {name}", region):
            version = eks.describe_cluster(name=name)["cluster"]["version"]
    except NotFoundError:
        return None
    return LiveCluster(
        version=version, nodegroups={g: _nodegroup(eks, name, g, region) for g in nodegroups}
    )


def _nodegroup(eks: Any, cluster_name: str, group: str, region: str) -> LiveNodegroup | None:
    try:
        with aws_errors(f"nodegroup {cluster_name}/{group}", region):
            raw = eks.describe_nodegroup(clusterName=cluster_name, nodegroupName=group)["nodegroup"]
    except NotFoundError:
        return None
    scaling = raw.get("scalingConfig", {})
    return LiveNodegroup(
        desired=scaling.get("desiredSize", 0),
        min=scaling.get("minSize", 0),
        max=scaling.get("maxSize", 0),
        instance_types=tuple(raw.get("instanceTypes") or ()),
    )


def account_id(clients: AwsClients, region: str) -> str:
    """The AWS account the credentials belong to."""
    with aws_errors("caller identity", region):
        return str(clients.client("sts", region).get_caller_identity()["Account"])


def render_context(plan: Plan, clients: AwsClients, base: RenderContext) -> RenderContext:
    """`base` with the account id, hosted zone and health check ids, set identifiers of the live estate.

    Records are matched by their `Failover` role, not by set identifier: the live records
    may be named anything. What cannot be read lands in `unresolved`, keyed by placeholder.
    """
    ids, idents = dict(base.health_check_ids), dict(base.set_identifiers)
    unresolved, zones = dict(base.unresolved), dict(base.hosted_zone_ids)
    for resource in plan.resources_of(Route53Failover):
        zone_id = hosted_zone_id(clients, resource.hosted_zone)
        if zone_id:
            zones.setdefault(resource.hosted_zone, zone_id)
        records = (
            failover_records(clients, zone_id, resource.record, resource.type) if zone_id else {}
        )
        for role in ROLES:
            key = health_check_key(resource.name, role)
            record = next((r for r in records.values() if r.failover == role.upper()), None)
            if record is not None:
                idents.setdefault(key, record.set_identifier)
            if record is not None and record.health_check_id:
                ids.setdefault(key, record.health_check_id)
            elif key not in ids:
                where = f"{resource.record} ({resource.type}) in zone {resource.hosted_zone}"
                why = "has no health check" if record else "does not exist"
                unresolved[env_name(key, "health-check-id")] = (
                    f"the {role.upper()} failover record {where} {why}"
                )
    account = base.account_id or account_id(clients, plan.regions.primary)
    key_arn = base.signing_key_arn or _signing_key_arn(plan, clients, unresolved)
    return base.model_copy(
        update={
            "account_id": account,
            "signing_key_arn": key_arn,
            "health_check_ids": ids,
            "hosted_zone_ids": zones,
            "set_identifiers": idents,
            "unresolved": unresolved,
        }
    )


def _signing_key_arn(plan: Plan, clients: AwsClients, unresolved: dict[str, str]) -> str | None:
    """The key ARN behind an alias or key id `audit.signing_key` (DescribeKey); a key ARN
    needs no call. What cannot be read lands in `unresolved`."""
    key = kms_key(plan)
    if key is None or is_key_arn(key):
        return None
    region = signing_key_region(plan, key)
    try:
        with aws_errors(f"KMS key {key}", region):
            found = clients.client("kms", region).describe_key(KeyId=key)
    except ProviderError as exc:
        unresolved[SIGNING_KEY_PLACEHOLDER[2:-1]] = (
            f"DescribeKey of {key} in {region}: {exc.message}"
        )
        return None
    return str(found["KeyMetadata"]["Arn"])
