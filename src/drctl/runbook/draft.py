"""`Draft`: accumulates the steps of a runbook being compiled, stage by stage.

Compiling is ordering by dependency: each stage of a scenario (detect, declare, data,
compute, apps, traffic, verify, ...) needs the stages before it. A stage that turns
out empty is skipped and its dependants hang on the stage before it.

Steps are typed: `add()` takes the action class and an instance of its `Params`, so a
misspelt parameter is a mypy error in the compiler, not a failed run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar, Protocol

from drctl.plan.model import Plan
from drctl.providers import registry
from drctl.providers.base import Params
from drctl.runbook.model import ApprovalGate, RetryPolicy, Step

STAGE_REASONS = {
    "detect": "health is read before anything changes",
    "preflight": "the checks before the drill pass first",
    "declare": "nothing fails over before people declare the disaster",
    "approve-data": "people approve promoting the data tier first",
    "data": "the data tier is writable in the target region first",
    "compute": "the clusters can serve in the target region first",
    "apps": "the applications are deployed and ready first",
    "approve-traffic": "people approve switching traffic first",
    "traffic": "traffic is switched first",
    "verify": "the endpoints answer first",
    "evidence": "the evidence is captured first",
}


class Needs(list[str]):
    """Step ids a step depends on, each with the reason it does (`Step.because`).

    A plain list works wherever needs are expected; adding two `Needs` keeps both reasons.
    """

    def __init__(self, ids: Iterable[str] = (), reasons: Mapping[str, str] | None = None) -> None:
        super().__init__(dict.fromkeys(ids))
        self.reasons = {i: r for i, r in (reasons or {}).items() if i in self}

    def __add__(self, other: list[str]) -> Needs:  # type: ignore[override]
        theirs = other.reasons if isinstance(other, Needs) else {}
        return Needs([*self, *other], {**theirs, **self.reasons})


def needs_of(ids: Iterable[str], because: str) -> Needs:
    """`ids`, each needed for the same reason."""
    listed = list(ids)
    return Needs(listed, dict.fromkeys(listed, because))


RETRY_AWS = RetryPolicy(attempts=3, backoff=timedelta(seconds=5), max_backoff=timedelta(seconds=60))
HUMAN_ACTIONS = frozenset({"approval", "manual"})


class StepAction(Protocol):
    """What the compiler needs of an action class: its kind and the events its writes record."""

    kind: ClassVar[str]
    events: ClassVar[frozenset[str]]


@dataclass
class Draft:
    """Steps in the making for `plan`; `stage()` opens a named group later steps can depend on."""

    plan: Plan
    steps: list[Step] = field(default_factory=list)
    stages: dict[str, list[str]] = field(default_factory=dict)
    _order: list[str] = field(default_factory=list)
    _current: str = "start"
    _events: list[str] = field(default_factory=list)

    def stage(self, name: str) -> None:
        """Start a stage; steps added now belong to it."""
        self._current = name
        self.stages.setdefault(name, [])
        if name not in self._order:
            self._order.append(name)

    def after(self, *stages: str, because: str = "") -> Needs:
        """Ids of the named stages' steps; for an empty stage, the steps of the stage before it.

        Each id carries `because`, or the reason of the stage it was found in.
        """
        found = Needs()
        for name in stages:
            stage, ids = self._resolve(name)
            found = found + needs_of(ids, because or STAGE_REASONS.get(stage, f"stage `{stage}`"))
        return found

    def _resolve(self, name: str) -> tuple[str, list[str]]:
        if name in self._order:
            index = self._order.index(name)
        else:  # a stage this plan does not have: hang on the stages before the current one
            index = self._order.index(self._current) - 1 if self._current in self._order else -1
        for earlier in reversed(self._order[: index + 1]):
            if self.stages.get(earlier):
                return earlier, self.stages[earlier]
        return name, []

    def _reasons(self, ids: list[str], resource: str | None) -> dict[str, str]:
        known = ids.reasons if isinstance(ids, Needs) else {}
        mine = {s.id for s in self.steps if resource is not None and s.resource == resource}
        return {
            i: known.get(i)
            or (f"the previous step of {resource}" if i in mine else "ordered first")
            for i in ids
        }

    def events(self) -> list[str]:
        """The CloudTrail event names the steps so far may record, in step order."""
        return list(self._events)

    def add(
        self,
        id: str,
        title: str,
        action: type[StepAction],
        params: Params,
        *,
        needs: list[str],
        estimate: timedelta,
        timeout: timedelta | None = None,
        region: str | None = None,
        resource: str | None = None,
        approval: ApprovalGate | None = None,
        retry: RetryPolicy | None = None,
        on_failure: str = "stop",
        always: bool = False,
    ) -> str:
        """Add a step running `action` with `params` to the current stage; return its id."""
        expected = registry.action_class(action.kind).Params
        if not isinstance(params, expected):
            raise TypeError(f"{action.kind} takes {expected.__name__}, not {type(params).__name__}")
        step = Step.model_validate(
            {
                "id": id,
                "title": title,
                "action": action.kind,
                "params": params.model_dump(mode="json", exclude_unset=True),
                "needs": needs,
                "because": self._reasons(needs, resource),
                "estimate": estimate,
                "timeout": timeout or max(estimate * 3, timedelta(minutes=5)),
                "region": region,
                "resource": resource,
                "approval": approval,
                "retry": retry or (RetryPolicy() if action.kind in HUMAN_ACTIONS else RETRY_AWS),
                "on_failure": on_failure,
                "always": always,
            }
        )
        self.steps.append(step)
        self.stages.setdefault(self._current, []).append(step.id)
        self._events += [e for e in sorted(action.events) if e not in self._events]
        return step.id
