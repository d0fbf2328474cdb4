"""The two pydantic bases drctl's data is built on: `Frozen` records and `Strict` inputs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """An immutable record: what drctl reads, computes or records (runs, evidence, AWS state)."""

    model_config = ConfigDict(frozen=True)


class Strict(Frozen):
    """An immutable record whose unknown keys are errors: plans, runbooks, action params."""

    model_config = ConfigDict(frozen=True, extra="forbid")
