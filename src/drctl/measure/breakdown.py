"""Where the RTO went: detection, decision, data promotion, compute, apps, traffic switch, DNS/TTL.

The critical path to recovery is walked back from the step that ended last before the
service recovered, each time through the dependency that ended last; each step on it is
charged from when it could start to its end. Before the run: detection (failure until
the run started); after the last step: DNS/TTL (clients still sent to the old answer).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from drctl.measure.record import Phase
from drctl.runbook.model import Runbook
from drctl.runbook.run import Run, StepRun

PHASES = ("detection", "decision", "data promotion", "compute", "apps", "traffic switch",
          "verification", "DNS/TTL")  # fmt: skip
_BY_PREFIX = (
    ("aws.route53.health", "detection"),
    ("approval", "decision"),
    ("manual", "decision"),
    ("aws.route53", "traffic switch"),
    ("aws.eks", "compute"),
    ("argocd", "apps"),
    ("flux", "apps"),
    ("k8s", "apps"),
    ("aws.cloudtrail", "verification"),
    ("http", "verification"),
    ("aws.", "data promotion"),
    ("postgres", "data promotion"),
)


def phase_of(action: str) -> str:
    """The RTO phase an action kind belongs to."""
    return next(
        (phase for prefix, phase in _BY_PREFIX if action.startswith(prefix)), "verification"
    )


def rto_breakdown(
    run: Run, runbook: Runbook, failure_at: datetime, recovered_at: datetime
) -> list[Phase]:
    """The RTO split into phases, each naming its critical-path steps, in the order of `PHASES`."""
    seconds: dict[str, float] = defaultdict(float)
    steps: dict[str, list[str]] = defaultdict(list)
    start = run.started_at or failure_at
    seconds["detection"] += max(0.0, (min(start, recovered_at) - failure_at).total_seconds())
    ended = {s.id: s for s in run.steps if s.ended_at is not None and s.ended_at <= recovered_at}
    last = max(ended.values(), key=_end, default=None)
    tail_from = start
    if last is not None:
        tail_from = _end(last)
        for step, since in reversed(_critical_path(last, ended, runbook, start)):
            phase = phase_of(runbook.step(step.id).action)
            seconds[phase] += max(0.0, (_end(step) - since).total_seconds())
            steps[phase].append(step.id)
    seconds["DNS/TTL"] += max(0.0, (recovered_at - max(tail_from, failure_at)).total_seconds())
    return [
        Phase(name=p, seconds=round(seconds[p], 3), steps=steps[p]) for p in PHASES if p in seconds
    ]


def _critical_path(
    last: StepRun, ended: dict[str, StepRun], runbook: Runbook, start: datetime
) -> list[tuple[StepRun, datetime]]:
    """From `last` back to the run's start: each step and when its slowest dependency ended."""
    path: list[tuple[StepRun, datetime]] = []
    current: StepRun | None = last
    while current is not None:
        needs = [ended[n] for n in runbook.step(current.id).needs if n in ended]
        before = max(needs, key=_end, default=None)
        path.append((current, _end(before) if before else start))
        current = before
    return path


def _end(step: StepRun) -> datetime:
    assert step.ended_at is not None
    return step.ended_at
