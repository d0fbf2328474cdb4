"""Plan file → `Plan`, with file:line:col errors (the YAML handling lives in `drctl.yamlsource`)."""

from __future__ import annotations

from pathlib import Path

from drctl.plan.model import Plan
from drctl.yamlsource import load_model


def load_plan(path: Path) -> Plan:
    """Load and validate a plan file."""
    return load_model(path, Plan)
