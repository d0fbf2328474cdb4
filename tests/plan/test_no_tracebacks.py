"""Bad input never traces back: deep nesting and huge durations, in plans and in runbooks."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from drctl.errors import PlanError, RunbookError
from drctl.plan.model import Plan
from drctl.runbook.io import parse_runbook
from drctl.yamlsource import parse_yaml, validate_data

SEED = (Path(__file__).resolve().parents[2] / "examples" / "seed-estate.yaml").read_text()
RUNBOOK = """\
apiVersion: drctl/v1
kind: Runbook
name: fuzz
steps:
  - {id: a, title: A, action: shell, timeout: 5m, params: {command: 'true'}}
  - {id: b, title: B, action: wait, needs: [a], params: {duration: 1s}}
"""

nesting = st.builds(
    lambda depth, brackets: brackets[0] * depth + brackets[1] * depth,
    st.integers(1, 3000),
    st.sampled_from([("[", "]"), ("{a: ", "}"), ("[{a: ", "}]")]),
)
huge = st.builds(
    lambda n, unit: f"{n}{unit}",
    st.integers(10**9, 10**60) | st.just(int("9" * 400)),
    st.sampled_from(["ms", "s", "m", "h", "d", "w"]),
)


def plan_outcome(text: str) -> None:
    try:
        data, node = parse_yaml(text, "fuzz.yaml")
        validate_data(data, node, "fuzz.yaml", Plan)
    except PlanError as error:
        assert error.message and error.where.startswith("fuzz.yaml")


def runbook_outcome(text: str) -> None:
    try:
        parse_runbook(text, "fuzz.yaml")
    except RunbookError as error:
        assert error.message and error.where.startswith("fuzz.yaml")


@settings(max_examples=12, deadline=None)
@given(nesting, st.sampled_from(["description", "rto", "resources"]))
def test_deeply_nested_yaml_in_a_plan_is_a_plan_error(value: str, where: str) -> None:
    field = {"description": "  description:", "rto": "  rto:", "resources": "resources:"}[where]
    line = next(line for line in SEED.splitlines() if line.startswith(field))
    plan_outcome(SEED.replace(line, f"{field} {value}", 1))


@settings(max_examples=12, deadline=None)
@given(nesting)
def test_deeply_nested_yaml_in_a_runbook_is_a_runbook_error(value: str) -> None:
    runbook_outcome(RUNBOOK.replace("params: {command: 'true'}", f"params: {value}"))
    runbook_outcome(value)


@settings(max_examples=60, deadline=None)
@given(huge, st.sampled_from(["rto: 30m", "rpo: 5m", "drill_every: 365d"]))
def test_a_huge_duration_in_a_plan_is_a_plan_error(duration: str, field: str) -> None:
    name = field.split(":")[0]
    plan_outcome(SEED.replace(field, f"{name}: {duration}", 1))


@settings(max_examples=60, deadline=None)
@given(huge, st.sampled_from(["timeout: 5m", "duration: 1s"]))
def test_a_huge_duration_in_a_runbook_is_a_runbook_error(duration: str, field: str) -> None:
    name = field.split(":")[0]
    runbook_outcome(RUNBOOK.replace(field, f"{name}: {duration}"))
