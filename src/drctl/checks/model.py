"""`Finding`: one result of a readiness rule or of the advisor."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Severity(StrEnum):
    """How bad a finding is; `error` fails `drctl check` and `drctl advise`."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Finding(BaseModel):
    """A rule's verdict on one resource, with the reason and the fix."""

    model_config = ConfigDict(frozen=True)

    rule: str
    resource: str
    severity: Severity
    message: str
    hint: str = ""


class RuleInfo(BaseModel):
    """A rule as `drctl rules` lists it and reports describe it."""

    model_config = ConfigDict(frozen=True)

    id: str
    title: str
    rationale: str
    severity: Severity
    hint: str
    live: bool


class Checked(BaseModel):
    """One (rule, subject) pair that was evaluated, passing or not."""

    model_config = ConfigDict(frozen=True)

    rule: str
    resource: str


class CheckReport(BaseModel):
    """The outcome of `drctl check`: what was checked and what was found."""

    model_config = ConfigDict(frozen=True)

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
