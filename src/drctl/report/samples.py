"""Probe samples stored beside a run: availability `Sample`s and canary `Ack`s as JSONL files.

The file is named by the measurement's `samples_ref`. Beside it, `<ref>.surviving.json`
(a JSON list of sequence numbers found on the new primary) and `<ref>.result.json` (the
`RtoResult`/`RpoResult` the measurement came from, giving the failure instant) are read
when present.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from drctl.errors import PlanError
from drctl.probes.measure import Ack, RpoResult, RtoResult, Sample
from drctl.report.evidence import AvailabilityEvidence, CanaryEvidence
from drctl.runbook.run import Measurement, Run

M = TypeVar("M", bound=BaseModel)


@dataclass
class ProbeData:
    """Availability and canary series of a run, and what could not be read."""

    availability: AvailabilityEvidence = field(default_factory=AvailabilityEvidence)
    canary: CanaryEvidence = field(default_factory=CanaryEvidence)
    warnings: list[str] = field(default_factory=list)


def probe_data(run: Run, root: Path | None = None) -> ProbeData:
    """Read the samples the run's rto and rpo measurements point at."""
    found = ProbeData()
    stored = {m.name: m for m in run.measurements}
    rto, rpo = stored.get("rto"), stored.get("rpo")
    if rto and rto.samples_ref:
        found.availability = _availability(rto, _path(rto.samples_ref, root), found.warnings)
    if rpo and rpo.samples_ref:
        fallback = found.availability.failure_at
        found.canary = _canary(_path(rpo.samples_ref, root), fallback, found.warnings)
    return found


def _availability(m: Measurement, path: Path, warnings: list[str]) -> AvailabilityEvidence:
    samples = read_jsonl(path, Sample, warnings)
    result = _sibling_model(path, ".result.json", RtoResult, warnings)
    failure_at = result.failure_at if result else _first_failure(samples)
    # The recovery instant is drawn from the stored RTO so the chart never disagrees with it.
    recovered_at = failure_at + m.value if failure_at and m.value is not None else None
    return AvailabilityEvidence(samples=samples, failure_at=failure_at, recovered_at=recovered_at)


def _canary(path: Path, fallback_failure: datetime | None, warnings: list[str]) -> CanaryEvidence:
    acks = read_jsonl(path, Ack, warnings)
    result = _sibling_model(path, ".result.json", RpoResult, warnings)
    surviving = _surviving(path, warnings)
    if result is not None:
        lost, newest = result.lost, result.newest_surviving_seq
    elif surviving is not None:
        lost = sorted(a.seq for a in acks if a.seq not in surviving)
        newest = max((a.seq for a in acks if a.seq in surviving), default=None)
    else:
        lost, newest = [], None
    return CanaryEvidence(
        acks=acks,
        lost=lost,
        surviving_known=result is not None or surviving is not None,
        newest_surviving_seq=newest,
        failure_at=result.failure_at if result else fallback_failure,
    )


def read_jsonl(path: Path, model: type[M], warnings: list[str]) -> list[M]:
    """One model per line; a missing file is a warning, a malformed line an error naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        warnings.append(f"samples file {path} could not be read: {exc.strerror}")
        return []
    found: list[M] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            found.append(model.model_validate_json(line))
        except ValidationError as exc:
            raise PlanError(
                f"not a {model.__name__} record: {exc.errors()[0]['msg']}",
                where=f"{path}:{number}",
                hint="samples files hold one JSON object per line, as the probes wrote them",
            ) from exc
    return found


def _sibling_model(path: Path, suffix: str, model: type[M], warnings: list[str]) -> M | None:
    sibling = path.with_name(path.name + suffix)
    if not sibling.exists():
        return None
    try:
        return model.model_validate_json(sibling.read_text(encoding="utf-8"))
    except (OSError, ValidationError) as exc:
        warnings.append(f"{sibling} ignored: {exc}")
        return None


def _surviving(path: Path, warnings: list[str]) -> set[int] | None:
    sibling = path.with_name(path.name + ".surviving.json")
    if not sibling.exists():
        return None
    try:
        values = json.loads(sibling.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        warnings.append(f"{sibling} ignored: {exc}")
        return None
    if not isinstance(values, list) or not all(isinstance(v, int) for v in values):
        warnings.append(f"{sibling} ignored: expected a JSON list of sequence numbers")
        return None
    return set(values)


def _first_failure(samples: list[Sample]) -> datetime | None:
    return next((s.time for s in sorted(samples, key=lambda s: s.time) if not s.ok), None)


def _path(ref: str, root: Path | None) -> Path:
    path = Path(ref)
    if path.is_absolute() or root is None or path.exists():
        return path
    return root / path
