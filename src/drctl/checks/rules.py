"""Static rules over the plan: the seed's section 6 checklist, before anything touches AWS."""

from __future__ import annotations

from drctl.checks.base import PlanRule, ResourceRule
from drctl.checks.context import CheckContext
from drctl.checks.model import Finding, Severity
from drctl.plan.advise import plan_findings
from drctl.plan.model import Plan
from drctl.plan.resources import GitOps, ResourceBase, Route53Failover
from drctl.runbook.recipes import recipe_for

HEALTH_PATH = "/health"


class OwnershipDeclared(PlanRule):
    """Someone owns the plan and every contact can be reached."""

    id = "ownership-declared"
    title = "Owner and reachable contacts declared"
    rationale = (
        "During an incident people must know whom to call (seed section 6: RTO/RPO, "
        "owners and contacts are declared). The plan file cannot load without RTO/RPO, "
        "owner and a contact; this rule also requires each contact to have an email or phone."
    )
    hint = "give every contact an `email:` or `phone:`"

    def check(self, ctx: CheckContext) -> list[Finding]:
        meta = ctx.plan.metadata
        found = []
        if not meta.owner.strip():
            found.append(
                self.finding(meta.name, "the plan's owner is blank", hint="set `metadata.owner`")
            )
        for contact in meta.contacts:
            if not (contact.email or contact.phone):
                found.append(
                    self.finding(meta.name, f"contact `{contact.name}` has no email or phone")
                )
        return found


class DrCounterpart(ResourceRule[ResourceBase]):
    """Every resource has a counterpart in the DR region."""

    id = "dr-counterpart"
    title = "Every resource has a counterpart in the DR region"
    rationale = (
        "A region failure takes everything in the primary region with it: each cluster, "
        "database, bucket, file system, volume and secret needs a copy in the secondary region."
    )
    hint = "add the DR region's entry to the resource (cluster, replica, destination bucket, ...)"
    kind = ResourceBase

    def wants(self, plan: Plan, resource: ResourceBase) -> bool:
        # GitOps without per-cluster targets deploys wherever the clusters are.
        return not (isinstance(resource, GitOps) and not resource.clusters)

    def check(self, ctx: CheckContext, resource: ResourceBase) -> list[Finding]:
        dr = ctx.plan.regions.secondary
        if dr in recipe_for(resource, ctx.plan).regions():
            return []
        name, kind = resource.name, resource.kind
        return [self.finding(name, f"{kind} `{name}` has nothing in the DR region {dr}")]


class Route53HealthChecks(ResourceRule[Route53Failover]):
    """Failover records are driven by HTTP(S) health checks on /health."""

    id = "route53-health-check-path"
    title = "Route53 failover uses health checks on /health"
    rationale = (
        "Route 53 switches to the SECONDARY record by itself only when the PRIMARY's health "
        "check fails. An HTTP(S) check counts 2xx and 3xx answers as healthy; pointing it at "
        "the application's /health endpoint (seed 1.2) makes it fail when the app does."
    )
    severity = Severity.WARNING
    hint = "set `health_check.path: /health` and serve 2xx from it only when the app works"
    kind = Route53Failover

    def check(self, ctx: CheckContext, resource: Route53Failover) -> list[Finding]:
        path = resource.health_check.path
        if path.split("?")[0] == HEALTH_PATH:
            return []
        return [self.finding(resource.name, f"health check probes {path}, not {HEALTH_PATH}")]


CONTROL_PLANE_CALLS: dict[str, tuple[str, ...]] = {
    # switch → the Route 53 control-plane calls (us-east-1) its switch step makes
    "record-upsert": ("ChangeResourceRecordSets", "GetChange"),
    "disable-health-check": ("UpdateHealthCheck",),
    "invert-health-check": ("UpdateHealthCheck",),
    "health-check": (),
    "arc-routing-control": (),
}


def control_plane_calls(resource: Route53Failover) -> list[str]:
    """Every Route 53 control-plane call a runbook makes for `resource` during a failover."""
    calls = list(CONTROL_PLANE_CALLS[resource.switch])
    if resource.switch != "arc-routing-control":
        calls.append("GetHealthCheck")  # reading the record's health check configuration
        if resource.primary.value is not None:
            calls.append("TestDNSAnswer")  # verifying the answer
    return calls


class ControlPlaneSwitch(ResourceRule[Route53Failover]):
    """Warn when failover needs Route 53's control plane (us-east-1), naming each call."""

    id = "route53-data-plane-failover"
    title = "Failover does not depend on the Route 53 control plane"
    rationale = (
        "Record changes, health check updates, GetChange and TestDNSAnswer are Route 53 "
        "control-plane calls served from us-east-1; AWS advises not to rely on control "
        "planes during recovery. ARC routing controls are changed on the cluster's regional "
        "endpoints (data plane) and DNS answers are read from the name servers."
    )
    severity = Severity.WARNING
    hint = "use `switch: arc-routing-control` (ARC routing controls) for a data-plane failover"
    kind = Route53Failover

    def wants(self, plan: Plan, resource: Route53Failover) -> bool:
        return bool(control_plane_calls(resource))

    def check(self, ctx: CheckContext, resource: Route53Failover) -> list[Finding]:
        calls = ", ".join(control_plane_calls(resource))
        return [
            self.finding(
                resource.name,
                f"switching {resource.record} ({resource.switch}) depends on Route 53 "
                f"control-plane calls in us-east-1: {calls}",
            )
        ]


class ProbesDeclared(PlanRule):
    """RTO and RPO can only be measured with probes."""

    id = "probes-declared"
    title = "Availability probe and data canary declared"
    rationale = (
        "drctl measures RTO with an availability probe and RPO with a data canary; "
        "without them a drill proves the runbook ran, not that the objectives were met."
    )
    severity = Severity.WARNING
    hint = "add `probes.availability.url` and `probes.canary` to the plan"

    def check(self, ctx: CheckContext) -> list[Finding]:
        probes, name = ctx.plan.probes, ctx.plan.metadata.name
        missing = [
            what
            for what, probe in (
                ("availability probe (RTO)", probes.availability),
                ("data canary (RPO)", probes.canary),
            )
            if probe is None
        ]
        return [
            self.finding(name, f"no {what}: it cannot be measured in drills") for what in missing
        ]


class AdvisorRule(PlanRule):
    """One of the advisor's checks, run as a readiness rule (the advisor owns the logic)."""

    def check(self, ctx: CheckContext) -> list[Finding]:
        return [f for f in plan_findings(ctx.plan) if f.rule == self.id]


class StrategyMeetsRto(AdvisorRule):
    """The strategy can meet the RTO."""

    id = "strategy-meets-rto"
    title = "The strategy can meet the RTO"
    rationale = "Each DR strategy has a typical recovery time (AWS DR whitepaper); one slower than the RTO cannot meet it."
    hint = "choose a faster strategy or relax the RTO (see `drctl advise`)"


class StrategyMeetsRpo(AdvisorRule):
    """The strategy can meet the RPO."""

    id = "strategy-meets-rpo"
    title = "The strategy can meet the RPO"
    rationale = "Each DR strategy loses a typical amount of data; one that loses more than the RPO cannot meet it."
    hint = "choose a strategy with live replication or relax the RPO (see `drctl advise`)"


class SnapshotIntervalWithinRpo(AdvisorRule):
    """Snapshot copies are taken at least once per RPO."""

    id = "snapshot-interval-within-rpo"
    title = "EBS/EFS copies are taken at least once per RPO"
    rationale = "Data written since the last copy is lost in a region failure; copies rarer than the RPO miss it."
    hint = "copy at least once per RPO, or replicate continuously"


class S3RtcForShortRpo(AdvisorRule):
    """S3 replication time control when the RPO is under 15 minutes."""

    id = "s3-rtc-for-short-rpo"
    title = "S3 replication time control when RPO < 15m"
    rationale = "Without RTC, S3 replication has no time bound; RTC replicates 99.99% of objects within 15 minutes."
    hint = "set `replication_time_control: true`"


class DnsFailoverWithinRto(AdvisorRule):
    """DNS failover fits in the RTO."""

    id = "dns-failover-within-rto"
    title = "DNS failover fits in the RTO"
    rationale = "Health-check interval x threshold + TTL + propagation is spent before clients reach the DR region."
    hint = "use `interval: 10`, a lower failure_threshold, or a TTL of 60s or less"


class DnsSwitchSurvivesDeadPrimary(AdvisorRule):
    """The DNS switch method still works when the primary is dead."""

    id = "dns-switch-survives-dead-primary"
    title = "The DNS switch works with a dead primary"
    rationale = "An inverted health check of a failing endpoint reads healthy, so inverting sends traffic back to the failed region."
    hint = "use `switch: disable-health-check` or `health-check`"


STATIC_RULES = (
    OwnershipDeclared(),
    DrCounterpart(),
    Route53HealthChecks(),
    ControlPlaneSwitch(),
    ProbesDeclared(),
    StrategyMeetsRto(),
    StrategyMeetsRpo(),
    SnapshotIntervalWithinRpo(),
    S3RtcForShortRpo(),
    DnsFailoverWithinRto(),
    DnsSwitchSurvivesDeadPrimary(),
)
