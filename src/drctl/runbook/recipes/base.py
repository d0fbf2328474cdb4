"""The `Recipe` contract: everything the compiler knows about one resource kind, in one place.

A scenario orders stages (detect, data, compute, apps, traffic, verify, ...); at each
stage it asks every resource's recipe to add its steps. A recipe is bound to one plan
resource and the plan; each stage hook adds zero or more steps to the `Draft` and
depends on `needs` (the ids the stage hangs on). The default of every hook adds
nothing, so a recipe implements only the stages its kind takes part in:

- `regions()`                     where the plan says the resource has a copy;
- `assess(d, expect_healthy)`     read health before acting (detect, preflight);
- `rehearse(d, region, needs)`    drill: prove the copy in `region` is usable;
- `promote(d, needs)`             region failure: make the DR copy the primary;
- `bring_up(d, region, needs)`    compute that must serve in `region`;
- `deploy(d, region, needs)`      GitOps sync onto `region`'s clusters (ids to wait for);
- `ready(d, region, needs)`       wait for what the sync deployed;
- `switch(d, needs)`              send traffic to the DR region;
- `check(d, which, needs, tag)`   probe the application on one side;
- `reprotect(d, needs)`           failback: replicate from DR back to the primary;
- `return_home(d, needs)`         failback: move the writer back to the primary;
- `switch_back(d, needs)`         failback: send traffic to the primary again;
- `scale_down(d, region, needs, always)` return compute in `region` to its standby size;
- `survive_az(d, az, needs)`      AZ failure: capacity and pods outside the lost AZ;
- `fail_over_az(d, az, needs)`    AZ failure: databases serve from outside the lost AZ;
- `capture(d, region, needs)`     evidence of the resource's state.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar, Generic, Literal, TypeVar

from drctl.plan.model import Plan
from drctl.plan.resources import ResourceBase
from drctl.runbook.draft import Draft

R = TypeVar("R", bound=ResourceBase)
Side = Literal["primary", "secondary"]


class Recipe(ABC, Generic[R]):
    """The steps one resource of kind `model` contributes to each stage of a runbook."""

    model: ClassVar[type[ResourceBase]]

    def __init__(self, resource: R, plan: Plan) -> None:
        self.res = resource
        self.plan = plan

    @property
    def primary(self) -> str:
        """The plan's primary region."""
        return self.plan.regions.primary

    @property
    def dr(self) -> str:
        """The plan's DR (secondary) region."""
        return self.plan.regions.secondary

    @abstractmethod
    def regions(self) -> set[str]:
        """The regions where the plan says this resource has a copy."""

    def assess(self, d: Draft, expect_healthy: list[Side], on_failure: str) -> None:
        """Read the resource's health before anything changes."""

    def rehearse(self, d: Draft, region: str, needs: list[str]) -> None:
        """Drill: prove the copy in `region` is usable without touching production."""

    def promote(self, d: Draft, needs: list[str]) -> None:
        """Region failure: make the DR copy the primary, without the failed region."""

    def bring_up(self, d: Draft, region: str, needs: list[str]) -> None:
        """Make compute in `region` able to serve."""

    def deploy(self, d: Draft, region: str, needs: list[str]) -> list[str]:
        """Deploy the applications onto `region`'s clusters; the ids readiness waits for."""
        return []

    def ready(self, d: Draft, region: str, needs: list[str]) -> None:
        """Wait until what was deployed onto `region` is ready."""

    def switch(self, d: Draft, needs: list[str]) -> None:
        """Send traffic to the DR region."""

    def check(self, d: Draft, which: Side, needs: list[str], tag: str = "") -> None:
        """Probe the application on the `which` side."""

    def reprotect(self, d: Draft, needs: list[str]) -> None:
        """Failback: replicate from the DR region back to the primary, verified."""

    def return_home(self, d: Draft, needs: list[str]) -> None:
        """Failback: move the writer back to the primary region."""

    def switch_back(self, d: Draft, needs: list[str]) -> None:
        """Failback: send traffic to the primary region again."""

    def scale_down(self, d: Draft, region: str, needs: list[str], always: bool) -> None:
        """Return compute in `region` to its standby size."""

    def survive_az(self, d: Draft, az: str, needs: list[str]) -> None:
        """AZ failure: capacity and workloads are outside the lost AZ."""

    def fail_over_az(self, d: Draft, az: str, needs: list[str]) -> None:
        """AZ failure: databases serve from outside the lost AZ."""

    def capture(self, d: Draft, region: str, needs: list[str]) -> None:
        """Record the resource's state in `region` as evidence."""
