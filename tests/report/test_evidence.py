"""Evidence gathers exactly what the run stored, plus the audit trail and samples."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from drctl.audit.log import AuditLog
from drctl.errors import DrctlError
from drctl.report.evidence import Evidence
from drctl.report.history import StoredRuns
from drctl.report.sources import load_evidence
from drctl.runbook.run import Measurement, Run
from drctl.settings import Settings

from .drill import FAILURE_AT, LOST, RPO, RTO, drill_run


def test_objectives_are_the_stored_measurements_beside_their_targets(evidence: Evidence) -> None:
    rto, rpo = evidence.objective("rto"), evidence.objective("rpo")
    assert (rto.measured, rto.target, rto.verdict) == (RTO, timedelta(minutes=30), "pass")
    assert (rpo.measured, rpo.target, rpo.verdict) == (RPO, timedelta(minutes=5), "pass")
    assert evidence.lost_writes == 3


def test_summary_names_plan_scenario_strategy_and_outcome(evidence: Evidence) -> None:
    assert (evidence.plan, evidence.scenario, evidence.strategy, evidence.outcome) == (
        "shop",
        "region-failure",
        "warm-standby",
        "succeeded",
    )


def test_parallel_steps_sit_in_separate_lanes(evidence: Evidence) -> None:
    lanes = {s.id: s.lane for s in evidence.steps}
    assert lanes["promote-db"] != lanes["scale-eks"]
    assert lanes["detect"] == lanes["declare-disaster"] == lanes["switch-dns"] == 0


def test_steps_carry_titles_retries_and_their_approvers(evidence: Evidence) -> None:
    gate = next(s for s in evidence.steps if s.id == "declare-disaster")
    promote = next(s for s in evidence.steps if s.id == "promote-db")
    assert gate.title == "Declare the loss of ap-northeast-1"
    assert [a.actor for a in gate.approvals] == ["alice", "bob"]
    assert promote.retries == 1
    assert promote.duration == timedelta(seconds=11.8)


def test_people_entries_come_from_the_audit_trail_and_approvals_in_time_order(
    evidence: Evidence,
) -> None:
    kinds = [(h.kind, h.actor) for h in evidence.humans]
    assert kinds == [
        ("decision", "alice"),
        ("approval", "alice"),
        ("approval", "bob"),
        ("note", "carol"),
        ("problem", "bob"),
    ]
    assert evidence.humans_of("decision")[0].text == "fail over (primary down 20m)"


def test_only_open_improvement_actions_of_the_plan_are_carried(evidence: Evidence) -> None:
    assert [(a.text, a.run_id) for a in evidence.open_actions] == [
        ("add DNS step", "shop-drill-20260101")
    ]


def test_chain_head_and_the_runs_last_event_are_recorded(
    evidence: Evidence, settings: Settings
) -> None:
    log = AuditLog.from_settings(settings)
    head = log.head()
    last = list(log.events(evidence.run_id))[-1]
    log.dispose()
    assert evidence.chain is not None
    assert (evidence.chain.head_seq, evidence.chain.head_hash) == (head.seq, head.hash)
    assert (evidence.chain.run_last_seq, evidence.chain.run_last_hash) == (last.seq, last.hash)
    assert evidence.chain.run_events == 4


def test_samples_give_the_failure_and_a_recovery_instant_equal_to_the_stored_rto(
    evidence: Evidence,
) -> None:
    assert evidence.availability.failure_at == FAILURE_AT
    assert evidence.availability.recovered_at == FAILURE_AT + RTO
    assert len(evidence.availability.samples) == 65
    assert evidence.canary.lost == LOST
    assert evidence.canary.newest_surviving_seq == 13


def test_without_result_files_the_failure_instant_is_the_first_failed_sample(
    tmp_path: Path, settings: Settings
) -> None:
    run = drill_run(tmp_path)
    for sibling in (tmp_path / "samples").glob("*.result.json"):
        sibling.unlink()
    evidence = load_evidence(StoredRuns([run]), run.id, settings=settings, cloudtrail=False)
    first_failed = min(s.time for s in evidence.availability.samples if not s.ok)
    assert evidence.availability.failure_at == first_failed
    assert evidence.availability.recovered_at == first_failed + RTO
    assert evidence.canary.lost == LOST  # from the surviving-sequence file


def test_a_missing_objective_is_reported_as_not_measured(
    tmp_path: Path, settings: Settings
) -> None:
    run = drill_run(tmp_path)
    run = run.model_copy(update={"measurements": [m for m in run.measurements if m.name != "rpo"]})
    evidence = load_evidence(StoredRuns([run]), run.id, settings=settings, cloudtrail=False)
    assert evidence.objective("rpo").verdict == "not_measured"
    assert evidence.lost_writes is None


def test_a_measurement_over_target_without_a_stored_verdict_fails(
    tmp_path: Path, settings: Settings
) -> None:
    slow = Measurement(name="rto", value=timedelta(minutes=31), target=timedelta(minutes=30))
    run = drill_run(tmp_path)
    run = run.model_copy(update={"measurements": [slow]})
    evidence = load_evidence(StoredRuns([run]), run.id, settings=settings, cloudtrail=False)
    assert evidence.objective("rto").verdict == "fail"


def test_a_missing_samples_file_is_a_warning_not_a_crash(
    tmp_path: Path, settings: Settings
) -> None:
    run = drill_run(tmp_path)
    (tmp_path / "samples" / "availability.jsonl").unlink()
    evidence = load_evidence(StoredRuns([run]), run.id, settings=settings, cloudtrail=False)
    assert evidence.availability.samples == []
    assert any("availability.jsonl could not be read" in w for w in evidence.warnings)


def test_a_malformed_samples_line_names_file_and_line(tmp_path: Path, settings: Settings) -> None:
    run = drill_run(tmp_path)
    path = tmp_path / "samples" / "canary.jsonl"
    path.write_text(path.read_text() + '{"seq": "x"}\n')
    with pytest.raises(DrctlError) as caught:
        load_evidence(StoredRuns([run]), run.id, settings=settings, cloudtrail=False)
    assert caught.value.where == f"{path}:30"


def test_an_unknown_run_is_an_error_with_a_hint(run: Run, settings: Settings) -> None:
    with pytest.raises(DrctlError, match="no run `nope`") as caught:
        load_evidence(StoredRuns([run]), "nope", settings=settings, cloudtrail=False)
    assert "drctl runs list" in caught.value.hint
