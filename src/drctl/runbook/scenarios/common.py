"""Stages several scenarios share: compute up and down, apps, endpoint checks, evidence, gates."""

from __future__ import annotations

from datetime import timedelta

import httpx

from drctl.errors import PlanError
from drctl.plan.model import Plan, Strategy
from drctl.plan.resources import EbsSnapshots, Efs, Route53Failover
from drctl.providers import approval, http, registry
from drctl.providers.aws import cloudtrail
from drctl.runbook.draft import Draft, needs_of
from drctl.runbook.model import ApprovalGate, RetryPolicy
from drctl.runbook.recipes import Side, recipes
from drctl.runbook.steps import M, S

PUBLIC_RETRY = RetryPolicy(
    attempts=20, backoff=timedelta(seconds=3), max_backoff=timedelta(seconds=30)
)


def gate(plan: Plan, name: str, default_required: int, reason: str) -> ApprovalGate:
    """The approval gate the plan sets for `name`, or a default one."""
    rule = plan.approval_for(name)
    if rule is None:
        return ApprovalGate(required=default_required, reason=reason)
    return ApprovalGate(required=rule.required, approvers=rule.approvers, reason=reason)


EXTRA_GATE_MESSAGES = {"promote-data": "promote data", "switch-traffic": "switch DNS"}


def extra_approval(d: Draft, step_id: str, title: str, gate_name: str, needs: list[str]) -> None:
    """A further approval the plan asks for at `gate_name` (e.g. before promoting data)."""
    d.add(
        step_id,
        title,
        approval.Approval,
        approval.Approval.Params(message=EXTRA_GATE_MESSAGES[gate_name]),
        needs=needs,
        approval=gate(d.plan, gate_name, 1, ""),
        estimate=2 * M,
        timeout=60 * M,
    )


def compute_up(d: Draft, region: str, needs: list[str]) -> None:
    """Make the clusters of `region` able to serve: create, scale or just verify them."""
    for recipe in recipes(d.plan):
        recipe.bring_up(d, region, needs)


def compute_down(d: Draft, region: str, needs: list[str], *, always: bool = False) -> None:
    """Return the clusters of `region` to standby; `always`: even if earlier steps failed."""
    for recipe in recipes(d.plan):
        recipe.scale_down(d, region, needs, always)


def apps_up(d: Draft, region: str) -> None:
    """GitOps sync onto the clusters of `region`, then wait for pods and synced secrets.

    The sync needs only the clusters it deploys onto, so it runs while the data tier is
    promoted or restored; readiness waits for both, since pods serve once their data does.
    """
    compute = d.after("compute", because=f"the sync deploys onto the clusters in {region}")
    data = d.after("data", because=f"pods are ready once the data they use is up in {region}")
    synced = [i for recipe in recipes(d.plan) for i in recipe.deploy(d, region, compute)]
    waited = needs_of(synced, "the sync deployed what this waits for") if synced else compute
    for recipe in recipes(d.plan):
        recipe.ready(d, region, waited + data)


def check_endpoints(d: Draft, which: Side, needs: list[str], tag: str = "") -> None:
    """HTTP checks of the application's /health on one side, then of the public URL."""
    for recipe in recipes(d.plan):
        recipe.check(d, which, needs, tag)
    probe = d.plan.probes.availability
    if probe is not None:
        url = str(probe.url)
        d.add(
            f"http-public-endpoint{tag}",
            f"GET {url} answers 2xx/3xx",
            http.Http,
            public_check(d.plan, url),
            needs=needs,
            estimate=30 * S,
            timeout=10 * M,
            retry=PUBLIC_RETRY,
        )


def public_check(plan: Plan, url: str) -> http.HttpParams:
    """HTTP params for the public URL; a failover record's host is resolved as Route 53 answers."""
    host = (httpx.URL(url).host or "").rstrip(".")
    for dns in plan.resources_of(Route53Failover):
        if dns.record.rstrip(".") == host:
            resolve = http.Route53Name(
                hosted_zone=dns.hosted_zone, record=dns.record, type=dns.type
            )
            return http.HttpParams(url=url, expect_status=["2xx", "3xx"], resolve=resolve)
    return http.HttpParams(url=url, expect_status=["2xx", "3xx"])


def evidence(d: Draft, region: str, needs: list[str]) -> None:
    """Capture each resource's state, and the CloudTrail events of the calls the run made."""
    for recipe in recipes(d.plan):
        recipe.capture(d, region, needs)
    if not d.plan.audit.cloudtrail_lookup:
        return
    by_region = recorded_events(d, region)
    for where in sorted(by_region, key=lambda r: (r != region, r)):
        expect = by_region[where]
        names = [n for events in expect.values() for n in events]
        d.add(
            "evidence-cloudtrail" if where == region else f"evidence-cloudtrail-{where}",
            f"Look up this run's API calls in CloudTrail ({where})",
            cloudtrail.Lookup,
            cloudtrail.Lookup.Params(
                region=where, event_names=list(dict.fromkeys(names)), expect_from=expect
            ),
            needs=needs,
            estimate=20 * S,
            timeout=cloudtrail.DELIVERY_WAIT + 5 * M,
            region=where,
            retry=RetryPolicy(attempts=1),  # the lookup already waits for late deliveries
            on_failure="continue",
        )


def recorded_events(d: Draft, default_region: str) -> dict[str, dict[str, list[str]]]:
    """region → step id → the CloudTrail events the step's writes record there.

    An action's events are recorded in the region of its calls: the step's, or for a global
    service the region its control plane signs for (Route 53: us-east-1).
    """
    found: dict[str, dict[str, list[str]]] = {}
    for step in d.steps:
        action = registry.action_class(step.action)
        events = sorted(getattr(action, "events", frozenset()))
        if events:
            where = getattr(action, "events_region", None) or step.region or default_region
            found.setdefault(where, {})[step.id] = events
    return found


def require_snapshots(plan: Plan) -> None:
    """Backup and restore needs something to restore from."""
    snapshots = bool(plan.resources_of(EbsSnapshots))
    backups = any(e.method == "backup-copy" for e in plan.resources_of(Efs))
    if plan.strategy is Strategy.BACKUP_RESTORE and not (snapshots or backups):
        raise PlanError(
            "backup-restore restores data from snapshots, but the plan has no ebs-snapshots "
            "or efs resource with `method: backup-copy`",
            hint="add the snapshot copies to restore from, or choose pilot-light or warm-standby",
        )
