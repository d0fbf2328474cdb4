"""The `Rule` protocol every readiness rule implements, and the two shapes rules take."""

from __future__ import annotations

import abc
from typing import ClassVar, Generic, Protocol, TypeVar, cast

from drctl.checks.context import CheckContext
from drctl.checks.model import Finding, Severity
from drctl.model import Strict
from drctl.plan.model import Plan

R = TypeVar("R", bound=Strict)


class Rule(Protocol):
    """One readiness rule: what it checks, why, and how to fix what it finds.

    A rule names the *subjects* it checks in a plan (resource names, or the plan's own
    name for plan-wide rules); the runner evaluates each (rule, subject) pair on its own,
    concurrently for live rules. `evaluate` returns no findings when the subject passes;
    it may raise `DrctlError` (e.g. `NotFoundError` when a replica is gone), which the
    runner reports as an error-level finding of this rule on this subject. Live rules
    only read: they never change the estate they look at.
    """

    id: str
    title: str
    rationale: str
    severity: Severity
    hint: str
    live: bool

    def applies(self, plan: Plan) -> bool:
        """Whether the plan has anything this rule checks."""
        ...

    def subjects(self, plan: Plan) -> list[str]:
        """What the rule checks in the plan: resource names, or the plan's name."""
        ...

    def evaluate(self, ctx: CheckContext, subject: str) -> list[Finding]:
        """The findings about one subject (empty when it passes)."""
        ...


class _Described(abc.ABC):
    id: str
    title: str
    rationale: str
    severity: Severity = Severity.ERROR
    hint: str
    live: bool = False

    def finding(
        self, resource: str, message: str, *, severity: Severity | None = None, hint: str = ""
    ) -> Finding:
        """A finding of this rule, with the rule's severity and hint unless given."""
        return Finding(
            rule=self.id,
            resource=resource,
            severity=severity or self.severity,
            message=message,
            hint=hint or self.hint,
        )


class PlanRule(_Described):
    """A rule about the plan as a whole; its one subject is the plan's name."""

    def applies(self, plan: Plan) -> bool:
        return True

    def subjects(self, plan: Plan) -> list[str]:
        return [plan.metadata.name] if self.applies(plan) else []

    def evaluate(self, ctx: CheckContext, subject: str) -> list[Finding]:
        return self.check(ctx)

    @abc.abstractmethod
    def check(self, ctx: CheckContext) -> list[Finding]:
        """The findings about the plan."""


class ResourceRule(_Described, Generic[R]):
    """A rule about each resource of one kind; subjects are the resources' names."""

    kind: ClassVar[type[Strict]]

    def wants(self, plan: Plan, resource: R) -> bool:
        """Whether this resource is in scope (e.g. only backup strategies); all by default."""
        return True

    def resources(self, plan: Plan) -> list[R]:
        """The plan's resources this rule checks."""
        found = cast(list[R], plan.resources_of(self.kind))
        return [r for r in found if self.wants(plan, r)]

    def applies(self, plan: Plan) -> bool:
        return bool(self.resources(plan))

    def subjects(self, plan: Plan) -> list[str]:
        return [str(getattr(r, "name")) for r in self.resources(plan)]  # noqa: B009

    def evaluate(self, ctx: CheckContext, subject: str) -> list[Finding]:
        resource = next(r for r in self.resources(ctx.plan) if getattr(r, "name") == subject)  # noqa: B009
        return self.check(ctx, resource)

    @abc.abstractmethod
    def check(self, ctx: CheckContext, resource: R) -> list[Finding]:
        """The findings about one resource."""
