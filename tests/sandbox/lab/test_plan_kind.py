"""The `postgres-replica` plan kind and the steps the compiler makes of it."""

from __future__ import annotations

from pathlib import Path

import pytest

from drctl.errors import PlanError
from drctl.plan.load import load_plan
from drctl.plan.model import Scenario
from drctl.runbook.compile import compile_plan

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "lab.yaml"


def test_region_failure_fences_the_old_primary_before_promoting_then_checks_writes() -> None:
    steps = {s.id: s for s in compile_plan(load_plan(EXAMPLE), Scenario.REGION_FAILURE).steps}
    fence, promote, writable = (
        steps["fence-lab-db"],
        steps["promote-lab-db"],
        steps["writable-lab-db"],
    )
    assert (fence.action, fence.on_failure, fence.region) == (
        "postgres.fence",
        "continue",
        "ap-northeast-1",
    )
    assert fence.params == {"dsn": "host=127.0.0.1 port=54321 dbname=postgres user=postgres"}
    assert (promote.action, promote.needs) == ("postgres.promote", ["fence-lab-db"])
    assert promote.params["dsn"].endswith("port=54322 dbname=postgres user=postgres")
    assert (writable.action, writable.needs) == ("postgres.verify-writable", ["promote-lab-db"])
    assert "evidence-cloudtrail" not in steps


def test_drill_checks_replication_lag_against_the_rpo() -> None:
    (lag,) = compile_plan(load_plan(EXAMPLE), Scenario.DRILL).steps
    assert lag.action == "postgres.replication-lag"
    assert lag.params["max_lag"] == "5s"


def test_failback_without_data_directories_asks_a_person_to_rebuild_the_old_primary() -> None:
    steps = compile_plan(load_plan(EXAMPLE), Scenario.FAILBACK).steps
    assert (steps[0].id, steps[0].action) == ("reprotect-lab-db", "manual")
    assert [s.action for s in steps[2:]] == [
        "postgres.fence",
        "postgres.promote",
        "postgres.verify-writable",
    ]


def test_primary_and_standby_in_one_region_is_a_located_error(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace(
        "region: ap-southeast-1\n      dsn", "region: ap-northeast-1\n      dsn"
    )
    bad = tmp_path / "plan.yaml"
    bad.write_text(text)
    with pytest.raises(PlanError, match="primary and standby are both in ap-northeast-1") as caught:
        load_plan(bad)
    assert str(caught.value).startswith(f"{bad}:")
