"""Runbooks for people: a tree of waves (what runs in parallel), Mermaid for docs, dry-run plans.

A dry run walks the DAG calling only each action's `describe()`: nothing is read or changed.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import ValidationError
from rich.tree import Tree

from drctl.errors import DrctlError
from drctl.model import Frozen
from drctl.plan.durations import format_duration
from drctl.providers import registry
from drctl.providers.base import ActionContext
from drctl.runbook.model import Runbook, Step
from drctl.runbook.refs import references
from drctl.settings import Settings


class PlannedStep(Frozen):
    """One step of a dry run: what it would do."""

    id: str
    title: str
    action: str
    would: str
    needs: list[str]
    estimate: timedelta
    approval: str = ""


class PlannedWave(Frozen):
    """Steps that would run in parallel, and how long the wave is expected to take."""

    number: int
    steps: list[PlannedStep]
    estimate: timedelta


class DryRun(Frozen):
    """The whole dry run: waves and the critical-path estimate."""

    runbook: str
    waves: list[PlannedWave]
    total: timedelta


def dry_run(runbook: Runbook, settings: Settings | None = None) -> DryRun:
    """Describe every step, wave by wave, without touching anything."""
    waves = [
        PlannedWave(
            number=n,
            steps=[_planned(step, settings or Settings()) for step in wave],
            estimate=max(s.estimate for s in wave),
        )
        for n, wave in enumerate(runbook.waves(), start=1)
    ]
    return DryRun(runbook=runbook.name, waves=waves, total=runbook.estimate())


def _planned(step: Step, settings: Settings) -> PlannedStep:
    return PlannedStep(
        id=step.id,
        title=step.title,
        action=step.action,
        would=describe(step, settings),
        needs=list(step.needs),
        estimate=step.estimate,
        approval=_approval_text(step),
    )


def describe(step: Step, settings: Settings) -> str:
    """The action's own one-line description; references to earlier outputs stay as written."""
    ctx = ActionContext(step_id=step.id, settings=settings, dry_run=True)
    try:
        return registry.create(step.action, step.params, ctx).describe()
    except (ValidationError, DrctlError):
        if any(True for _ in references(step.params)):
            return f"{step.action} with values from earlier steps"
        raise


def _approval_text(step: Step) -> str:
    gate = step.approval
    if gate is None:
        return ""
    who = f" from {', '.join(gate.approvers)}" if gate.approvers else ""
    return f"needs {gate.required} approval{'s' * (gate.required > 1)}{who}"


def waves_tree(runbook: Runbook) -> Tree:
    """A rich tree: runbook → waves → steps (with needs, gates and estimates)."""
    tree = Tree(
        f"[bold]{runbook.name}[/bold] ({runbook.scenario}, ~{format_duration(runbook.estimate())})"
    )
    for n, wave in enumerate(runbook.waves(), start=1):
        parallel = " in parallel" if len(wave) > 1 else ""
        branch = tree.add(f"wave {n}: {len(wave)} step{'s' * (len(wave) > 1)}{parallel}")
        for step in wave:
            extras = [f"needs {', '.join(step.needs)}"] if step.needs else []
            gate = _approval_text(step)
            extras += [gate] if gate else []
            extra = f" [dim]({'; '.join(extras)})[/dim]" if extras else ""
            branch.add(f"[cyan]{step.id}[/cyan] {step.title} [dim]<{step.action}>[/dim]{extra}")
    return tree


def mermaid(runbook: Runbook) -> str:
    """A Mermaid flowchart of the DAG; gated steps are drawn as hexagons."""
    lines = ["flowchart TD"]
    for step in runbook.steps:
        label = step.title.replace('"', "'")
        shape = f'{{{{"{label}"}}}}' if step.approval else f'["{label}"]'
        lines.append(f"    {_node(step.id)}{shape}")
    for step in runbook.steps:
        lines.extend(f"    {_node(need)} --> {_node(step.id)}" for need in step.needs)
    return "\n".join(lines) + "\n"


def _node(step_id: str) -> str:
    return step_id.replace(".", "_").replace("-", "_")
