"""`noop`: a marker step (a milestone in the DAG) that changes nothing."""

from __future__ import annotations

from typing import ClassVar

from drctl.providers.base import ActionContext, Outcome, Output, Params


class NoopParams(Params):
    """An optional note shown in dry-runs."""

    note: str = ""


class Noop:
    """Does nothing; useful to join branches and to measure engine overhead."""

    kind: ClassVar[str] = "noop"
    Params: ClassVar[type[NoopParams]] = NoopParams
    events: ClassVar[frozenset[str]] = frozenset()
    immediate: ClassVar[bool] = True

    def __init__(self, params: NoopParams, ctx: ActionContext) -> None:
        self.params = params
        self.ctx = ctx

    def describe(self) -> str:
        return f"nothing ({self.params.note})" if self.params.note else "nothing (marker step)"

    def current(self) -> Output:
        return {}

    def apply(self) -> Outcome:
        return Outcome(changed=False)

    def verify(self, deadline: float) -> Output:
        return {}
