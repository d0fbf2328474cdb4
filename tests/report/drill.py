"""A recorded region-failure drill for report tests: run, samples files and audit trail.

The run is built directly as data (the engine is not needed to test rendering); its
audit trail is a real `AuditLog` on SQLite, its samples real JSONL files.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

from drctl.audit.log import AuditLog, Entry
from drctl.audit.review import ActionItem, Review, close_action, record_review
from drctl.probes.measure import Ack, RpoResult, RtoResult, Sample
from drctl.runbook.model import ApprovalGate, Runbook, Step
from drctl.runbook.run import ApprovalRecord, Measurement, Run, StepError, StepRun
from drctl.settings import Settings

T0 = datetime(2026, 5, 1, 10, 0, 0, tzinfo=UTC)
FAILURE_AT = T0 + timedelta(seconds=1)
RTO = timedelta(seconds=23.4)
RPO = timedelta(seconds=0.6)
RUN_ID = "shop-region-failure-20260501"
LOST = [14, 15, 16]


def at(seconds: float) -> datetime:
    """T0 plus some seconds."""
    return T0 + timedelta(seconds=seconds)


RUNBOOK = Runbook(
    name="shop-region-failure",
    scenario="region-failure",
    plan="shop",
    description="Fail over the whole workload to the DR region. Strategy warm-standby: a → b.",
    steps=[
        Step(id="detect", title="Read Route53 health", action="noop"),
        Step(
            id="declare-disaster",
            title="Declare the loss of ap-northeast-1",
            action="approval",
            needs=["detect"],
            approval=ApprovalGate(required=2),
        ),
        Step(id="promote-db", title="Promote Aurora", action="noop", needs=["declare-disaster"]),
        Step(id="scale-eks", title="Scale DR EKS", action="noop", needs=["declare-disaster"]),
        Step(id="switch-dns", title="Switch Route53", action="noop", needs=["promote-db"]),
        Step(id="notify", title="Notify the channel", action="noop", needs=["switch-dns"]),
    ],
)


def step_runs(*, failing: bool = False) -> list[StepRun]:
    """The journal of the drill's steps; `failing` makes switch-dns fail and skips notify."""
    dns_error = StepError(
        message="ChangeResourceRecordSets refused: throttled",
        hint="try again in a minute",
        code="Throttling",
        where="route53 example.com",
    )
    return [
        StepRun(id="detect", status="succeeded", attempts=1, started_at=at(0), ended_at=at(2)),
        StepRun(
            id="declare-disaster",
            status="succeeded",
            attempts=1,
            started_at=at(2),
            ended_at=at(8.5),
        ),
        StepRun(
            id="promote-db", status="succeeded", attempts=2, started_at=at(8.5), ended_at=at(20.3)
        ),
        StepRun(
            id="scale-eks", status="succeeded", attempts=1, started_at=at(8.5), ended_at=at(15.1)
        ),
        StepRun(
            id="switch-dns",
            status="failed" if failing else "succeeded",
            attempts=3 if failing else 1,
            started_at=at(20.3),
            ended_at=at(24.0),
            error=dns_error if failing else None,
        ),
        StepRun(
            id="notify",
            status="skipped" if failing else "succeeded",
            attempts=0 if failing else 1,
            started_at=None if failing else at(24.0),
            ended_at=None if failing else at(24.5),
            detail="skipped: switch-dns failed" if failing else "",
        ),
    ]


def write_samples(folder: Path) -> tuple[Path, Path]:
    """Availability samples every 0.5 s and canary acks every 0.2 s, with sibling files."""
    folder.mkdir(parents=True, exist_ok=True)
    samples = [
        Sample(time=at(t / 2), ok=not (1.2 <= t / 2 < 24.4), status=200, served_by="apne1")
        for t in range(-4, 61)
    ]
    availability = folder / "availability.jsonl"
    availability.write_text("".join(s.model_dump_json() + "\n" for s in samples))
    rto_result = RtoResult(
        failure_at=FAILURE_AT,
        first_failed_at=at(1.5),
        recovered_at=FAILURE_AT + RTO,
        rto=RTO,
        flaps=0,
        failed_samples=46,
        samples=len(samples),
    )
    availability.with_name("availability.jsonl.result.json").write_text(
        rto_result.model_dump_json()
    )
    acks = [Ack(seq=n, time=at(-2 + (n - 1) * 0.2), target="old") for n in range(1, 17)]
    acks += [Ack(seq=n, time=at(25 + (n - 17) * 0.2), target="new") for n in range(17, 30)]
    canary = folder / "canary.jsonl"
    canary.write_text("".join(a.model_dump_json() + "\n" for a in acks))
    surviving = [a.seq for a in acks if a.seq not in LOST]
    canary.with_name("canary.jsonl.surviving.json").write_text(str(surviving))
    rpo_result = RpoResult(
        failure_at=FAILURE_AT,
        rpo=RPO,
        lost=LOST,
        acknowledged=16,
        newest_surviving_seq=13,
        newest_surviving_at=at(0.4),
    )
    canary.with_name("canary.jsonl.result.json").write_text(rpo_result.model_dump_json())
    return availability, canary


def drill_run(folder: Path, *, failing: bool = False, run_id: str = RUN_ID) -> Run:
    """The recorded drill, its samples written under `folder`."""
    availability, canary = write_samples(folder / "samples")
    return Run(
        id=run_id,
        runbook=RUNBOOK.name,
        scenario="region-failure",
        plan="shop",
        plan_hash="a" * 64,
        runbook_hash="b" * 64,
        status="failed" if failing else "succeeded",
        started_at=T0,
        ended_at=at(24.0 if failing else 24.5),
        executor="drctl-host-1",
        actor="alice",
        steps=step_runs(failing=failing),
        approvals=[
            ApprovalRecord(
                step="declare-disaster",
                actor="alice",
                decision="approve",
                comment="primary down",
                time=at(5),
            ),
            ApprovalRecord(step="declare-disaster", actor="bob", decision="approve", time=at(8.4)),
        ],
        measurements=[
            Measurement(
                name="rto",
                value=RTO,
                target=timedelta(minutes=30),
                passed=True,
                detail="recovered after 46 failed samples",
                samples_ref=str(availability),
            ),
            Measurement(
                name="rpo",
                value=RPO,
                target=timedelta(minutes=5),
                passed=True,
                detail="3 acknowledged writes lost",
                samples_ref=str(canary),
            ),
        ],
        runbook_yaml=yaml.safe_dump(RUNBOOK.model_dump(mode="json", by_alias=True)),
    )


def record_trail(settings: Settings, run_id: str = RUN_ID) -> AuditLog:
    """The run's audit trail: engine events, people's notes, and actions from an earlier drill."""
    log = AuditLog.from_settings(settings)
    log.append_many(
        [
            Entry(run_id, "drctl", "run.started", {}, event_id=f"{run_id}:start", time=at(0)),
            Entry(run_id, "carol", "note", {"text": "DNS TTL was 300s"}, time=at(12)),
            Entry(
                run_id,
                "alice",
                "decision",
                {"decision": "fail over", "reason": "primary down 20m"},
                time=at(3),
            ),
            Entry(run_id, "bob", "problem", {"text": "replica lag alarm missing"}, time=at(16)),
        ]
    )
    earlier = Review(
        actions=[
            ActionItem(text="add DNS step", owner="alice", due=date(2026, 6, 30)),
            ActionItem(text="lower TTL", owner="bob", due=date(2026, 4, 1)),
        ]
    )
    stored = record_review(log, "shop-drill-20260101", "shop", earlier, "carol")
    close_action(log, stored[1].id, "bob", "TTL is 60s now")
    return log
