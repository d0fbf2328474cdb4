"""`manual`: a person does something outside drctl and confirms it with a note.

The confirmation is an approval of the step (`drctl approve RUN STEP --as NAME --comment NOTE`),
so it is durable, attributed and lands in the audit trail like any approval.
"""

from __future__ import annotations

from typing import ClassVar

from drctl.providers.base import ActionContext, Outcome, Output, Params


class ManualParams(Params):
    """What the person must do."""

    instructions: str


class Manual:
    """Passes once someone confirmed the instructions were carried out."""

    kind: ClassVar[str] = "manual"
    Params: ClassVar[type[ManualParams]] = ManualParams
    events: ClassVar[frozenset[str]] = frozenset()
    requires_confirmation: ClassVar[bool] = True

    def __init__(self, params: ManualParams, ctx: ActionContext) -> None:
        self.params = params
        self.ctx = ctx

    def describe(self) -> str:
        return f"a person does: {self.params.instructions} (then confirms with `drctl approve`)"

    def current(self) -> Output:
        return {}

    def apply(self) -> Outcome:
        confirmed = self.ctx.outputs.get(self.ctx.step_id, {})
        who = confirmed.get("approved_by")
        detail = (
            f"confirmed by {', '.join(map(str, who))}"
            if isinstance(who, list) and who
            else "confirmed"
        )
        return Outcome(changed=True, detail=detail, output=dict(confirmed))

    def verify(self, deadline: float) -> Output:
        return {}
