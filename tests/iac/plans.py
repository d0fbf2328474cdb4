"""Plan variants for IaC tests: the seed estate or a strategy example, edited as data and re-validated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from drctl.plan.model import Plan

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def plan_data(name: str = "seed-estate") -> dict[str, Any]:
    """The example plan `name` as plain data to edit."""
    data: dict[str, Any] = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text(encoding="utf-8"))
    return data


def resource_data(data: dict[str, Any], kind: str) -> dict[str, Any]:
    """The first resource of `kind` in plan data (edit it in place)."""
    found: dict[str, Any] = next(r for r in data["resources"] if r["kind"] == kind)
    return found


def plan(data: dict[str, Any]) -> Plan:
    """Validate edited plan data."""
    return Plan.model_validate(data)
