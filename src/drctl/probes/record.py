"""Store a run's probe samples beside its state and attach the measured RTO/RPO to the run.

Layout under `Settings.home / "runs" / RUN_ID`: `availability.jsonl` (one `Sample` per
line) with `availability.jsonl.result.json` (the `RtoResult`), and `canary.jsonl` (one
`Ack` per line) with `canary.jsonl.surviving.json` and `canary.jsonl.result.json`.
The report reads exactly these files, so the figures it shows are the stored ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from pydantic import BaseModel

from drctl import engine
from drctl.plan.durations import format_duration
from drctl.probes.measure import Ack, RpoResult, RtoResult, Sample, measure_rpo, measure_rto
from drctl.runbook.run import Measurement
from drctl.settings import Settings


def run_dir(settings: Settings, run_id: str) -> Path:
    """Where a run's probe files live."""
    path = (settings.home / "runs" / run_id).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def _write(path: Path, rows: Sequence[BaseModel], result: BaseModel) -> None:
    path.write_text("".join(row.model_dump_json() + "\n" for row in rows), encoding="utf-8")
    Path(f"{path}.result.json").write_text(result.model_dump_json(indent=2), encoding="utf-8")


def record_rto(
    run_id: str,
    samples: Sequence[Sample],
    failure_at: datetime,
    threshold: int,
    target: timedelta,
    settings: Settings,
    *,
    gaps: Sequence[tuple[datetime, datetime]] = (),
    recorder: engine.Engine | None = None,
    note: str = "",
) -> RtoResult:
    """Measure the RTO from availability samples, store them, and attach the result to the run.

    `recorder` publishes the measurement to its subscribers (the audit trail); without
    one it is only journaled.
    """
    result = measure_rto(samples, failure_at, threshold, gaps)
    path = run_dir(settings, run_id) / "availability.jsonl"
    _write(path, samples, result)
    detail = (
        f"recovered {format_duration(result.rto)} after the failure; {result.failed_samples} failed requests"
        if result.rto is not None
        else "the endpoint did not recover while probed"
    ) + (f"; flapped {result.flaps} time(s) after recovery" if result.flaps else "")
    detail += f"; {note}" if note else ""
    _record(
        recorder,
        settings,
        run_id,
        Measurement(
            name="rto",
            value=result.rto,
            target=target,
            passed=_within(result.rto, target),
            detail=detail,
            samples_ref=str(path),
        ),
    )
    return result


def record_rpo(
    run_id: str,
    acks: Sequence[Ack],
    surviving: set[int],
    failure_at: datetime,
    old_primary: str,
    target: timedelta,
    settings: Settings,
    *,
    recorder: engine.Engine | None = None,
) -> RpoResult:
    """Measure the RPO from the canary's acknowledgements and the survivors; store and attach it."""
    result = measure_rpo(acks, surviving, failure_at, old_primary)
    path = run_dir(settings, run_id) / "canary.jsonl"
    _write(path, acks, result)
    Path(f"{path}.surviving.json").write_text(json.dumps(sorted(surviving)), encoding="utf-8")
    detail = f"{len(result.lost)} acknowledged writes lost of {result.acknowledged} written to {old_primary}"
    _record(
        recorder,
        settings,
        run_id,
        Measurement(
            name="rpo",
            value=result.rpo,
            target=target,
            passed=_within(result.rpo, target),
            detail=detail,
            samples_ref=str(path),
        ),
    )
    return result


def _record(
    recorder: engine.Engine | None, settings: Settings, run_id: str, measurement: Measurement
) -> None:
    if recorder is not None:
        recorder.record_measurement(run_id, measurement)
    else:
        engine.record_measurement(run_id, measurement, settings=settings)


def _within(value: timedelta | None, target: timedelta) -> bool:
    return value is not None and value <= target
