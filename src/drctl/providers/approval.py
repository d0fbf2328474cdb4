"""`approval`: a gate step that does nothing but wait until enough people approve it.

Its gate is the step's `approval:` block, or one approver when the block is absent.
"""

from __future__ import annotations

from typing import ClassVar

from drctl.providers.base import ActionContext, Outcome, Output, Params


class ApprovalParams(Params):
    """What the approvers are asked to decide."""

    message: str = ""


class Approval:
    """Passes once the engine has recorded the approvals its gate requires."""

    kind: ClassVar[str] = "approval"
    Params: ClassVar[type[ApprovalParams]] = ApprovalParams
    events: ClassVar[frozenset[str]] = frozenset()
    requires_confirmation: ClassVar[bool] = True
    immediate: ClassVar[bool] = True

    def __init__(self, params: ApprovalParams, ctx: ActionContext) -> None:
        self.params = params
        self.ctx = ctx

    def describe(self) -> str:
        return (
            f"wait for approval: {self.params.message}"
            if self.params.message
            else "wait for approval"
        )

    def current(self) -> Output:
        return {}

    def apply(self) -> Outcome:
        decided = self.ctx.outputs.get(self.ctx.step_id, {})
        return Outcome(changed=False, detail="approved", output=dict(decided))

    def verify(self, deadline: float) -> Output:
        return {}
