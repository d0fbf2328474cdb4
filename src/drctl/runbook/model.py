"""`Runbook` and `Step`: a runbook is data that can be printed, diffed, edited and run.

Steps form a DAG through `needs`; `waves()` groups them into sets that may run in
parallel. Cycles, unknown `needs` and duplicate ids are rejected when the model is
built, before anything runs.
"""

from __future__ import annotations

import graphlib
from collections import Counter
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, JsonValue, model_validator

from drctl.model import Strict
from drctl.plan.durations import Duration

_INDEX = "steps_index"
StepId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]*$", max_length=80)]


class RetryPolicy(Strict):
    """How often a failed step is tried again, with exponential backoff and jitter."""

    attempts: int = Field(default=1, ge=1, le=20)
    backoff: Duration = timedelta(seconds=2)
    max_backoff: Duration = timedelta(seconds=60)
    jitter: float = Field(default=0.2, ge=0, le=1)

    def delay(self, attempt: int, unit_random: float) -> timedelta:
        """The wait before try `attempt + 1` (attempt counts from 1); `unit_random` in [0, 1)."""
        base: timedelta = min(self.backoff * (2 ** (attempt - 1)), self.max_backoff)
        return base * (1 - self.jitter + 2 * self.jitter * unit_random)


class ApprovalGate(Strict):
    """Before the step runs, `required` distinct people (from `approvers`, if named) approve."""

    required: int = Field(default=1, ge=1, le=10)
    approvers: list[str] = []
    reason: str = ""


class Step(Strict):
    """One idempotent action in a runbook."""

    id: StepId
    title: str
    action: str
    params: dict[str, JsonValue] = {}
    needs: list[StepId] = []
    because: dict[StepId, str] = {}
    """Why a need exists, by its id (the compiler says; `drctl runbook explain` shows it)."""
    timeout: Duration = timedelta(minutes=10)
    retry: RetryPolicy = RetryPolicy()
    approval: ApprovalGate | None = None
    on_failure: Literal["stop", "continue"] = "stop"
    always: bool = False  # run even when a step it needs failed or was skipped (clean-up)
    estimate: Duration = timedelta(minutes=1)
    region: str | None = None
    resource: str | None = None


class Runbook(Strict):
    """A named DAG of steps for one scenario."""

    api_version: Literal["drctl/v1"] = Field(default="drctl/v1", alias="apiVersion")
    kind: Literal["Runbook"] = "Runbook"
    name: str = Field(min_length=1)
    scenario: str = "custom"
    plan: str | None = None
    description: str = ""
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _valid_dag(self) -> Runbook:
        counts = Counter(s.id for s in self.steps)
        dupes = sorted(i for i, n in counts.items() if n > 1)
        if dupes:
            raise ValueError(f"duplicate step ids: {', '.join(dupes)}")
        for step in self.steps:
            unknown = [n for n in step.needs if n not in counts]
            if unknown:
                raise ValueError(f"step `{step.id}` needs unknown step(s): {', '.join(unknown)}")
            stray = [n for n in step.because if n not in step.needs]
            if stray:
                raise ValueError(f"step `{step.id}` explains needs it lacks: {', '.join(stray)}")
        try:
            self.sorter().prepare()
        except graphlib.CycleError as exc:
            raise ValueError(f"steps form a cycle: {' -> '.join(exc.args[1])}") from None
        return self

    def step(self, step_id: str) -> Step:
        """The step with id `step_id` (`KeyError` if there is none)."""
        return self._indexed()[1][step_id]

    def _indexed(self) -> tuple[list[Step], dict[str, Step], dict[str, int]]:
        """Steps by id and their positions, built once per list of steps.

        Kept in the instance `__dict__` as a cached property would be (pydantic's equality
        and dumps see fields only); a copy with other steps builds its own.
        """
        index: tuple[list[Step], dict[str, Step], dict[str, int]] | None
        index = self.__dict__.get(_INDEX)
        if index is None or index[0] is not self.steps:
            by_id = {s.id: s for s in self.steps}
            index = (self.steps, by_id, {s.id: i for i, s in enumerate(self.steps)})
            self.__dict__[_INDEX] = index
        return index

    def sorter(self) -> graphlib.TopologicalSorter[str]:
        """A fresh topological sorter over the step ids (drives parallel execution)."""
        return graphlib.TopologicalSorter({s.id: s.needs for s in self.steps})

    def waves(self) -> list[list[Step]]:
        """Steps grouped into waves: every step of a wave can run once earlier waves are done."""
        sorter = self.sorter()
        sorter.prepare()
        waves: list[list[Step]] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready(), key=self._indexed()[2].__getitem__)
            waves.append([self.step(i) for i in ready])
            sorter.done(*ready)
        return waves

    def estimate(self) -> timedelta:
        """Critical-path duration from step estimates (parallel branches overlap)."""
        finish: dict[str, timedelta] = {}
        for wave in self.waves():
            for step in wave:
                start = max((finish[n] for n in step.needs), default=timedelta(0))
                finish[step.id] = start + step.estimate
        return max(finish.values(), default=timedelta(0))

    def remaining(self) -> dict[str, timedelta]:
        """Per step, the longest chain of estimates from its start to the end of the runbook.

        The engine starts ready steps in decreasing order of it (critical path first).
        """
        after: dict[str, list[str]] = {s.id: [] for s in self.steps}
        for step in self.steps:
            for need in step.needs:
                after[need].append(step.id)
        by_id = self._indexed()[1]
        longest: dict[str, timedelta] = {}
        for step_id in reversed(list(self.sorter().static_order())):  # dependants first
            tail = max((longest[d] for d in after[step_id]), default=timedelta(0))
            longest[step_id] = by_id[step_id].estimate + tail
        return longest
