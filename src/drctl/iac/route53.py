"""Route53 failover intent from a `route53-failover` resource, and its CloudFormation template.

Two HTTPS health checks on each target's /health and PRIMARY/SECONDARY failover records that
carry `HealthCheckId` and alias the ALBs with `EvaluateTargetHealth` (seed 1.2). The intent
models are shared by the template, the change batches and drift detection.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from drctl.iac.context import Role
from drctl.iac.files import Kind, RenderedFile, to_yaml
from drctl.model import Frozen
from drctl.plan.model import Plan
from drctl.plan.resources import AliasTarget, FailoverTarget, Route53Failover

ROLES: tuple[Role, Role] = ("primary", "secondary")


class HealthCheckIntent(Frozen):
    """The Route53 `HealthCheckConfig` a failover target should have."""

    role: Role
    type: str
    fqdn: str | None
    ip_address: str | None
    port: int
    path: str
    interval: int
    failure_threshold: int
    enable_sni: bool
    inverted: bool = False
    disabled: bool = False


class RecordIntent(Frozen):
    """One failover record set: PRIMARY or SECONDARY, alias or plain value."""

    role: Role
    name: str
    type: str
    set_identifier: str
    failover: str
    alias: AliasTarget | None
    value: str | None
    ttl: int


def target(resource: Route53Failover, role: Role) -> FailoverTarget:
    """The resource's primary or secondary target."""
    return resource.primary if role == "primary" else resource.secondary


def health_check_intent(resource: Route53Failover, role: Role) -> HealthCheckIntent:
    """The health check on `role`'s endpoint: protocol, path, port, interval, threshold."""
    end = target(resource, role)
    host = end.health_check_host or (end.alb.dns_name if end.alb else end.value) or ""
    ip = _ip(host)
    check = resource.health_check
    return HealthCheckIntent(
        role=role,
        type=check.protocol,
        fqdn=None if ip else host,
        ip_address=ip,
        port=check.port,
        path=check.path,
        interval=check.interval,
        failure_threshold=check.failure_threshold,
        enable_sni=check.protocol == "HTTPS" and not ip,
    )


def _ip(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def set_identifier(resource: Route53Failover, role: Role) -> str:
    """The SetIdentifier of `role`'s record: the plan's, else `Primary` / `Secondary`."""
    return target(resource, role).set_identifier or role.capitalize()


def record_intent(
    resource: Route53Failover,
    role: Role,
    points_at: Role | None = None,
    identifier: str | None = None,
) -> RecordIntent:
    """The `role` record, aimed at `points_at`'s target (its own unless a manual switch says so)."""
    end = target(resource, points_at or role)
    return RecordIntent(
        role=role,
        name=resource.record,
        type=resource.type,
        set_identifier=identifier or set_identifier(resource, role),
        failover=role.upper(),
        alias=end.alb,
        value=end.value,
        ttl=resource.ttl,
    )


def _param(role: Role, what: str) -> str:
    return f"{role.capitalize()}{what}"


def _parameters(resource: Route53Failover) -> dict[str, Any]:
    params: dict[str, Any] = {
        "HostedZoneId": {
            "Type": "AWS::Route53::HostedZone::Id",
            "Description": f"Id of the hosted zone {resource.hosted_zone}",
        }
    }
    for role in ROLES:
        end = target(resource, role)
        where = f"{role} target in {end.region}"
        if end.alb:
            params[_param(role, "AlbDnsName")] = _string(
                end.alb.dns_name, f"DNS name of the ALB, {where}"
            )
            params[_param(role, "AlbHostedZoneId")] = _string(
                end.alb.hosted_zone_id, f"Canonical hosted zone id of the ALB, {where}"
            )
        else:
            params[_param(role, "Value")] = _string(end.value or "", f"Record value, {where}")
    return params


def _string(default: str, description: str) -> dict[str, str]:
    return {"Type": "String", "Default": default, "Description": description}


def _health_check_resource(resource: Route53Failover, plan: Plan, role: Role) -> dict[str, Any]:
    intent = health_check_intent(resource, role)
    end = target(resource, role)
    config: dict[str, Any] = {
        "Type": intent.type,
        "ResourcePath": intent.path,
        "Port": intent.port,
        "RequestInterval": intent.interval,
        "FailureThreshold": intent.failure_threshold,
    }
    if intent.ip_address:
        config["IPAddress"] = intent.ip_address
    elif end.alb and not end.health_check_host:
        config["FullyQualifiedDomainName"] = {"Ref": _param(role, "AlbDnsName")}
    else:
        config["FullyQualifiedDomainName"] = intent.fqdn
    if intent.enable_sni:
        config["EnableSNI"] = True
    tags = [
        {"Key": "Name", "Value": f"{resource.name}-{role}"},
        {"Key": "drctl.io/plan", "Value": plan.metadata.name},
    ]
    return {
        "Type": "AWS::Route53::HealthCheck",
        "Properties": {"HealthCheckConfig": config, "HealthCheckTags": tags},
    }


def _record_resource(resource: Route53Failover, role: Role) -> dict[str, Any]:
    intent = record_intent(resource, role)
    props: dict[str, Any] = {
        "HostedZoneId": {"Ref": "HostedZoneId"},
        "Name": intent.name,
        "Type": intent.type,
        "Failover": intent.failover,
        "SetIdentifier": intent.set_identifier,
        "HealthCheckId": {"Ref": _param(role, "HealthCheck")},
    }
    if intent.alias:
        props["AliasTarget"] = {
            "DNSName": {"Ref": _param(role, "AlbDnsName")},
            "HostedZoneId": {"Ref": _param(role, "AlbHostedZoneId")},
            "EvaluateTargetHealth": True,
        }
    else:
        props["TTL"] = str(intent.ttl)
        props["ResourceRecords"] = [{"Ref": _param(role, "Value")}]
    return {"Type": "AWS::Route53::RecordSet", "Properties": props}


def cloudformation_template(plan: Plan, resource: Route53Failover) -> dict[str, Any]:
    """The CloudFormation template (as data) for one failover resource."""
    resources: dict[str, Any] = {}
    outputs: dict[str, Any] = {}
    for role in ROLES:
        resources[_param(role, "HealthCheck")] = _health_check_resource(resource, plan, role)
        outputs[_param(role, "HealthCheckId")] = {
            "Description": f"Id of the {role} health check (drctl iac render --live reads it)",
            "Value": {"Ref": _param(role, "HealthCheck")},
        }
    for role in ROLES:
        resources[_param(role, "RecordSet")] = _record_resource(resource, role)
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"drctl: Route53 failover for {resource.record} with health checks "
        f"(plan {plan.metadata.name}, resource {resource.name})",
        "Parameters": _parameters(resource),
        "Resources": resources,
        "Outputs": outputs,
    }


def render_route53(plan: Plan) -> list[RenderedFile]:
    """One CloudFormation template per `route53-failover` resource."""
    return [
        RenderedFile(
            path=f"route53/{resource.name}.cfn.yaml",
            kind=Kind.ROUTE53,
            content=to_yaml(cloudformation_template(plan, resource)),
        )
        for resource in plan.resources_of(Route53Failover)
    ]
