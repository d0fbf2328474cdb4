"""`Draft`: accumulates the steps of a runbook being compiled, stage by stage.

Compiling is ordering by dependency: each stage of a scenario (detect, declare, data,
compute, apps, traffic, verify, ...) needs the stages before it. A stage that turns
out empty is skipped and its dependants hang on the stage before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from drctl.runbook.model import ApprovalGate, RetryPolicy, Step

RETRY_AWS = RetryPolicy(attempts=3, backoff=timedelta(seconds=5), max_backoff=timedelta(seconds=60))
HUMAN_ACTIONS = frozenset({"approval", "manual"})


@dataclass
class Draft:
    """Steps in the making; `stage()` opens a named group that later steps can depend on."""

    steps: list[Step] = field(default_factory=list)
    stages: dict[str, list[str]] = field(default_factory=dict)
    _order: list[str] = field(default_factory=list)
    _current: str = "start"

    def stage(self, name: str) -> None:
        """Start a stage; steps added now belong to it."""
        self._current = name
        self.stages.setdefault(name, [])
        if name not in self._order:
            self._order.append(name)

    def after(self, *stages: str) -> list[str]:
        """Ids of the named stages' steps; for an empty stage, the steps of the stage before it."""
        needs: list[str] = []
        for name in stages:
            needs += self._resolve(name)
        return list(dict.fromkeys(needs))

    def _resolve(self, name: str) -> list[str]:
        if name in self._order:
            index = self._order.index(name)
        else:  # a stage this plan does not have: hang on the stages before the current one
            index = self._order.index(self._current) - 1 if self._current in self._order else -1
        for earlier in reversed(self._order[: index + 1]):
            if self.stages.get(earlier):
                return self.stages[earlier]
        return []

    def add(
        self,
        id: str,
        title: str,
        action: str,
        params: dict[str, Any],
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
        """Add a step to the current stage and return its id."""
        step = Step.model_validate(
            {
                "id": id,
                "title": title,
                "action": action,
                "params": params,
                "needs": needs,
                "estimate": estimate,
                "timeout": timeout or max(estimate * 3, timedelta(minutes=5)),
                "region": region,
                "resource": resource,
                "approval": approval,
                "retry": retry or (RetryPolicy() if action in HUMAN_ACTIONS else RETRY_AWS),
                "on_failure": on_failure,
                "always": always,
            }
        )
        self.steps.append(step)
        self.stages.setdefault(self._current, []).append(step.id)
        return step.id
