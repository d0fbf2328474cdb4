"""`Finding`: one result of a readiness rule or of the advisor."""

from __future__ import annotations

from enum import StrEnum

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


class CheckReport(Frozen):
    """The outcome of `drctl check`: what was checked and what was found."""

    plan: str
    mode: str
    rules: list[RuleInfo]
    checked: list[Checked]
    findings: list[Finding]
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """No error-level finding."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def counts(self) -> dict[Severity, int]:
        """How many findings of each severity."""
        return {s: sum(f.severity is s for f in self.findings) for s in Severity}
