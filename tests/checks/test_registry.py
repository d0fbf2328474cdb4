"""The pinned surface: every rule is documented, has a hint, and has a passing and a failing test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drctl.checks.base import Rule
from drctl.checks.registry import RULES, get_rule, select
from drctl.errors import PlanError

HERE = Path(__file__).resolve().parent
TEST_SOURCE = "\n".join(p.read_text() for p in HERE.glob("test_*.py"))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_is_documented_with_a_hint(rule: Rule) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", rule.id)
    assert rule.title and rule.rationale.endswith(".") and rule.hint
    assert len(rule.rationale) > 40


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_has_a_passing_and_a_failing_test(rule: Rule) -> None:
    name = rule.id.replace("-", "_")
    passing = re.search(rf"def test_{name}_(passes|stays_green)", TEST_SOURCE)
    failing = re.search(rf"def test_{name}_(fails|warns|goes_red)", TEST_SOURCE)
    assert passing and failing, (
        f"{rule.id} needs test_{name}_passes... and test_{name}_fails/goes_red..."
    )


def test_rule_ids_are_unique() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))


def test_an_unknown_rule_id_suggests_the_closest_one() -> None:
    with pytest.raises(PlanError) as err:
        get_rule("s3-versioning-on")
    assert err.value.hint == "did you mean `s3-versioning`?"


def test_select_honours_only_skip_and_static() -> None:
    assert [r.id for r in select(["s3-versioning", "dr-counterpart"])] == [
        "dr-counterpart",
        "s3-versioning",
    ]
    assert "drill-recency" not in [r.id for r in select(skip=["drill-recency"])]
    assert all(not r.live for r in select(live=False))
    assert select(["s3-versioning"], live=False) == []
