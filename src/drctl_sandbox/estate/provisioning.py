"""boto3 calls that build a plan's estate in the sandbox: network, compute, traffic, audit.

The data tier lives in `provisioning_data.py`. Names come from the plan; where the plan
has none (VPCs, roles, the trail) they are derived from the plan's name. Secret values
are obviously fake. The sandbox may know it is a sandbox: clients point at its endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import cache
from typing import Any

import boto3

from drctl.errors import ConfigError
from drctl.plan.model import Plan, Strategy
from drctl.plan.resources import EksCluster, Route53Failover
from drctl_sandbox.aws.server import SANDBOX_CREDENTIALS
from drctl_sandbox.estate import provisioning_data as data
from drctl_sandbox.estate.model import (
    AppEndpoint,
    AuditEstate,
    DnsFailover,
    EksEstate,
    Estate,
    LoadBalancer,
    Network,
    NodegroupSize,
)

ACCOUNT_ID = "123456789012"  # moto's default account


class Clients:
    """boto3 clients for the sandbox endpoint, one per (service, region)."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self._session = boto3.session.Session(
            aws_access_key_id=SANDBOX_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=SANDBOX_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        self._cache: dict[tuple[str, str], Any] = {}

    def __call__(self, service: str, region: str = "us-east-1") -> Any:
        key = (service, region)
        if key not in self._cache:
            self._cache[key] = self._session.client(
                service,
                region_name=region,
                endpoint_url=self.endpoint_url,
            )
        return self._cache[key]


def provision_estate(plan: Plan, endpoint_url: str, apps: Mapping[str, AppEndpoint]) -> Estate:
    """Create every resource of `plan` in the sandbox and describe what was made."""
    started = time.monotonic()
    aws = Clients(endpoint_url)
    regions = [plan.regions.primary, plan.regions.secondary]
    roles = _roles(aws, plan.metadata.name)
    networks = {r: _network(aws, plan, r) for r in regions}
    estate: dict[str, Any] = {
        "endpoint_url": endpoint_url,
        "account_id": ACCOUNT_ID,
        "primary_region": plan.regions.primary,
        "secondary_region": plan.regions.secondary,
        "apps": dict(apps),
        "networks": networks,
        "load_balancers": {
            r: _load_balancer(aws, plan.metadata.name, networks[r]) for r in regions
        },
        "eks": {e.name: _eks(aws, plan, e, networks, roles) for e in plan.resources_of(EksCluster)},
        "dns": {d.name: _dns(aws, d, apps) for d in plan.resources_of(Route53Failover)},
        **data.provision_data(aws, plan, networks, roles["s3-replication"]),
        "audit": _audit(aws, plan, regions, roles["config"]),
    }
    estate["seconds_to_provision"] = round(time.monotonic() - started, 3)
    return Estate.model_validate(estate)


_TRUST = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"%s"},"Action":"sts:AssumeRole"}]}'
_ROLE_SERVICES = {
    "eks-cluster": "eks.amazonaws.com",
    "eks-node": "ec2.amazonaws.com",
    "s3-replication": "s3.amazonaws.com",
    "config": "config.amazonaws.com",
}


def _roles(aws: Clients, app: str) -> dict[str, str]:
    iam = aws("iam")
    return {
        purpose: iam.create_role(
            RoleName=f"{app}-{purpose}", AssumeRolePolicyDocument=_TRUST % service
        )["Role"]["Arn"]
        for purpose, service in _ROLE_SERVICES.items()
    }


@cache
def short_region(region: str) -> str:
    """`ap-northeast-1` → `apne1`, for names with length limits."""
    words = {"north": "n", "south": "s", "east": "e", "west": "w", "central": "c"}
    area, direction, number = region.split("-")
    for word, letter in words.items():
        direction = direction.replace(word, letter)
    return f"{area}{direction}{number}"


def _zones(plan: Plan, region: str) -> list[str]:
    for cluster in plan.resources_of(EksCluster):
        if cluster.availability_zones.get(region):
            return list(cluster.availability_zones[region])[:3]
    return [f"{region}{letter}" for letter in "abc"]


def _network(aws: Clients, plan: Plan, region: str) -> Network:
    ec2 = aws("ec2", region)
    vpc_id = ec2.create_vpc(
        CidrBlock="10.0.0.0/16", TagSpecifications=_tags("vpc", f"{plan.metadata.name}-vpc")
    )["Vpc"]["VpcId"]
    zones = _zones(plan, region)
    subnets = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)[
            "Subnet"
        ]["SubnetId"]
        for i, zone in enumerate(zones)
    ]
    return Network(region=region, vpc_id=vpc_id, subnet_ids=subnets, availability_zones=zones)


def _tags(resource_type: str, name: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": name}]}]


def _load_balancer(aws: Clients, app: str, network: Network) -> LoadBalancer:
    lb = aws("elbv2", network.region).create_load_balancer(
        Name=f"{app}-{short_region(network.region)}"[:32],
        Subnets=network.subnet_ids,
        Type="application",
        Scheme="internet-facing",
    )["LoadBalancers"][0]
    return LoadBalancer(region=network.region, arn=lb["LoadBalancerArn"], dns_name=lb["DNSName"])


def _eks(
    aws: Clients,
    plan: Plan,
    cluster: EksCluster,
    networks: Mapping[str, Network],
    roles: Mapping[str, str],
) -> EksEstate:
    arns: dict[str, str] = {}
    sizes: list[NodegroupSize] = []
    for region, name in cluster.clusters.items():
        active = region == plan.regions.primary or plan.strategy is Strategy.MULTI_SITE
        if not active and plan.strategy is Strategy.BACKUP_RESTORE:
            continue  # backup-restore builds the DR cluster during recovery
        eks = aws("eks", region)
        subnets = networks[region].subnet_ids if region in networks else []
        arns[region] = eks.create_cluster(
            name=name,
            version=cluster.version,
            roleArn=roles["eks-cluster"],
            resourcesVpcConfig={"subnetIds": subnets},
        )["cluster"]["arn"]
        for group in cluster.nodegroups:
            desired = group.active.desired if active else group.standby.desired
            size = {
                "minSize": min(group.active.min, desired),
                "maxSize": group.active.max,
                "desiredSize": desired,
            }
            eks.create_nodegroup(
                clusterName=name,
                nodegroupName=group.name,
                scalingConfig=size,
                subnets=subnets,
                nodeRole=roles["eks-node"],
                instanceTypes=[group.instance_type],
            )
            sizes.append(
                NodegroupSize(
                    region=region,
                    cluster=name,
                    nodegroup=group.name,
                    desired=desired,
                    min=size["minSize"],
                    max=group.active.max,
                )
            )
    return EksEstate(clusters=dict(cluster.clusters), cluster_arns=arns, nodegroups=sizes)


def _dns(aws: Clients, resource: Route53Failover, apps: Mapping[str, AppEndpoint]) -> DnsFailover:
    r53 = aws("route53")
    zone_id = r53.create_hosted_zone(
        Name=resource.hosted_zone, CallerReference=f"{resource.name}-zone"
    )["HostedZone"]["Id"].split("/")[-1]
    roles = {"PRIMARY": resource.primary.region, "SECONDARY": resource.secondary.region}
    checks, values, idents, changes = {}, {}, {}, []
    for role, region in roles.items():
        app = apps.get(region)
        if app is None:
            raise ConfigError(
                f"no sample app serves {region}, the {role.lower()} of {resource.record}",
                hint="start the sandbox apps for both regions of the plan",
            )
        checks[region] = r53.create_health_check(
            CallerReference=f"{resource.name}-{region}",
            HealthCheckConfig={
                "Type": "HTTP",
                "IPAddress": app.host,
                "Port": app.port,
                "ResourcePath": resource.health_check.path,
                "RequestInterval": 10,
                "FailureThreshold": resource.health_check.failure_threshold,
            },
        )["HealthCheck"]["Id"]
        values[region], idents[region] = app.host, f"{resource.name}-{role.lower()}"
        changes.append(_failover_change(resource, role, idents[region], app.host, checks[region]))
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    return DnsFailover(
        zone_id=zone_id,
        zone_name=resource.hosted_zone,
        record_name=resource.record,
        record_type=resource.type,
        primary_region=resource.primary.region,
        secondary_region=resource.secondary.region,
        health_check_ids=checks,
        values=values,
        set_identifiers=idents,
    )


def _failover_change(
    resource: Route53Failover, role: str, ident: str, value: str, check: str
) -> dict[str, Any]:
    record = {
        "Name": resource.record,
        "Type": resource.type,
        "SetIdentifier": ident,
        "Failover": role,
        "TTL": resource.ttl,
        "ResourceRecords": [{"Value": value}],
        "HealthCheckId": check,
    }
    return {"Action": "UPSERT", "ResourceRecordSet": record}


def _audit(aws: Clients, plan: Plan, regions: list[str], config_role: str) -> AuditEstate:
    home = plan.regions.primary
    bucket = f"{plan.metadata.name}-cloudtrail-{ACCOUNT_ID}"
    data.create_bucket(aws, bucket, home)
    cloudtrail = aws("cloudtrail", home)
    trail = cloudtrail.create_trail(
        Name=f"{plan.metadata.name}-trail",
        S3BucketName=bucket,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
    )
    cloudtrail.start_logging(Name=trail["Name"])
    recorders = {r: _config_recorder(aws, r, config_role, bucket) for r in regions}
    return AuditEstate(
        trail_name=trail["Name"],
        trail_arn=trail["TrailARN"],
        trail_bucket=bucket,
        config_recorders=recorders,
        evidence_bucket=data.evidence_bucket(aws, plan),
    )


def _config_recorder(aws: Clients, region: str, role: str, bucket: str) -> str:
    config = aws("config", region)
    recorder = {
        "name": "default",
        "roleARN": role,
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
    }
    config.put_configuration_recorder(ConfigurationRecorder=recorder)
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    return "default"
