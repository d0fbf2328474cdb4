"""Why a step waits for each step it needs: the compiler's reason, the outputs it reads."""

from __future__ import annotations

from drctl.errors import RunbookError
from drctl.model import Frozen
from drctl.runbook.model import Runbook
from drctl.runbook.refs import references


class NeedReason(Frozen):
    """One need of a step and why it exists."""

    need: str
    title: str
    reason: str


def explain(runbook: Runbook, step_id: str) -> list[NeedReason]:
    """The needs of `step_id` in order, each with its reason."""
    ids = [s.id for s in runbook.steps]
    if step_id not in ids:
        raise RunbookError(
            f"runbook `{runbook.name}` has no step `{step_id}`",
            hint=f"its steps: {', '.join(ids)}",
        )
    step = runbook.step(step_id)
    read: dict[str, list[str]] = {}
    for need, key in references(step.params):
        read.setdefault(need, []).append(f"${{steps.{need}.{key}}}")
    return [
        NeedReason(
            need=n, title=runbook.step(n).title, reason=_reason(step.because.get(n), read.get(n))
        )
        for n in step.needs
    ]


def _reason(because: str | None, reads: list[str] | None) -> str:
    parts = [f"reads {', '.join(dict.fromkeys(reads))}"] if reads else []
    if because:
        parts.append(because)
    return "; ".join(parts) or "listed in `needs` (no reason recorded)"
