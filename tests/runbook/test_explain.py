"""Compiler barriers: a step needs what it depends on, and `explain` says why."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from drctl.cli import app
from drctl.errors import RunbookError
from drctl.plan.load import load_plan
from drctl.plan.model import Scenario
from drctl.runbook.compile import compile_plan
from drctl.runbook.explain import explain
from drctl.runbook.io import parse_runbook
from drctl.runbook.model import Runbook

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-estate.yaml"
DATA = {"failover-orders-db", "promote-legacy-db", "restore-batch-volumes-1"}


def region_failure() -> Runbook:
    return compile_plan(load_plan(SEED), Scenario.REGION_FAILURE)


def ancestors(runbook: Runbook, step_id: str) -> set[str]:
    found: set[str] = set()
    todo = list(runbook.step(step_id).needs)
    while todo:
        need = todo.pop()
        if need not in found:
            found.add(need)
            todo += runbook.step(need).needs
    return found


def test_the_gitops_sync_waits_for_the_clusters_not_for_the_data_tier() -> None:
    runbook = region_failure()
    assert not DATA & ancestors(runbook, "sync-argocd-ap-southeast-1")
    assert "verify-my-cluster-ap-southeast-1" in ancestors(runbook, "sync-argocd-ap-southeast-1")


def test_pods_ready_and_the_dns_switch_still_wait_for_the_data_tier() -> None:
    runbook = region_failure()
    assert ancestors(runbook, "pods-ready-my-cluster-ap-southeast-1") >= DATA
    assert ancestors(runbook, "switch-my-app-dns") >= DATA


def test_explain_gives_the_reason_of_each_need() -> None:
    reasons = {
        r.need: r.reason for r in explain(region_failure(), "argocd-cluster-argocd-ap-southeast-1")
    }
    assert reasons == {
        "scale-my-cluster-ap-southeast-1": "the sync deploys onto the clusters in ap-southeast-1",
        "verify-my-cluster-ap-southeast-1": "the sync deploys onto the clusters in ap-southeast-1",
    }


def test_explain_names_the_outputs_a_step_reads() -> None:
    runbook = parse_runbook("""\
apiVersion: drctl/v1
kind: Runbook
name: refs
steps:
  - {id: endpoint, title: Writer, action: shell, params: {command: "printf db-2"}}
  - {id: use, title: Use, action: shell, needs: [endpoint],
     params: {command: "echo ${steps.endpoint.stdout}"}}
""")
    [reason] = explain(runbook, "use")
    assert reason.reason == "reads ${steps.endpoint.stdout}"


def test_explaining_an_unknown_step_lists_the_steps() -> None:
    with pytest.raises(RunbookError, match="has no step `nope`"):
        explain(region_failure(), "nope")


def test_the_cli_explains_a_step_of_a_compiled_plan() -> None:
    result = CliRunner().invoke(
        app,
        [
            "runbook",
            "explain",
            str(SEED),
            "sync-argocd-ap-southeast-1",
            "--scenario",
            "region-failure",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output == (
        "argocd-cluster-argocd-ap-southeast-1 (Register the ap-southeast-1 cluster with ArgoCD): "
        "the previous step of argocd\n"
    )
