"""ARNs of IAM resource types: the plan's resources as policy patterns, and a recorded call's ARNs.

Formats follow the IAM Service Authorization Reference ("Resource types defined by ...").
Ids drctl cannot know before a run (EBS volumes and snapshots, EFS file system ids, batch
jobs, Route 53 changes) are region-wide patterns in the plan's account; Route 53 hosted zone
and health check ids are `${...}` placeholders unless `--live` read them.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping

from drctl.iac.context import RenderContext, Role, env_name
from drctl.iac.iam_table import Res
from drctl.plan.model import Plan
from drctl.plan.regions import partition_of
from drctl.plan.resources import (
    AuroraGlobal,
    DynamoDbGlobalTable,
    EbsSnapshots,
    Efs,
    EksCluster,
    ElastiCacheGlobal,
    RdsReplica,
    Route53Failover,
    S3Replication,
    Secrets,
)

FORMATS: dict[str, str] = {
    "rds:global-cluster": "arn:{p}:rds::{a}:global-cluster:{id}",
    "rds:cluster": "arn:{p}:rds:{r}:{a}:cluster:{id}",
    "rds:db": "arn:{p}:rds:{r}:{a}:db:{id}",
    "dynamodb:table": "arn:{p}:dynamodb:{r}:{a}:table/{id}",
    "dynamodb:global-table": "arn:{p}:dynamodb::{a}:global-table/{id}",
    "elasticache:globalreplicationgroup": "arn:{p}:elasticache::{a}:globalreplicationgroup:{id}",
    "elasticache:replicationgroup": "arn:{p}:elasticache:{r}:{a}:replicationgroup:{id}",
    "s3:bucket": "arn:{p}:s3:::{id}",
    "s3:object": "arn:{p}:s3:::{id}",
    "s3:job": "arn:{p}:s3:{r}:{a}:job/{id}",
    "route53:hostedzone": "arn:{p}:route53:::hostedzone/{id}",
    "route53:healthcheck": "arn:{p}:route53:::healthcheck/{id}",
    "route53:change": "arn:{p}:route53:::change/{id}",
    "route53-recovery-control:routingcontrol": (
        "arn:{p}:route53-recovery-control::{a}:controlpanel/*/routingcontrol/{id}"
    ),
    "cloudtrail:trail": "arn:{p}:cloudtrail:{r}:{a}:trail/{id}",
    "ec2:volume": "arn:{p}:ec2:{r}:{a}:volume/{id}",
    "ec2:snapshot": "arn:{p}:ec2:{r}::snapshot/{id}",
    "elasticfilesystem:file-system": "arn:{p}:elasticfilesystem:{r}:{a}:file-system/{id}",
    # the name plus the 6 random characters Secrets Manager appends
    "secretsmanager:secret": "arn:{p}:secretsmanager:{r}:{a}:secret:{id}-??????",
    "ssm:parameter": "arn:{p}:ssm:{r}:{a}:parameter/{id}",
    "eks:cluster": "arn:{p}:eks:{r}:{a}:cluster/{id}",
    "eks:nodegroup": "arn:{p}:eks:{r}:{a}:nodegroup/{id}",
    "iam:role": "arn:{p}:iam::{a}:role/{id}",
    "fis:experiment-template": "arn:{p}:fis:{r}:{a}:experiment-template/{id}",
    "fis:experiment": "arn:{p}:fis:{r}:{a}:experiment/{id}",
    "kms:key": "arn:{p}:kms:{r}:{a}:key/{id}",
}

Located = tuple[str, str]
"""(region, id) of one resource; region "" for global ones."""


def arn(kind: str, region: str, account: str, ident: str, partition: str) -> str:
    """The ARN of a resource of type `kind`; an id that already is an ARN is kept as it is."""
    if ident.startswith("arn:"):
        return ident
    if kind == "ssm:parameter":
        ident = ident.removeprefix("/")
    if kind in ("route53:hostedzone", "route53:healthcheck", "route53:change"):
        ident = ident.rsplit("/", 1)[-1]  # `/hostedzone/Z…`, `/change/C…`
    return FORMATS[kind].format(p=partition, r=region, a=account, id=ident)


def call_arns(res: Res, region: str, account: str, identifiers: Mapping[str, str]) -> str:
    """The ARN a recorded call names for `res` (`*` in place of an id the call did not record)."""
    fields = [f for _, f, _, _ in string.Formatter().parse(res.id) if f]
    values = {f: identifiers.get(f, "*") for f in fields}
    if (
        len(fields) == 1
        and res.id == "{" + fields[0] + "}"
        and values[fields[0]].startswith("arn:")
    ):
        return values[fields[0]]
    return arn(res.type, region, account, res.id.format(**values), partition_of(region))


def plan_resources(
    plan: Plan, ctx: RenderContext, roles: Iterable[str] = ()
) -> dict[str, list[str]]:
    """Resource type → the ARN patterns of the plan's resources of that type (sorted, unique)."""
    account, partition = ctx.account(), partition_of(plan.regions.primary)
    found: dict[str, set[str]] = {}
    for kind, (region, ident) in _located(plan, ctx, roles):
        found.setdefault(kind, set()).add(arn(kind, region, account, ident, partition))
    return {kind: sorted(arns) for kind, arns in found.items()}


def _located(plan: Plan, ctx: RenderContext, roles: Iterable[str]) -> list[tuple[str, Located]]:
    regions = (plan.regions.primary, plan.regions.secondary)
    out: list[tuple[str, Located]] = [("cloudtrail:trail", (r, "*")) for r in regions]
    out += [("iam:role", ("", role)) for role in roles]
    for aurora in plan.resources_of(AuroraGlobal):
        out.append(("rds:global-cluster", ("", aurora.global_cluster)))
        out += [("rds:cluster", (r, c)) for r, c in aurora.clusters.items()]
    for rds in plan.resources_of(RdsReplica):
        out += [("rds:db", (s.region, s.instance)) for s in (rds.source, rds.replica)]
    for table in plan.resources_of(DynamoDbGlobalTable):
        out.append(("dynamodb:global-table", ("", table.table)))
        out += [("dynamodb:table", (r, table.table)) for r in table.regions]
    for cache in plan.resources_of(ElastiCacheGlobal):
        out.append(("elasticache:globalreplicationgroup", ("", cache.global_datastore)))
        out += [("elasticache:replicationgroup", rg) for rg in cache.replication_groups.items()]
    for s3 in plan.resources_of(S3Replication):
        for side in (s3.source, s3.destination):
            out += [("s3:bucket", ("", side.bucket)), ("s3:object", ("", f"{side.bucket}/*"))]
            out.append(("s3:job", (side.region, "*")))
        if s3.failback_role_arn:
            out.append(("iam:role", ("", s3.failback_role_arn)))
    out += _route53(plan, ctx)
    out += _platform(plan)
    return out


def _route53(plan: Plan, ctx: RenderContext) -> list[tuple[str, Located]]:
    out: list[tuple[str, Located]] = []
    for res in plan.resources_of(Route53Failover):
        zone = ctx.hosted_zone_ids.get(res.hosted_zone) or (
            res.hosted_zone
            if res.hosted_zone.startswith("Z") and "." not in res.hosted_zone
            else "${" + env_name(res.hosted_zone, "hosted-zone-id") + "}"
        )
        out.append(("route53:hostedzone", ("", zone)))
        out += [("route53:healthcheck", ("", ctx.health_check_id(res.name, r))) for r in _ROLES]
        out.append(("route53:change", ("", "*")))
        if res.arc is not None:
            controls = (res.arc.primary, res.arc.secondary)
            out += [("route53-recovery-control:routingcontrol", ("", c)) for c in controls]
    return out


_ROLES: tuple[Role, ...] = ("primary", "secondary")


def _platform(plan: Plan) -> list[tuple[str, Located]]:
    out: list[tuple[str, Located]] = []
    for ebs in plan.resources_of(EbsSnapshots):
        for region in (ebs.region, ebs.copy_to):
            out += [("ec2:volume", (region, "*")), ("ec2:snapshot", (region, "*"))]
    for efs in plan.resources_of(Efs):
        out += [("elasticfilesystem:file-system", (r, "*")) for r in efs.file_systems]
    for secrets in plan.resources_of(Secrets):
        regions = sorted({plan.regions.primary, *secrets.replica_regions})
        out += [("secretsmanager:secret", (r, n)) for n in secrets.secrets_manager for r in regions]
        out += [("ssm:parameter", (r, n)) for n in secrets.ssm_parameters for r in regions]
    for eks in plan.resources_of(EksCluster):
        for region, cluster in eks.clusters.items():
            out.append(("eks:cluster", (region, cluster)))
            out += [("eks:nodegroup", (region, f"{cluster}/{g.name}/*")) for g in eks.nodegroups]
    return out
