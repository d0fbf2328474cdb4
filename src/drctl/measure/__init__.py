"""Measuring as a stage of every run: probes beside the runbook, RTO and RPO recorded on the run."""

from __future__ import annotations

from typing import TYPE_CHECKING

from drctl.measure.injector import Injection, Injector
from drctl.measure.probes import ProbeHooks
from drctl.measure.record import Measured, MeasureState
from drctl.measure.run import MeasuredRun

if TYPE_CHECKING:
    from drctl.engine import Engine

__all__ = [
    "Injection",
    "Injector",
    "MeasureState",
    "Measured",
    "MeasuredRun",
    "ProbeHooks",
    "measured_of",
]


def measured_of(engine: Engine, run_id: str) -> Measured | None:
    """The measured RTO/RPO summary of a run, or None when the run was not measured (yet)."""
    from drctl.measure.store import MeasureStore

    state = MeasureStore(engine.journal.engine).state(run_id)
    return state.measured if state is not None else None
