"""The `Action` protocol: how a runbook step reads and changes the world, idempotently.

An action kind (e.g. `aws.rds.promote-read-replica`) is a class with a nested pydantic
`Params` model. The engine builds it from a step's params and an `ActionContext`, then:

1. `describe()`  one line saying what it would do; all a dry-run calls;
2. `current()`   reads the world (evidence of the state before the change);
3. `apply()`     check-then-act: changes only what differs from the wanted state and says
                 whether it changed anything; repeating it after a crash is always safe,
                 because a step in flight when the process died runs again;
4. `verify(deadline)` waits until the effect is visible (monotonic deadline from the
                 clock), raising `StepTimeout` naming what is still not right.

An action whose `apply()` and `verify()` return at once without I/O (`noop`) may say so
with `immediate: ClassVar[bool] = True`: the engine then runs it in the step's own thread,
where no timeout can interrupt it.

Outputs are JSON values that later steps can read (`${steps.<id>.<key>}` in params).
Actions never catch broad exceptions: SDK errors are translated once per SDK into
`ProviderError` subclasses (`retryable` tells the engine whether to try again).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Protocol

from pydantic import JsonValue

from drctl.clock import Clock, SystemClock
from drctl.errors import ProviderError
from drctl.model import Frozen, Strict
from drctl.plan.aws import AwsRole
from drctl.settings import Settings

Output = dict[str, JsonValue]


class Params(Strict):
    """Base of every action's `Params`: unknown keys are errors."""


class Outcome(Frozen):
    """What `apply()` did: whether it changed the world, a short detail, and outputs."""

    changed: bool
    detail: str = ""
    output: Output = {}


class StepTimeout(ProviderError):
    """`verify` ran out of time; the message names what is still not in the wanted state."""

    def __init__(self, message: str, *, hint: str = "", where: str = "") -> None:
        super().__init__(message, hint=hint, where=where, retryable=True, code="Timeout")


@dataclass(frozen=True)
class ActionContext:
    """What an action may use: identity of the step, settings, clock, earlier outputs, a log."""

    run_id: str = "adhoc"
    step_id: str = "adhoc"
    settings: Settings = field(default_factory=Settings)
    clock: Clock = field(default_factory=SystemClock)
    outputs: Mapping[str, Output] = field(default_factory=dict)
    log: Callable[[str], None] = field(default=lambda _line: None)
    dry_run: bool = False
    expected_at: float | None = None
    """When the step is expected to be done, on `clock.monotonic()` (its start plus its
    estimate): waits poll slowly before it and every second around and after it."""
    run_started_at: datetime | None = None
    """When the run began (evidence looks up the run's own window); None outside a run."""
    changed_steps: frozenset[str] = frozenset()
    """Ids of the run's finished steps whose `apply()` changed the world."""
    shared: MutableMapping[str, Any] = field(default_factory=dict)
    """Per-run objects steps share (the run's AWS client factory), kept by the engine."""
    aws_roles: tuple[AwsRole, ...] = ()
    """The plan's `aws.roles`: the role each region's AWS calls act as (empty: the environment's)."""


class Action(Protocol):
    """One step kind. See the module docstring for the contract."""

    kind: ClassVar[str]
    Params: ClassVar[type[Params]]
    events: ClassVar[frozenset[str]]
    """CloudTrail event names of the write calls `apply()` may make (evidence lists these)."""

    def __init__(self, params: Any, ctx: ActionContext) -> None: ...

    def describe(self) -> str:
        """One line: what this step would do, naming resources and regions."""
        ...

    def current(self) -> Output:
        """Read the relevant state of the world."""
        ...

    def apply(self) -> Outcome:
        """Change the world only where it differs from the wanted state."""
        ...

    def verify(self, deadline: float) -> Output:
        """Wait until the effect is visible, or raise `StepTimeout` at `deadline`."""
        ...
