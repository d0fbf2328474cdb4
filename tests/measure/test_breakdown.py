"""The RTO breakdown walks the critical path to recovery and charges each phase its share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drctl.measure.breakdown import phase_of, rto_breakdown
from drctl.runbook.model import Runbook, Step
from drctl.runbook.run import Run, StepRun

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


RUNBOOK = Runbook(
    name="rf",
    steps=[
        Step(id="declare", title="Declare", action="approval"),
        Step(id="promote", title="Promote", action="aws.aurora.failover-global", needs=["declare"]),
        Step(id="scale", title="Scale", action="aws.eks.scale-nodegroups", needs=["declare"]),
        Step(id="sync", title="Sync", action="argocd.sync", needs=["scale"]),
        Step(
            id="switch",
            title="Switch",
            action="aws.route53.activate-secondary",
            needs=["promote", "sync"],
        ),
        Step(id="review", title="Review", action="manual", needs=["switch"]),
    ],
)


def _run(**ends: tuple[float, float]) -> Run:
    steps = [StepRun(id=i, status="succeeded", started_at=_at(a), ended_at=_at(b))
             for i, (a, b) in ends.items()]  # fmt: skip
    return Run(id="r", runbook="rf", runbook_hash="h", started_at=_at(10), steps=steps)


def test_each_phase_is_charged_along_the_slowest_chain_and_the_rest_is_dns() -> None:
    run = _run(declare=(10, 70), promote=(70, 100), scale=(70, 90), sync=(90, 110),
               switch=(110, 115), review=(115, 500))  # fmt: skip
    phases = {p.name: p for p in rto_breakdown(run, RUNBOOK, T0, _at(175))}
    assert {name: p.seconds for name, p in phases.items()} == {
        "detection": 10.0,
        "decision": 60.0,
        "compute": 20.0,
        "apps": 20.0,
        "traffic switch": 5.0,
        "DNS/TTL": 60.0,
    }
    assert phases["compute"].steps == ["scale"] and phases["traffic switch"].steps == ["switch"]
    assert "promote" not in [s for p in phases.values() for s in p.steps], "off the critical path"
    assert sum(p.seconds for p in phases.values()) == 175.0


def test_action_kinds_map_to_phases() -> None:
    assert phase_of("aws.rds.promote-read-replica") == "data promotion"
    assert phase_of("postgres.promote") == "data promotion"
    assert phase_of("aws.route53.health-status") == "detection"
    assert phase_of("k8s.wait-ready") == "apps"
    assert phase_of("http") == "verification"
