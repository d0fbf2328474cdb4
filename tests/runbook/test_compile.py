"""The compiler: golden runbooks per strategy x scenario, ordering, and refusals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from drctl.errors import PlanError
from drctl.plan.load import load_plan
from drctl.plan.model import Scenario, Strategy
from drctl.runbook.compile import compile_plan
from drctl.runbook.io import dump_runbook, parse_runbook
from drctl.runbook.model import Runbook

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = [*(str(s) for s in Strategy), "seed-estate"]
CASES = [(example, scenario) for example in EXAMPLES for scenario in Scenario]


def _compiled(example: str, scenario: Scenario) -> Runbook:
    return compile_plan(load_plan(ROOT / "examples" / f"{example}.yaml"), scenario)


@pytest.mark.parametrize(("strategy", "scenario"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_compiled_runbook_matches_the_reviewed_golden_file(
    strategy: str, scenario: Scenario
) -> None:
    text = dump_runbook(_compiled(strategy, scenario))
    golden = GOLDEN / f"{strategy}-{scenario}.yaml"
    if os.environ.get("DRCTL_UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"run with DRCTL_UPDATE_GOLDEN=1 to create {golden.name}"
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize(("strategy", "scenario"), CASES, ids=[f"{a}-{b}" for a, b in CASES])
def test_compiled_runbook_loads_back_with_every_action_known(
    strategy: str, scenario: Scenario
) -> None:
    runbook = _compiled(strategy, scenario)
    assert parse_runbook(dump_runbook(runbook), "compiled.yaml") == runbook


def _ancestors(runbook: Runbook, step_id: str) -> set[str]:
    seen: set[str] = set()
    stack = list(runbook.step(step_id).needs)
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(runbook.step(current).needs)
    return seen


def test_region_failure_promotes_data_before_switching_dns(seed_plan_path: Path) -> None:
    runbook = compile_plan(load_plan(seed_plan_path), Scenario.REGION_FAILURE)
    before_switch = _ancestors(runbook, "switch-my-app-dns")
    assert {"failover-orders-db", "promote-legacy-db", "promote-app-secrets-1"} <= before_switch
    assert {
        "scale-my-cluster-ap-southeast-1",
        "sync-argocd-ap-southeast-1",
        "declare-disaster",
    } <= before_switch


def test_region_failure_promotes_the_data_tier_in_parallel(seed_plan_path: Path) -> None:
    runbook = compile_plan(load_plan(seed_plan_path), Scenario.REGION_FAILURE)
    wave = next(w for w in runbook.waves() if any(s.id == "failover-orders-db" for s in w))
    assert {"promote-legacy-db", "promote-app-secrets-1", "verify-sessions"} <= {s.id for s in wave}


def test_region_failure_waits_for_the_plans_two_person_rule(seed_plan_path: Path) -> None:
    step = compile_plan(load_plan(seed_plan_path), Scenario.REGION_FAILURE).step("declare-disaster")
    assert step.approval is not None and step.approval.required == 2


def test_region_failure_uses_only_the_dr_region_and_route53s_home_for_its_trail(
    seed_plan_path: Path,
) -> None:
    runbook = compile_plan(load_plan(seed_plan_path), Scenario.REGION_FAILURE)
    regions = {s.id: s.region for s in runbook.steps if s.region}
    assert set(regions.values()) == {"ap-southeast-1", "us-east-1"}
    assert [i for i, r in regions.items() if r == "us-east-1"] == ["evidence-cloudtrail-us-east-1"]


def test_route53_events_are_looked_up_in_us_east_1_and_the_rest_where_the_calls_went(
    seed_plan_path: Path,
) -> None:
    runbook = compile_plan(load_plan(seed_plan_path), Scenario.REGION_FAILURE)
    dr, r53 = runbook.step("evidence-cloudtrail"), runbook.step("evidence-cloudtrail-us-east-1")
    assert r53.params["event_names"] == ["ChangeResourceRecordSets", "UpdateHealthCheck"]
    assert r53.params["expect_from"] == {
        "switch-my-app-dns": ["ChangeResourceRecordSets", "UpdateHealthCheck"]
    }
    assert "UpdateHealthCheck" not in dr.params["event_names"]
    assert dr.params["expect_from"]["failover-orders-db"] == ["FailoverGlobalCluster"]


def test_seed_region_failure_estimate_fits_the_rto(seed_plan_path: Path) -> None:
    plan = load_plan(seed_plan_path)
    assert compile_plan(plan, Scenario.REGION_FAILURE).estimate() <= plan.objectives.rto


def test_strategies_differ_in_compute(tmp_path: Path) -> None:
    actions = {
        s: {st.action for st in _compiled(str(s), Scenario.REGION_FAILURE).steps} for s in Strategy
    }
    assert "aws.eks.create-cluster" in actions[Strategy.BACKUP_RESTORE]
    assert "aws.eks.scale-nodegroups" in actions[Strategy.PILOT_LIGHT]
    assert "aws.eks.scale-nodegroups" not in actions[Strategy.MULTI_SITE]
    pilot = _compiled(str(Strategy.PILOT_LIGHT), Scenario.DRILL)
    teardown = [s for s in pilot.steps if s.id.endswith("-standby")]
    assert teardown and all(ng["desired"] == 0 for s in teardown for ng in s.params["nodegroups"])


def test_drill_scales_back_after_evidence(seed_plan_path: Path) -> None:
    runbook = compile_plan(load_plan(seed_plan_path), Scenario.DRILL)
    teardown = runbook.step("scale-my-cluster-ap-southeast-1-standby")
    assert teardown.params["nodegroups"][0]["desired"] == 1
    assert "evidence-cloudtrail" in _ancestors(runbook, teardown.id)


def test_failback_reprotects_before_it_moves_anything(seed_plan_path: Path) -> None:
    runbook = compile_plan(load_plan(seed_plan_path), Scenario.FAILBACK)
    assert {"reprotect-assets", "reprotect-orders-db"} <= _ancestors(runbook, "approve-failback")
    assert "approve-failback" in _ancestors(runbook, "switchover-orders-db")
    assert "approve-failback" in _ancestors(runbook, "restore-my-app-dns")


def test_backup_restore_without_snapshots_is_refused(tmp_path: Path) -> None:
    data = yaml.safe_load((ROOT / "examples" / "backup-restore.yaml").read_text())
    data["resources"] = [r for r in data["resources"] if r["kind"] != "ebs-snapshots"]
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(PlanError, match="backup-restore restores data from snapshots") as info:
        compile_plan(load_plan(path), Scenario.REGION_FAILURE)
    assert "pilot-light" in info.value.hint


def test_disabled_scenario_is_refused(tmp_path: Path, seed_plan_path: Path) -> None:
    data = yaml.safe_load(seed_plan_path.read_text())
    data["scenarios"]["failback"] = {"enabled": False}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(PlanError, match="scenario failback is disabled"):
        compile_plan(load_plan(path), Scenario.FAILBACK)


def test_compiling_twice_gives_the_same_text(seed_plan_path: Path) -> None:
    plan = load_plan(seed_plan_path)
    assert dump_runbook(compile_plan(plan, Scenario.DRILL)) == dump_runbook(
        compile_plan(plan, Scenario.DRILL)
    )


def test_az_failure_reboots_an_rds_source_only_when_the_plan_says_it_is_multi_az(
    seed_plan_path: Path, tmp_path: Path
) -> None:
    text = seed_plan_path.read_text(encoding="utf-8")
    unstated = tmp_path / "plan.yaml"
    unstated.write_text(
        "\n".join(line for line in text.splitlines() if "multi_az:" not in line) + "\n",
        encoding="utf-8",
    )

    stated = compile_plan(load_plan(seed_plan_path), Scenario.AZ_FAILURE)
    default = compile_plan(load_plan(unstated), Scenario.AZ_FAILURE)

    reboot = stated.step("failover-legacy-db")
    assert reboot.action == "aws.rds.reboot-failover"
    assert reboot.params["away_from_az"] == "ap-northeast-1a"
    assert not any(s.action == "aws.rds.reboot-failover" for s in default.steps)
    evidence = [s for s in default.steps if s.action == "aws.cloudtrail.lookup"]
    assert not any("RebootDBInstance" in s.params["event_names"] for s in evidence)


def test_failback_backfills_s3_with_batch_replication_before_the_approval(
    seed_plan_path: Path, tmp_path: Path
) -> None:
    text = seed_plan_path.read_text(encoding="utf-8").replace(
        "    replication_time_control: true\n",
        "    replication_time_control: true\n"
        "    failback_role_arn: arn:aws:iam::123456789012:role/failback\n",
        1,
    )
    plan_file = tmp_path / "plan.yaml"
    plan_file.write_text(text, encoding="utf-8")

    runbook = compile_plan(load_plan(plan_file), Scenario.FAILBACK)

    backfill = runbook.step("backfill-assets")
    assert backfill.action == "aws.s3.batch-replicate"
    assert backfill.needs == ["reprotect-assets"]
    assert backfill.params["statuses"] == ["NONE", "FAILED"]
    assert "backfill-assets" in runbook.step("approve-failback").needs
