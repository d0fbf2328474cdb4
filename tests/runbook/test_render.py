"""Runbook rendering: waves, Mermaid and dry-run plans, as exact text."""

from __future__ import annotations

from datetime import timedelta

from rich.console import Console

from drctl.runbook.io import parse_runbook
from drctl.runbook.render import dry_run, mermaid, waves_tree

RUNBOOK = parse_runbook("""\
apiVersion: drctl/v1
kind: Runbook
name: failover
steps:
  - {id: detect, title: Detect, action: noop, estimate: 2m}
  - {id: approve, title: Approve, action: approval, needs: [detect], approval: {required: 2}}
  - {id: promote-db, title: Promote DB, action: shell, needs: [approve], estimate: 5m,
     params: {command: "echo promote", creates: /tmp/promoted}}
  - {id: scale-eks, title: Scale EKS, action: wait, needs: [approve], estimate: 10m,
     params: {duration: 1s}}
  - {id: dns, title: Switch DNS, action: http, needs: [promote-db, scale-eks],
     params: {url: "http://127.0.0.1:9/switch", method: POST}}
""")


def test_mermaid_draws_every_edge_and_gates_as_hexagons() -> None:
    assert mermaid(RUNBOOK) == (
        "flowchart TD\n"
        '    detect["Detect"]\n'
        '    approve{{"Approve"}}\n'
        '    promote_db["Promote DB"]\n'
        '    scale_eks["Scale EKS"]\n'
        '    dns["Switch DNS"]\n'
        "    detect --> approve\n"
        "    approve --> promote_db\n"
        "    approve --> scale_eks\n"
        "    promote_db --> dns\n"
        "    scale_eks --> dns\n"
    )


def test_the_tree_groups_parallel_steps_into_one_wave() -> None:
    console = Console(width=120, record=True, color_system=None)
    console.print(waves_tree(RUNBOOK))
    text = console.export_text()
    assert "wave 3: 2 steps in parallel" in text
    assert "approve Approve <approval> (needs detect; needs 2 approvals)" in text


def test_a_dry_run_describes_each_step_and_estimates_waves_and_critical_path() -> None:
    plan = dry_run(RUNBOOK)
    assert [[s.id for s in w.steps] for w in plan.waves] == [
        ["detect"],
        ["approve"],
        ["promote-db", "scale-eks"],
        ["dns"],
    ]
    assert plan.waves[2].steps[0].would == "run `echo promote` unless /tmp/promoted exists"
    assert plan.waves[3].steps[0].would == "POST http://127.0.0.1:9/switch expecting 200"
    assert plan.waves[2].estimate == timedelta(minutes=10)
    assert plan.total == timedelta(minutes=2 + 1 + 10 + 1)
