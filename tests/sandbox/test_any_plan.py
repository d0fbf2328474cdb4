"""Every example plan x every scenario it declares, through `drctl demo --plan` (issue #17's done-when).

`make test` runs every plan's region failure (about 25 s each); `make soak` the whole matrix
(about 8 min on two cores).

lab.yaml is left out: it is the `drctl demo --lab` plan of two real local PostgreSQL servers
(postgres-replica resources, no AWS estate), which the AWS sandbox does not provision.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from drctl.plan.load import load_plan

DRCTL = str(Path(sys.executable).parent / "drctl")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLANS = sorted(p for p in EXAMPLES.glob("*.yaml") if p.name != "lab.yaml")
CASES = [
    pytest.param(
        plan,
        str(s),
        id=f"{plan.stem}-{s}",
        marks=[] if str(s) == "region-failure" else [pytest.mark.soak],
    )
    for plan in PLANS
    for s in load_plan(plan).scenarios
]


def test_every_example_but_the_lab_is_walked() -> None:
    assert {p.name for p in PLANS} >= {"seed-estate.yaml", "warm-standby.yaml", "pilot-light.yaml"}
    assert all(len(load_plan(p).scenarios) > 0 for p in PLANS)


@pytest.mark.slow
@pytest.mark.parametrize(("plan", "scenario"), CASES)
def test_demo_runs_the_plan_in_the_sandbox(tmp_path: Path, plan: Path, scenario: str) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(
        [DRCTL, "demo", "--plan", str(plan), "--scenario", scenario, "-o", "out"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output, output
    name = load_plan(plan).metadata.name
    (report,) = (tmp_path / "out").glob(f"{name}-{scenario}-*.json")
    evidence = json.loads(report.read_text())
    assert evidence["outcome"] == "succeeded", output
    assert evidence["scenario"] == scenario
    # The sandbox ran the plan's own names: its written plan keeps them.
    written = load_plan(tmp_path / "out" / "plan.yaml")
    assert written.metadata.name == name
    assert [r.name for r in written.resources] == [r.name for r in load_plan(plan).resources]


def test_a_bad_plan_is_a_clear_error_before_anything_starts(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: drctl/v1\nkind: DRPlan\nmetadata: {name: x}\n", encoding="utf-8")
    done = subprocess.run(
        [DRCTL, "demo", "--plan", str(bad), "-o", "out"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert f"{bad}:1:1: regions: Field required" in output, output
    assert "Traceback" not in output and not (tmp_path / "out").exists()
