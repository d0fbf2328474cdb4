"""Read what a report needs about a run from the audit trail, probe files and CloudTrail."""

from __future__ import annotations

from datetime import timedelta

from drctl.audit.cloudtrail import TrailWindow, event_names_from_runbook, lookup_run_calls
from drctl.audit.log import AuditLog
from drctl.audit.review import list_actions
from drctl.clock import Clock, SystemClock
from drctl.plan.model import Plan
from drctl.providers.aws.clients import AwsClients
from drctl.report.evidence import ChainInfo, Evidence, TrailEntry
from drctl.report.gather import Inputs, build_evidence
from drctl.report.history import RunSource
from drctl.report.samples import probe_data
from drctl.runbook.run import Run
from drctl.settings import Settings

# CloudTrail's eventTime has one-second resolution; widen the window so edge calls are kept.
_WINDOW_SLACK = timedelta(minutes=1)


def load_evidence(
    runs: RunSource,
    run_id: str,
    *,
    settings: Settings,
    plan: Plan | None = None,
    cloudtrail: bool = True,
    clock: Clock | None = None,
) -> Evidence:
    """Everything known about `run_id`: the run, its audit events, samples and CloudTrail calls."""
    run = runs.status(run_id)
    log = AuditLog.from_settings(settings)
    try:
        inputs = audit_inputs(log, run, plan)
    finally:
        log.dispose()
    probes = probe_data(run, settings.home)
    trail, trail_errors = trail_entries(settings, run, plan) if cloudtrail else ([], [])
    inputs = Inputs(
        strategy=str(plan.strategy) if plan else None,
        targets=_targets(plan),
        events=inputs.events,
        open_actions=inputs.open_actions,
        availability=probes.availability,
        canary=probes.canary,
        trail_events=trail,
        trail_errors=trail_errors,
        chain=inputs.chain,
        warnings=probes.warnings,
    )
    return build_evidence(run, inputs, (clock or SystemClock()).now())


def audit_inputs(log: AuditLog, run: Run, plan: Plan | None) -> Inputs:
    """The run's audit events, the chain head, and the plan's open improvement actions."""
    events = list(log.events(run.id))
    head = log.head()
    last = events[-1] if events else None
    chain = ChainInfo(
        head_seq=head.seq,
        head_hash=head.hash,
        run_last_seq=last.seq if last else None,
        run_last_hash=last.hash if last else None,
        run_events=len(events),
    )
    plan_name = plan.metadata.name if plan else run.plan
    actions = list_actions(log, plan=plan_name, only_open=True) if plan_name else []
    return Inputs(events=events, open_actions=actions, chain=chain)


def trail_entries(
    settings: Settings, run: Run, plan: Plan | None
) -> tuple[list[TrailEntry], list[str]]:
    """CloudTrail events of the run's window for the calls its runbook names."""
    names, regions = event_names_from_runbook(run.runbook_yaml)
    if plan is not None:
        regions += [str(r) for r in (plan.regions.primary, plan.regions.secondary) if r]
    if not names or not regions or run.started_at is None:
        return [], []
    window = TrailWindow(
        start=run.started_at - _WINDOW_SLACK,
        end=(run.ended_at or run.started_at) + _WINDOW_SLACK,
        regions=sorted(set(regions)),
        event_names=names,
    )
    # A report is often written while a region is still out: bounded attempts and reads.
    clients = AwsClients(settings, max_attempts=3, connect_timeout=3.0, read_timeout=5.0)
    found = lookup_run_calls(clients, window)
    entries = [
        TrailEntry(
            time=str(e.get("EventTime", "")),
            name=str(e.get("EventName", "")),
            source=str(e.get("EventSource", "")),
            username=str(e.get("Username", "")),
            region=str(e.get("Region", "")),
            event_id=str(e.get("EventId", "")),
        )
        for e in found.events
    ]
    return entries, list(found.errors)


def _targets(plan: Plan | None) -> dict[str, timedelta]:
    if plan is None:
        return {}
    return {"rto": plan.objectives.rto, "rpo": plan.objectives.rpo}
