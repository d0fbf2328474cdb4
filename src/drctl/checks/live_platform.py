"""Live, read-only rules for copies, secrets, the DR cluster and the audit trail."""

from __future__ import annotations

from drctl.checks.base import PlanRule
from drctl.checks.context import CheckContext
from drctl.checks.live import LiveRule
from drctl.checks.model import Finding
from drctl.plan.durations import format_duration
from drctl.plan.model import Plan, Strategy
from drctl.plan.resources import EbsSnapshots, Efs, EksCluster, Nodegroup, Secrets
from drctl.providers.aws.cloudtrail import read_trails
from drctl.providers.aws.config_recorder import read_recorder_status
from drctl.providers.aws.ebs_efs import newest_copy, read_file_system
from drctl.providers.aws.efs import read_efs_replication
from drctl.providers.aws.eks import NodegroupState, read_cluster, read_nodegroup
from drctl.providers.aws.secrets import read_parameter_digests, read_secret


class EbsCopyFresh(LiveRule[EbsSnapshots]):
    """The newest snapshot copy in the DR region is younger than the RPO."""

    id = "ebs-copy-fresh"
    title = "Newest EBS snapshot copy in the DR region younger than the RPO"
    rationale = (
        "With snapshot copies (backup strategies, seed 1.4) the data lost in a region failure "
        "is everything written since the newest copy reached the DR region."
    )
    hint = "check the copy schedule (DLM/AWS Backup cross-region copy) and that copies complete"
    kind = EbsSnapshots

    def check(self, ctx: CheckContext, resource: EbsSnapshots) -> list[Finding]:
        rpo, now, found = ctx.plan.objectives.rpo, ctx.clock.now(), []
        for volume in resource.volumes:
            copy = newest_copy(ctx.aws, volume, resource.region, resource.copy_to)
            if copy is None:
                found.append(
                    self.finding(
                        resource.name,
                        f"volume {volume} has no completed snapshot copy in {resource.copy_to}",
                    )
                )
            elif now - copy.started > rpo:
                age = format_duration(now - copy.started)
                found.append(
                    self.finding(
                        resource.name,
                        f"newest copy of {volume} in {resource.copy_to} ({copy.id}) is {age} old, over the RPO of {format_duration(rpo)}",
                    )
                )
        return found


class EfsDrCopy(LiveRule[Efs]):
    """The DR file system is available and, with `method: replication`, is the primary's replica."""

    id = "efs-dr-copy"
    title = "EFS copy available in the DR region (replication enabled)"
    rationale = (
        "EFS replication keeps a read-only copy in the DR region that failover promotes "
        "(seed 1.4); with backup copies, the DR file system is restored from them."
    )
    hint = "`aws efs create-replication-configuration` from the primary file system to the DR one"
    kind = Efs

    def wants(self, plan: Plan, resource: Efs) -> bool:
        return plan.regions.secondary in resource.file_systems

    def check(self, ctx: CheckContext, resource: Efs) -> list[Finding]:
        primary, dr = ctx.plan.regions.primary, ctx.plan.regions.secondary
        there = read_file_system(ctx.aws, resource.file_systems[dr], dr)
        if there.state != "available":
            return [self.finding(resource.name, f"file system {there.id} in {dr} is {there.state}")]
        if resource.method != "replication" or primary not in resource.file_systems:
            return []
        source = read_file_system(ctx.aws, resource.file_systems[primary], primary)
        replication = read_efs_replication(ctx.aws, source.id, primary)
        target = replication.destinations.get(dr) if replication else None
        if target == (there.id, "ENABLED"):
            return []
        state = f"replicates to {target[0]} ({target[1]})" if target else "has no replication"
        return [
            self.finding(
                resource.name, f"file system {source.id} in {primary} {state} to {there.id} in {dr}"
            )
        ]


class SecretsReplicated(LiveRule[Secrets]):
    """Secrets have InSync replicas and SSM parameters match in every replica region."""

    id = "secrets-replicated"
    title = "Secrets replicated and in sync"
    rationale = (
        "Applications in the DR region read their credentials there (seed 1.5, External "
        "Secrets); a missing or stale replica breaks them right after failover."
    )
    hint = "`aws secretsmanager replicate-secret-to-regions`; copy SSM parameters (`aws.ssm.copy-parameters`)"
    kind = Secrets

    def check(self, ctx: CheckContext, resource: Secrets) -> list[Finding]:
        home, found = ctx.plan.regions.primary, []
        regions = [r for r in resource.replica_regions if r != home]
        for name in resource.secrets_manager:
            replicas = read_secret(ctx.aws, name, home).replicas
            for region in regions:
                status = replicas.get(region)
                if status != "InSync":
                    found.append(
                        self.finding(
                            resource.name,
                            f"secret {name} has {'a replica ' + status if status else 'no replica'} in {region}",
                        )
                    )
        if resource.ssm_parameters:
            source = read_parameter_digests(ctx.aws, resource.ssm_parameters, home)
            for region in regions:
                there = read_parameter_digests(ctx.aws, resource.ssm_parameters, region)
                stale = [n for n in resource.ssm_parameters if there.get(n) != source.get(n)]
                if stale:
                    found.append(
                        self.finding(
                            resource.name,
                            f"SSM parameters missing or different in {region}: {', '.join(stale)}",
                        )
                    )
        return found


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


class EksDrCluster(LiveRule[EksCluster]):
    """The DR cluster exists, is ACTIVE and runs the primary's Kubernetes minor version."""

    id = "eks-dr-cluster"
    title = "DR EKS cluster exists with the same Kubernetes version"
    rationale = (
        "Except with backup-restore, the DR cluster must already exist (seed 1.1); a different "
        "Kubernetes minor version means manifests and add-ons may not behave the same."
    )
    hint = "create or upgrade the DR cluster from the same eksctl config"
    kind = EksCluster

    def wants(self, plan: Plan, resource: EksCluster) -> bool:
        return (
            plan.strategy is not Strategy.BACKUP_RESTORE
            and plan.regions.secondary in resource.clusters
        )

    def check(self, ctx: CheckContext, resource: EksCluster) -> list[Finding]:
        primary, dr = ctx.plan.regions.primary, ctx.plan.regions.secondary
        there = read_cluster(ctx.aws, resource.clusters[dr], dr)
        found = []
        if there.status != "ACTIVE":
            found.append(
                self.finding(resource.name, f"cluster {there.name} in {dr} is {there.status}")
            )
        reference = (
            read_cluster(ctx.aws, resource.clusters[primary], primary).version
            if primary in resource.clusters
            else resource.version
        )
        if _minor(there.version) != _minor(reference):
            found.append(
                self.finding(
                    resource.name,
                    f"cluster {there.name} in {dr} runs Kubernetes {there.version}, the primary {reference}",
                )
            )
        return found


def fits(strategy: Strategy, group: Nodegroup, state: NodegroupState) -> str:
    """Why the DR nodegroup cannot carry the strategy's load, or '' when it can."""
    active = group.active.desired
    if state.max < active:
        return f"max {state.max} cannot reach the active size {active}"
    if strategy is Strategy.MULTI_SITE and state.desired < active:
        return f"runs {state.desired} nodes; multi-site serves traffic with {active}"
    if strategy is Strategy.WARM_STANDBY and state.desired < max(group.standby.desired, 1):
        return f"runs {state.desired} nodes; warm standby keeps at least {max(group.standby.desired, 1)}"
    return ""


class EksDrCapacity(EksDrCluster):
    """The DR nodegroups exist and can carry the load the strategy expects."""

    id = "eks-dr-capacity"
    title = "DR nodegroup capacity fits the strategy"
    rationale = (
        "Pilot light may run zero nodes but must be able to scale to the active size; warm "
        "standby keeps nodes running; multi-site runs the full size in both regions."
    )
    hint = "`aws eks update-nodegroup-config --scaling-config` (or the eksctl config) to the plan's sizes"

    def check(self, ctx: CheckContext, resource: EksCluster) -> list[Finding]:
        dr, found = ctx.plan.regions.secondary, []
        cluster = resource.clusters[dr]
        for group in resource.nodegroups:
            state = read_nodegroup(ctx.aws, cluster, group.name, dr)
            problem = fits(ctx.plan.strategy, group, state)
            if problem:
                found.append(
                    self.finding(
                        resource.name, f"nodegroup {group.name} of {cluster} in {dr} {problem}"
                    )
                )
        return found


class CloudTrailLogging(PlanRule):
    """A multi-region trail with log file validation is logging in both regions."""

    id = "cloudtrail-logging"
    title = "CloudTrail multi-region trail logging with log file validation"
    rationale = (
        "Drill and incident evidence is correlated with CloudTrail (seed section 5); a trail "
        "that is stopped, single-region or unvalidated leaves gaps auditors will find."
    )
    hint = "`aws cloudtrail create-trail --is-multi-region-trail --enable-log-file-validation`, then start-logging"
    live = True

    def check(self, ctx: CheckContext) -> list[Finding]:
        found = []
        for region in (ctx.plan.regions.primary, ctx.plan.regions.secondary):
            trails = [
                t for t in read_trails(ctx.aws, region) if t.multi_region or t.home_region == region
            ]
            good = [t for t in trails if t.multi_region and t.is_logging and t.log_file_validation]
            if not good:
                seen = (
                    "; ".join(
                        f"{t.name}: {'logging' if t.is_logging else 'not logging'}, {'multi-region' if t.multi_region else 'single-region'}, validation {'on' if t.log_file_validation else 'off'}"
                        for t in trails
                    )
                    or "no trail"
                )
                found.append(
                    self.finding(
                        ctx.plan.metadata.name,
                        f"no logging multi-region trail with log file validation covers {region} ({seen})",
                    )
                )
        return found


class ConfigRecorder(PlanRule):
    """AWS Config records configuration changes in both regions."""

    id = "config-recorder"
    title = "AWS Config recorder on in both regions"
    rationale = "AWS Config's history shows what changed before and during an incident, and is audit evidence (seed section 5)."
    hint = "`aws configservice start-configuration-recorder` (after put-configuration-recorder)"
    live = True

    def check(self, ctx: CheckContext) -> list[Finding]:
        found = []
        for region in (ctx.plan.regions.primary, ctx.plan.regions.secondary):
            recorders = read_recorder_status(ctx.aws, region)
            if not any(r.recording for r in recorders):
                names = ", ".join(r.name for r in recorders) or "none"
                found.append(
                    self.finding(
                        ctx.plan.metadata.name,
                        f"no AWS Config recorder is recording in {region} (recorders: {names})",
                    )
                )
        return found


PLATFORM_RULES = (
    EbsCopyFresh(),
    EfsDrCopy(),
    SecretsReplicated(),
    EksDrCluster(),
    EksDrCapacity(),
    CloudTrailLogging(),
    ConfigRecorder(),
)
