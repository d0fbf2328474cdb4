"""Recipes: one per resource kind, typed steps, evidence derived from the plan's own steps."""

from __future__ import annotations

import typing
from datetime import timedelta
from pathlib import Path

import pytest

from drctl.plan.load import load_plan
from drctl.plan.model import Scenario
from drctl.plan.resources import Resource
from drctl.providers import registry
from drctl.providers.aws import aurora, rds
from drctl.runbook.compile import compile_plan
from drctl.runbook.draft import Draft
from drctl.runbook.recipes import models, recipe_for

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "drctl" / "runbook"
MODELS = typing.get_args(typing.get_args(Resource)[0])
EXAMPLES = sorted(p.stem for p in (ROOT / "examples").glob("*.yaml"))


def test_every_resource_kind_has_a_recipe() -> None:
    assert sorted(m.__name__ for m in models()) == sorted(m.__name__ for m in MODELS)


@pytest.mark.parametrize("example", EXAMPLES)
def test_each_recipe_knows_the_dr_copy_of_its_resource(example: str) -> None:
    plan = load_plan(ROOT / "examples" / f"{example}.yaml")
    for resource in plan.resources:
        regions = recipe_for(resource, plan).regions()
        assert plan.regions.secondary in regions or not regions, resource.name


def test_a_step_refuses_params_of_another_action(seed_plan_path: Path) -> None:
    draft = Draft(load_plan(seed_plan_path))
    wrong = rds.PromoteReadReplica.Params(region="ap-southeast-1", instance="db")
    with pytest.raises(
        TypeError, match=r"aws\.aurora\.failover-global takes GlobalPromotionParams"
    ):
        draft.add("x", "x", aurora.FailoverGlobal, wrong, needs=[], estimate=timedelta(1))


@pytest.mark.parametrize("example", ["pilot-light", "seed-estate", "multi-site", "backup-restore"])
def test_evidence_looks_up_exactly_the_calls_the_runbook_makes(example: str) -> None:
    path = ROOT / "examples" / f"{example}.yaml"
    runbook = compile_plan(load_plan(path), Scenario.REGION_FAILURE)
    lookups = [s for s in runbook.steps if s.action == "aws.cloudtrail.lookup"]
    lookup = [n for s in lookups for n in s.params["event_names"]]
    written = {e for s in runbook.steps for e in registry.action_class(s.action).events}
    assert sorted(lookup) == sorted(written)
    has_rds = "kind: rds-replica" in path.read_text(encoding="utf-8")
    assert has_rds == ("PromoteReadReplica" in lookup)
    has_aurora = "kind: aurora-global" in path.read_text(encoding="utf-8")
    assert has_aurora == ("FailoverGlobalCluster" in lookup)


def test_the_compiler_source_has_no_untyped_params_or_format_escapes() -> None:
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "fmt: skip" not in text, path
        assert "params: dict[str, Any]" not in text, path
        long = [n for n, line in enumerate(text.splitlines(), 1) if len(line) > 100]
        assert not long, f"{path}: lines {long} are over 100 columns"
