"""Gather a run's evidence inputs (run record, plan, runbook, CloudTrail) and write the bundle.

This is what `drctl audit export` and the engine's end-of-run export call; the pieces it
needs from other packages (the engine's `status`, the plan loader, the AWS client factory)
are looked up here so `export.py` stays a pure function of its inputs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, JsonValue

from drctl.audit.cloudtrail import (
    TrailEvidence,
    TrailWindow,
    down_regions,
    event_names_from_runbook,
    lookup_run_calls,
)
from drctl.audit.export import EvidenceInputs, Manifest, build_evidence
from drctl.audit.log import AuditLog
from drctl.errors import DrctlError, PlanError
from drctl.plan.load import load_plan
from drctl.plan.model import Plan
from drctl.providers.aws.clients import AwsClients
from drctl.settings import Settings

# CloudTrail's eventTime has one-second resolution; widen the window so edge calls are kept.
_WINDOW_SLACK = timedelta(minutes=1)


@dataclass(frozen=True)
class ExportRequest:
    """What the caller knows about the run beyond its id."""

    run_id: str
    actor: str
    plan_path: Path | None = None
    runbook_path: Path | None = None
    reports: list[Path] = field(default_factory=list)
    event_names: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    cloudtrail: bool = True


def export_run(settings: Settings, log: AuditLog, request: ExportRequest, out: Path) -> Manifest:
    """Collect everything known about the run and write its evidence zip to `out`."""
    record = run_record(request.run_id, settings)
    plan = load_plan(request.plan_path) if request.plan_path else None
    runbook_text = _read(request.runbook_path) if request.runbook_path else _runbook_of(record)
    trail = None
    if request.cloudtrail:
        scenario = (record or {}).get("scenario")
        trail = _cloudtrail(
            settings, log, request, plan, runbook_text or "", str(scenario) if scenario else None,
            journal=record is not None,
        )  # fmt: skip
    inputs = EvidenceInputs(
        run_id=request.run_id,
        actor=request.actor,
        run_record=record,
        plan_text=_read(request.plan_path) if request.plan_path else None,
        runbook_text=runbook_text,
        plan_name=plan.metadata.name if plan else _plan_of(record),
        reports=request.reports,
        cloudtrail=trail,
    )
    return build_evidence(log, inputs, out)


def run_record(run_id: str, settings: Settings) -> dict[str, JsonValue] | None:
    """The engine's record of the run (`drctl.engine.status`), or None if its journal lacks it."""
    engine = importlib.import_module("drctl.engine")  # imported late: it loads DBOS
    try:
        run: BaseModel = engine.status(run_id, settings=settings)
    except DrctlError:
        return None  # a run the audit log knows but this engine database does not
    dumped: dict[str, JsonValue] = run.model_dump(mode="json")
    return dumped


def _cloudtrail(
    settings: Settings,
    log: AuditLog,
    request: ExportRequest,
    plan: Plan | None,
    runbook: str,
    scenario: str | None,
    *,
    journal: bool,
) -> TrailEvidence | None:
    """The run's CloudTrail events; the lookups journaled with the run when `journal` (the
    engine database knows it) as `report:cloudtrail`."""
    names, regions = event_names_from_runbook(runbook)
    names = _merge(request.event_names, names)
    regions = _merge(request.regions, regions, _plan_regions(plan))
    times = [e.time for e in log.events(request.run_id)]
    if not names or not regions or not times:
        return None
    window = TrailWindow(
        start=min(times) - _WINDOW_SLACK,
        end=max(times) + _WINDOW_SLACK,
        regions=regions,
        event_names=names,
    )
    primary = str(plan.regions.primary) if plan is not None and plan.regions.primary else None
    clients = AwsClients(settings, roles=plan.aws.roles if plan is not None else ())
    down = down_regions(scenario, primary)
    if not journal:
        return lookup_run_calls(clients, window, down=down)
    outside = importlib.import_module("drctl.engine.outside")  # late, as in `run_record`
    with outside.journaled_calls(settings.state_database_url(), request.run_id, outside.CLOUDTRAIL):
        return lookup_run_calls(clients, window, down=down)


def _plan_regions(plan: Plan | None) -> list[str]:
    if plan is None:
        return []
    found = [plan.regions.primary, plan.regions.secondary, plan.regions.test]
    return [str(r) for r in found if r]


def _merge(*lists: list[str]) -> list[str]:
    merged: list[str] = []
    for values in lists:
        merged += [v for v in values if v not in merged]
    return merged


def _runbook_of(record: dict[str, JsonValue] | None) -> str | None:
    text = (record or {}).get("runbook_yaml")
    return text if isinstance(text, str) and text else None


def _plan_of(record: dict[str, JsonValue] | None) -> str | None:
    name = (record or {}).get("plan")
    return name if isinstance(name, str) else None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PlanError(f"cannot read {path}: {exc.strerror}", hint="check the path") from exc
