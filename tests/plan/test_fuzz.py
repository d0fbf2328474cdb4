"""Mutated plans and runbooks, random YAML: the only outcomes are a valid model or a located error."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drctl.errors import PlanError, RunbookError
from drctl.plan.model import Plan
from drctl.runbook.io import parse_runbook
from drctl.yamlsource import parse_yaml, validate_data

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "examples" / "seed-estate.yaml").read_text()
SEED_LINES = SEED.splitlines(keepends=True)
RUNBOOK = (ROOT / "tests" / "runbook" / "golden" / "seed-estate-region-failure.yaml").read_text()
RUNBOOK_LINES = RUNBOOK.splitlines(keepends=True)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 10**6), st.floats(allow_nan=True),
    st.text(max_size=12), st.sampled_from(["30m", "1h30m", "ap-northeast-1", "eks-cluster", "0s", "-1m"]),
)  # fmt: skip
yaml_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _outcome(text: str) -> None:
    try:
        data, node = parse_yaml(text, "fuzz.yaml")
        validate_data(data, node, "fuzz.yaml", Plan)
    except PlanError as error:
        assert error.where.startswith("fuzz.yaml"), error
        assert error.message


def _runbook_outcome(text: str) -> None:
    try:
        parse_runbook(text, "fuzz.yaml")
    except RunbookError as error:
        assert error.where.startswith("fuzz.yaml"), error
        assert error.message
        assert all(p.where.startswith("fuzz.yaml") for p in error.problems), error.problems


MUTATIONS = st.sampled_from(["delete", "duplicate", "dedent", "garble", "swap"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(SEED_LINES) - 1), MUTATIONS, st.text(max_size=10))
def test_mutated_seed_plan_is_valid_or_a_located_error(line: int, op: str, noise: str) -> None:
    _outcome(_mutate(SEED_LINES, line, op, noise))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, len(RUNBOOK_LINES) - 1), MUTATIONS, st.text(max_size=10))
def test_mutated_runbook_is_valid_or_a_located_error(line: int, op: str, noise: str) -> None:
    _runbook_outcome(_mutate(RUNBOOK_LINES, line, op, noise))


def _mutate(source: list[str], line: int, op: str, noise: str) -> str:
    lines = list(source)
    if op == "delete":
        del lines[line]
    elif op == "duplicate":
        lines.insert(line, lines[line])
    elif op == "dedent":
        lines[line] = lines[line].lstrip()
    elif op == "garble":
        lines[line] = lines[line].rstrip("\n") + noise + "\n"
    else:
        lines[line], lines[-1] = lines[-1], lines[line]
    return "".join(lines)


@settings(max_examples=150, deadline=None)
@given(yaml_values)
def test_random_yaml_is_a_located_error(value: object) -> None:
    _outcome(yaml.safe_dump(value))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_random_text_is_a_located_error(text: str) -> None:
    _outcome(text)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["objectives", "regions", "metadata", "strategy"]), yaml_values)
def test_a_section_replaced_by_random_yaml_is_a_located_error(section: str, value: object) -> None:
    data = yaml.safe_load(SEED)
    data[section] = value
    _outcome(yaml.safe_dump(data))


@settings(max_examples=100, deadline=None)
@given(yaml_values)
def test_random_yaml_is_a_located_runbook_error(value: object) -> None:
    _runbook_outcome(yaml.safe_dump(value))


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["timeout", "region", "params", "retry", "needs", "estimate"]),
    st.integers(0, 5),
    yaml_values,
)
def test_a_step_field_replaced_by_random_yaml_is_a_located_error(
    field: str, index: int, value: object
) -> None:
    data = yaml.safe_load(RUNBOOK)
    data["steps"][index][field] = value
    _runbook_outcome(yaml.safe_dump(data))


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["[" * 2000, "{a: " * 2000, "- " * 3000, "9999999999999999999999d"]))
def test_deep_nesting_and_huge_durations_in_a_runbook_are_located_errors(text: str) -> None:
    _runbook_outcome(RUNBOOK.replace("timeout: 5m", f"timeout: {text}", 1))
