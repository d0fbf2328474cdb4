"""`wait`: pause for a duration, or until an HTTP or shell condition holds (polled)."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from pydantic import model_validator

from drctl.errors import ProviderError
from drctl.plan.durations import Duration
from drctl.providers.base import ActionContext, Outcome, Output, Params, StepTimeout
from drctl.providers.http import HttpParams, problem, request
from drctl.providers.shell import Shell, ShellParams, command_text
from drctl.providers.stop import pause


class UntilCondition(Params):
    """Exactly one condition: an HTTP check or a shell command that must exit 0."""

    http: HttpParams | None = None
    shell: str | list[str] | None = None

    @model_validator(mode="after")
    def _one(self) -> UntilCondition:
        if (self.http is None) == (self.shell is None):
            raise ValueError("give exactly one of `http` or `shell`")
        return self


class WaitParams(Params):
    """`duration` to sleep, or `until` a condition holds, polling every `poll`."""

    duration: Duration | None = None
    until: UntilCondition | None = None
    poll: Duration = timedelta(seconds=2)

    @model_validator(mode="after")
    def _one(self) -> WaitParams:
        if (self.duration is None) == (self.until is None):
            raise ValueError("give exactly one of `duration` or `until`")
        return self


class Wait:
    """Waits; with `until`, the step's timeout bounds the wait."""

    kind: ClassVar[str] = "wait"
    Params: ClassVar[type[WaitParams]] = WaitParams
    events: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, params: WaitParams, ctx: ActionContext) -> None:
        self.params = params
        self.ctx = ctx

    def describe(self) -> str:
        if self.params.duration is not None:
            return f"wait {self.params.duration.total_seconds():g}s"
        return f"wait until {self._condition_text()}"

    def current(self) -> Output:
        return {"holds": not self._problem()} if self.params.until else {}

    def apply(self) -> Outcome:
        return Outcome(changed=False, detail=self.describe())

    def verify(self, deadline: float) -> Output:
        if self.params.duration is not None:  # waiting is verify's part: it holds no call slot
            pause(self.ctx.clock, self.params.duration.total_seconds())
        if self.params.until is None:
            return {}
        while True:
            wrong = self._problem()
            if not wrong:
                return {"condition": self._condition_text()}
            if self.ctx.clock.monotonic() >= deadline:
                raise StepTimeout(
                    f"{self._condition_text()} still not true: {wrong}",
                    hint="raise the step `timeout` or check why the condition never holds",
                )
            pause(self.ctx.clock, self.params.poll.total_seconds())

    def _condition_text(self) -> str:
        until = self.params.until
        if until is None:
            return ""
        if until.http is not None:
            return f"{until.http.method} {until.http.url} answers as expected"
        return f"`{command_text(until.shell or '')}` succeeds"

    def _problem(self) -> str:
        until = self.params.until
        if until is None:
            return ""
        if until.http is not None:
            try:
                return problem(until.http, request(until.http))
            except ProviderError as exc:
                return exc.message
        action = Shell(ShellParams(command=until.shell or ""), self.ctx)
        code, _, err = action.run_command(until.shell or "")
        return "" if code == 0 else f"exit {code} {err.strip()[-200:]}".strip()
