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
