"""The advisor: which AWS DR strategy fits the objectives, and can this plan meet its own?

Typical ranges follow AWS's whitepaper "Disaster Recovery of Workloads on AWS"
(backup & restore: hours; pilot light: tens of minutes; warm standby: minutes;
multi-site active/active: near zero). They are planning figures, not guarantees:
`drctl run` measures what a drill really achieved.
"""

from __future__ import annotations

from datetime import timedelta

from drctl.checks.model import Finding, Severity
from drctl.model import Frozen
from drctl.plan.durations import format_duration
from drctl.plan.model import Plan, Strategy
from drctl.plan.resources import EbsSnapshots, Efs, Route53Failover, S3Replication

_M, _H = timedelta(minutes=1), timedelta(hours=1)
S3_RTC_SLA = 15 * _M
DNS_PROPAGATION = 1 * _M


class Range(Frozen):
    """A typical low..high span for one objective."""

    low: timedelta
    high: timedelta

    def __str__(self) -> str:
        return f"{format_duration(self.low)}–{format_duration(self.high)}"


class StrategyProfile(Frozen):
    """What a strategy typically achieves, and why."""

    strategy: Strategy
    rto: Range
    rpo: Range
    summary: str


PROFILES: tuple[StrategyProfile, ...] = (
    StrategyProfile(
        strategy=Strategy.BACKUP_RESTORE,
        rto=Range(low=1 * _H, high=24 * _H),
        rpo=Range(low=1 * _H, high=24 * _H),
        summary="restore data from snapshots and build everything with IaC after the disaster",
    ),
    StrategyProfile(
        strategy=Strategy.PILOT_LIGHT,
        rto=Range(low=10 * _M, high=1 * _H),
        rpo=Range(low=timedelta(seconds=1), high=5 * _M),
        summary="data is replicated live; compute exists but is scaled to zero until failover",
    ),
    StrategyProfile(
        strategy=Strategy.WARM_STANDBY,
        rto=Range(low=1 * _M, high=15 * _M),
        rpo=Range(low=timedelta(seconds=1), high=1 * _M),
        summary="a scaled-down full copy runs in the DR region and is scaled up on failover",
    ),
    StrategyProfile(
        strategy=Strategy.MULTI_SITE,
        rto=Range(low=timedelta(0), high=1 * _M),
        rpo=Range(low=timedelta(0), high=timedelta(seconds=1)),
        summary="both regions serve traffic; failover only shifts traffic",
    ),
)


class Advice(Frozen):
    """The recommended strategy, the reasoning, and findings about a plan."""

    rto: timedelta
    rpo: timedelta
    recommended: Strategy
    reasoning: str
    profiles: tuple[StrategyProfile, ...] = PROFILES
    findings: list[Finding] = []

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)


def profile(strategy: Strategy) -> StrategyProfile:
    """The typical figures of one strategy."""
    return next(p for p in PROFILES if p.strategy is strategy)


def recommend(rto: timedelta, rpo: timedelta) -> tuple[Strategy, str]:
    """The cheapest strategy whose typical worst case still meets both objectives."""
    for p in PROFILES:
        if p.rto.high <= rto and p.rpo.high <= rpo:
            return p.strategy, (
                f"{p.strategy} is the cheapest strategy whose typical worst case "
                f"(RTO {format_duration(p.rto.high)}, RPO {format_duration(p.rpo.high)}) "
                f"fits RTO {format_duration(rto)} / RPO {format_duration(rpo)}: {p.summary}"
            )
    return Strategy.MULTI_SITE, (
        f"no strategy reliably meets RTO {format_duration(rto)} / RPO {format_duration(rpo)}; "
        "multi-site comes closest, and an RPO under 1s needs synchronous writes in both regions"
    )


def advise(rto: timedelta, rpo: timedelta, plan: Plan | None = None) -> Advice:
    """Recommend a strategy for the objectives and, given a plan, check it can meet them."""
    recommended, reasoning = recommend(rto, rpo)
    findings = plan_findings(plan) if plan is not None else []
    return Advice(rto=rto, rpo=rpo, recommended=recommended, reasoning=reasoning, findings=findings)


def plan_findings(plan: Plan) -> list[Finding]:
    """Everything in the plan that keeps it from meeting its own objectives."""
    return [
        *_strategy_findings(plan),
        *_snapshot_findings(plan),
        *_s3_findings(plan),
        *_dns_findings(plan),
        *_switch_findings(plan),
    ]


def _strategy_findings(plan: Plan) -> list[Finding]:
    p, rto, rpo = profile(plan.strategy), plan.objectives.rto, plan.objectives.rpo
    better, _ = recommend(rto, rpo)
    found = []
    for name, target, span in (("RTO", rto, p.rto), ("RPO", rpo, p.rpo)):
        if span.low > target:
            severity, verb = Severity.ERROR, "cannot meet"
        elif span.high > target:
            severity, verb = Severity.WARNING, "may miss"
        else:
            continue
        found.append(
            Finding(
                rule=f"strategy-meets-{name.lower()}",
                resource=plan.metadata.name,
                severity=severity,
                message=f"{plan.strategy} {verb} {name} {format_duration(target)}: "
                f"it typically takes {span}",
                hint=f"choose {better}, or relax the {name} to at least {format_duration(span.high)}",
            )
        )
    return found


def _snapshot_findings(plan: Plan) -> list[Finding]:
    rpo, found = plan.objectives.rpo, []
    copied: list[EbsSnapshots | Efs] = [*plan.resources_of(EbsSnapshots), *plan.resources_of(Efs)]
    for res in copied:
        every = res.copy_every
        if every is not None and every > rpo:
            found.append(
                Finding(
                    rule="snapshot-interval-within-rpo",
                    resource=res.name,
                    severity=Severity.ERROR,
                    message=f"copies every {format_duration(every)} lose up to that much data, "
                    f"more than the RPO of {format_duration(rpo)}",
                    hint=f"copy at least every {format_duration(rpo)}, or use continuous "
                    "replication (EFS replication, or a database for the data)",
                )
            )
    return found


def _s3_findings(plan: Plan) -> list[Finding]:
    rpo = plan.objectives.rpo
    if rpo >= S3_RTC_SLA:
        return []
    return [
        Finding(
            rule="s3-rtc-for-short-rpo",
            resource=res.name,
            severity=Severity.ERROR,
            message=f"RPO {format_duration(rpo)} is under 15m but replication time control is off; "
            "without RTC S3 gives no bound on replication time",
            hint="set `replication_time_control: true` (S3 RTC replicates 99.99% of objects in 15m)",
        )
        for res in plan.resources_of(S3Replication)
        if not res.replication_time_control
    ]


def detection_time(res: Route53Failover) -> timedelta:
    """Worst case from failure to clients resolving the secondary: checks, TTL, propagation."""
    hc = res.health_check
    return timedelta(seconds=hc.interval * hc.failure_threshold + res.ttl) + DNS_PROPAGATION


def _dns_findings(plan: Plan) -> list[Finding]:
    rto, found = plan.objectives.rto, []
    for res in plan.resources_of(Route53Failover):
        spent = detection_time(res)
        hc = res.health_check
        detail = (
            f"{hc.interval}s x {hc.failure_threshold} checks + TTL {res.ttl}s + ~1m propagation "
            f"= {format_duration(spent)}"
        )
        if spent > rto / 2:
            found.append(
                Finding(
                    rule="dns-failover-within-rto",
                    resource=res.name,
                    severity=Severity.ERROR if spent > rto else Severity.WARNING,
                    message=f"DNS failover alone takes up to {detail}, "
                    f"{'over' if spent > rto else 'more than half of'} the RTO of {format_duration(rto)}",
                    hint="use `interval: 10`, a lower failure_threshold, or a TTL of 60s or less",
                )
            )
    return found


def _switch_findings(plan: Plan) -> list[Finding]:
    return [
        Finding(
            rule="dns-switch-survives-dead-primary",
            resource=res.name,
            severity=Severity.WARNING,
            message="`switch: invert-health-check` sends traffic back to a failed primary: "
            "an inverted check of a dead endpoint reads healthy",
            hint="use `switch: disable-health-check` (Disabled and Inverted: out whether up or down) "
            "or `health-check` (automatic failover, no write)",
        )
        for res in plan.resources_of(Route53Failover)
        if res.switch == "invert-health-check"
    ]
