"""Build the live estate from the rendered files, the way a deployer would (CloudFormation by hand).

The Route53 template is applied by resolving its `Ref`s to parameter defaults and created ids;
replication.json is PUT as-is; the eksctl configs become EKS clusters and managed nodegroups.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from drctl.iac.context import RenderContext
from drctl.iac.files import Kind
from drctl.iac.live import ROUTE53_REGION, account_id
from drctl.iac.render import render
from drctl.plan.model import Plan
from drctl.plan.resources import Route53Failover, S3Replication
from drctl.providers.aws.clients import AwsClients


def _resolve(value: Any, refs: dict[str, str]) -> Any:
    if isinstance(value, dict):
        if set(value) == {"Ref"}:
            return refs[value["Ref"]]
        return {k: _resolve(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, refs) for v in value]
    return value


def apply_route53(clients: AwsClients, plan: Plan) -> dict[str, str]:
    """Create the hosted zone, health checks and records of each failover template; return ids."""
    route53 = clients.client("route53", ROUTE53_REGION)
    created: dict[str, str] = {}
    for resource, file in zip(
        plan.resources_of(Route53Failover), render(plan, only=[Kind.ROUTE53]), strict=True
    ):
        template = yaml.safe_load(file.content)
        zone = route53.create_hosted_zone(Name=resource.hosted_zone, CallerReference=resource.name)
        refs = {name: p.get("Default", "") for name, p in template["Parameters"].items()}
        refs["HostedZoneId"] = zone["HostedZone"]["Id"].rsplit("/", 1)[-1]
        for logical, spec in template["Resources"].items():
            props = _resolve(spec["Properties"], refs)
            if spec["Type"] == "AWS::Route53::HealthCheck":
                check = route53.create_health_check(
                    CallerReference=logical, HealthCheckConfig=props["HealthCheckConfig"]
                )
                refs[logical] = created[f"{resource.name}/{logical}"] = check["HealthCheck"]["Id"]
            else:
                _upsert_record(route53, props)
    return created


def _upsert_record(route53: Any, props: dict[str, Any]) -> None:
    zone_id = props.pop("HostedZoneId")
    if "ResourceRecords" in props:
        props["ResourceRecords"] = [{"Value": v} for v in props["ResourceRecords"]]
        props["TTL"] = int(props["TTL"])
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": props}]},
    )


def apply_s3(clients: AwsClients, plan: Plan) -> None:
    """Versioned source and destination buckets, and the rendered replication.json on the source."""
    ctx = RenderContext(account_id=account_id(clients, plan.regions.primary))
    files = {f.path: f for f in render(plan, ctx, only=[Kind.S3])}
    for resource in plan.resources_of(S3Replication):
        for end in (resource.source, resource.destination):
            s3 = clients.client("s3", end.region)
            s3.create_bucket(
                Bucket=end.bucket, CreateBucketConfiguration={"LocationConstraint": end.region}
            )
            s3.put_bucket_versioning(
                Bucket=end.bucket, VersioningConfiguration={"Status": "Enabled"}
            )
        config = json.loads(files[f"s3/{resource.name}/replication.json"].content)
        clients.client("s3", resource.source.region).put_bucket_replication(
            Bucket=resource.source.bucket, ReplicationConfiguration=config
        )


def apply_eksctl(clients: AwsClients, plan: Plan) -> None:
    """`eksctl create cluster -f` for every rendered config: cluster plus managed nodegroups."""
    for file in render(plan, only=[Kind.EKSCTL]):
        config = yaml.safe_load(file.content)
        meta = config["metadata"]
        eks = clients.client("eks", meta["region"])
        eks.create_cluster(
            name=meta["name"],
            version=meta["version"],
            roleArn="arn:aws:iam::123456789012:role/eks-cluster",
            resourcesVpcConfig={"subnetIds": []},
        )
        for group in config["managedNodeGroups"]:
            eks.create_nodegroup(
                clusterName=meta["name"],
                nodegroupName=group["name"],
                scalingConfig={
                    "desiredSize": group["desiredCapacity"],
                    "minSize": group["minSize"],
                    "maxSize": group["maxSize"],
                },
                instanceTypes=[group["instanceType"]],
                subnets=["subnet-0"],
                nodeRole="arn:aws:iam::123456789012:role/eks-node",
            )


def apply_all(clients: AwsClients, plan: Plan) -> dict[str, str]:
    """The whole checkable estate; returns the created health check ids by `<resource>/<logical id>`."""
    ids = apply_route53(clients, plan)
    apply_s3(clients, plan)
    apply_eksctl(clients, plan)
    return ids
