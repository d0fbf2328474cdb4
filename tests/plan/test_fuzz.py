"""Mutated plans and random YAML: the only outcomes are a valid Plan or a located PlanError."""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drctl.errors import PlanError
from drctl.plan.model import Plan
from drctl.yamlsource import parse_yaml, validate_data

SEED = (Path(__file__).resolve().parents[2] / "examples" / "seed-estate.yaml").read_text()
SEED_LINES = SEED.splitlines(keepends=True)

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


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(0, len(SEED_LINES) - 1),
    st.sampled_from(["delete", "duplicate", "dedent", "garble", "swap"]),
    st.text(max_size=10),
)
def test_mutated_seed_plan_is_valid_or_a_located_error(line: int, op: str, noise: str) -> None:
    lines = list(SEED_LINES)
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
    _outcome("".join(lines))


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
