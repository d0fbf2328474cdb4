"""`Finding`: one result of a readiness rule or of the advisor."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from drctl.model import Frozen


class Severity(StrEnum):
    """How bad a finding is; `error` fails `drctl check` and `drctl advise`."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Finding(Frozen):
    """A rule's verdict on one resource, with the reason and the fix."""

    rule: str
    resource: str
    severity: Severity
    message: str
    hint: str = ""


class RuleInfo(Frozen):
    """A rule as `drctl rules` lists it and reports describe it."""

    id: str
    title: str
    rationale: str
    severity: Severity
    hint: str
    live: bool


class Checked(Frozen):
    """One (rule, subject) pair that was evaluated, passing or not."""

    rule: str
    resource: str


class Notification(Frozen):
    """Why part of the estate could not be checked (no credentials, endpoint unreachable).

    Not a finding: nothing is known about the resources behind it. `drctl check` prints it
    once, up front, and exits 3 unless an error-level finding already fails the check.
    """

    message: str
    hint: str = ""
    where: str = ""
    rules: list[str] = []


class Suppression(Frozen):
    """An accepted finding: inline in the plan (`inSource`) or in a baseline file (`external`)."""

    rule: str
    resource: str
    reason: str
    kind: Literal["inSource", "external"]
    where: str = ""


class Suppressed(Frozen):
    """A finding a suppression matched: reported, but it does not fail the check."""

    finding: Finding
    suppression: Suppression


class CheckReport(Frozen):
    """The outcome of `drctl check`: what was checked, what was found, what could not be checked."""

    plan: str
    mode: str
    rules: list[RuleInfo]
    checked: list[Checked]
    findings: list[Finding]
    seconds: float = 0.0
    notifications: list[Notification] = []
    suppressed: list[Suppressed] = []

    @property
    def complete(self) -> bool:
        """Every rule could read what it needed."""
        return not self.notifications

    @property
    def ok(self) -> bool:
        """No error-level finding."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def counts(self) -> dict[Severity, int]:
        """How many findings of each severity."""
        return {s: sum(f.severity is s for f in self.findings) for s in Severity}
