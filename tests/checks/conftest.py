"""Fixtures for the readiness checks: plans from the examples, and a rule runner."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from drctl.checks.context import CheckContext
from drctl.checks.model import Finding
from drctl.checks.registry import get_rule
from drctl.checks.run import run_checks
from drctl.plan.load import load_plan
from drctl.plan.model import Plan

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-estate.yaml"

RunRule = Callable[..., list[Finding]]


@pytest.fixture
def seed() -> Plan:
    return load_plan(SEED)


def only(rule_id: str, ctx: CheckContext) -> list[Finding]:
    """Every finding of one rule over the context's plan."""
    return run_checks([get_rule(rule_id)], ctx, workers=1)


def about(findings: Sequence[Finding], resource: str) -> list[str]:
    """The messages of the findings naming `resource`."""
    return [f.message for f in findings if f.resource == resource]
