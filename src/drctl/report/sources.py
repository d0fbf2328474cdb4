"""Read what a report needs about a run from the audit trail, probe files and CloudTrail."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from pydantic import JsonValue

from drctl.audit.cloudtrail import (
    TrailWindow,
    down_regions,
    event_names_from_runbook,
    lookup_run_calls,
)
from drctl.audit.log import AuditLog
from drctl.audit.review import list_actions
from drctl.clock import Clock, SystemClock
from drctl.engine.journal import Journal
from drctl.engine.outside import CLOUDTRAIL, journaled_calls
from drctl.measure.record import Measured
from drctl.measure.store import MeasureStore
from drctl.plan.model import Plan
from drctl.providers.aws.clients import AwsClients
from drctl.report.evidence import ChainInfo, Evidence, TrailEntry
from drctl.report.gather import Inputs, build_evidence
from drctl.report.history import RunSource
from drctl.report.samples import probe_data
from drctl.runbook.run import Run, WriteIntent
from drctl.settings import Settings

# CloudTrail's eventTime has one-second resolution; widen the window so edge calls are kept.
_WINDOW_SLACK = timedelta(minutes=1)
# Global services record their events in us-east-1 (where boto3 signs their requests).
_GLOBAL_SERVICES = frozenset({"route53", "iam", "cloudfront", "organizations"})


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
    trail, trail_errors = stored_trail(settings, run.id), list[str]()
    if not trail and cloudtrail:
        trail, trail_errors = trail_entries(settings, run, plan)
        if trail:  # captured once into the run's store: later reports render from it alone
            store_trail(settings, run.id, trail)
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
        measured=measured_of_run(settings, run.id),
    )
    return build_evidence(run, inputs, (clock or SystemClock()).now())


def measured_of_run(settings: Settings, run_id: str) -> Measured | None:
    """What measuring the run recorded (failure source, breakdown, probes beside), if it was."""
    engine = sa.create_engine(settings.state_database_url())
    try:
        state = MeasureStore(engine).state(run_id)
    finally:
        engine.dispose()
    return state.measured if state is not None else None


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
    """CloudTrail events of the run's window for the calls its runbook names.

    The lookups are journaled with the run (`report:cloudtrail`, one attempt per lookup);
    none is made for a plan with `audit.cloudtrail_lookup: false`.
    """
    if plan is not None and not plan.audit.cloudtrail_lookup:
        return [], []
    names, regions = event_names_from_runbook(run.runbook_yaml)
    for intent in run.intents:  # every write drctl made, in the region it was made in
        names += [intent.operation] if intent.operation not in names else []
        region = "us-east-1" if intent.service in _GLOBAL_SERVICES else intent.region
        regions += [region] if region and region not in regions else []
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
    primary = str(plan.regions.primary) if plan is not None and plan.regions.primary else None
    down = down_regions(run.scenario, primary)
    # A report is often written while a region is still out: bounded attempts and reads.
    roles = plan.aws.roles if plan is not None else ()
    clients = AwsClients(
        settings, roles=roles, max_attempts=3, connect_timeout=3.0, read_timeout=5.0
    )
    with journaled_calls(settings.state_database_url(), run.id, CLOUDTRAIL):
        found = lookup_run_calls(clients, window, down=down)
    entries = [_attributed(e, run.intents) for e in found.events]
    return entries, list(found.errors)


def _attributed(event: dict[str, JsonValue], intents: Sequence[WriteIntent]) -> TrailEntry:
    """A CloudTrail event, attributed to the step whose journaled write it records."""
    name = str(event.get("EventName", ""))
    detail = event.get("CloudTrailEvent")
    detail = detail if isinstance(detail, dict) else {}
    request_id = str(detail.get("requestID", ""))
    params = json.dumps(detail.get("requestParameters") or {}, default=str)
    step, how = None, ""
    for intent in (i for i in intents if i.operation == name):
        if request_id and intent.request_id == request_id:
            step, how = intent.step_id, "request-id"
            break
        values = [v.split("=", 1)[1] for v in intent.resource.split(", ") if "=" in v]
        if step is None and values and all(f'"{v}"' in params for v in values[:1]):
            step, how = intent.step_id, "resource"
    return TrailEntry(
        time=str(event.get("EventTime", "")),
        name=name,
        source=str(event.get("EventSource", "")),
        username=str(event.get("Username", "")),
        region=str(event.get("Region", "")),
        event_id=str(event.get("EventId", "")),
        step_id=step,
        attributed_by=how,
    )


def stored_trail(settings: Settings, run_id: str) -> list[TrailEntry]:
    """The CloudTrail events captured into the run's store, oldest first."""
    journal = Journal(settings.state_database_url())
    try:
        found = [
            TrailEntry.model_validate_json(b) for _, b in journal.records_of(run_id, "cloudtrail")
        ]
    finally:
        journal.close()
    return sorted(found, key=lambda e: (e.time, e.event_id))


def store_trail(settings: Settings, run_id: str, entries: Sequence[TrailEntry]) -> None:
    """Capture CloudTrail events into the run's store (each event once)."""
    journal = Journal(settings.state_database_url())
    try:
        for e in entries:
            when = _moment(e.time)
            journal.put_record(
                run_id, f"cloudtrail:{e.event_id}", "cloudtrail", e.model_dump_json(), when
            )
    finally:
        journal.close()


def _targets(plan: Plan | None) -> dict[str, timedelta]:
    if plan is None:
        return {}
    return {"rto": plan.objectives.rto, "rpo": plan.objectives.rpo}


def _moment(text: str) -> datetime:
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        return datetime.now(UTC)
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def capture_trail(
    settings: Settings,
    run: Run,
    *,
    plan: Plan | None = None,
    clock: Clock | None = None,
    poll_seconds: float = 10.0,
) -> list[str]:
    """Capture the CloudTrail events of a finished run's writes into its store.

    Waits at most `settings.cloudtrail_wait` seconds for an event per journaled write;
    returns what went wrong (nothing stored yet: the first report tries again).
    """
    clock = clock or SystemClock()
    if not run.intents or stored_trail(settings, run.id):
        return []
    end = clock.monotonic() + settings.cloudtrail_wait
    while True:
        entries, errors = trail_entries(settings, run, plan)
        if entries and {e.name for e in entries} >= {i.operation for i in run.intents}:
            store_trail(settings, run.id, entries)
            return errors
        if clock.monotonic() + poll_seconds > end:
            if entries:
                store_trail(settings, run.id, entries)
            return errors or (
                [] if entries else ["CloudTrail had no events of this run's writes yet"]
            )
        clock.sleep(poll_seconds)
