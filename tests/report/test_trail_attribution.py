"""CloudTrail events go under the step that made the call, not the first step running then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from drctl.report.evidence import StepEntry, TrailEntry
from drctl.report.gather import correlate

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def _step(step_id: str, action: str) -> StepEntry:
    return StepEntry(
        id=step_id,
        title=step_id,
        action=action,
        status="succeeded",
        attempts=1,
        started_at=T0,
        ended_at=T0 + timedelta(minutes=5),
    )


def test_a_call_made_while_parallel_steps_ran_goes_under_the_step_whose_action_makes_it() -> None:
    """Finding 3: PromoteReadReplica landed under the Aurora step that ran beside it."""
    steps = [
        _step("promote-aurora", "aws.aurora.failover-global"),
        _step("promote-rds", "aws.rds.promote-read-replica"),
    ]
    at = (T0 + timedelta(minutes=1)).isoformat()
    events = [
        TrailEntry(time=at, name="PromoteReadReplica"),
        TrailEntry(time=at, name="FailoverGlobalCluster"),
        TrailEntry(time=at, name="ChangeResourceRecordSets", step_id="switch-dns"),
    ]
    assert [e.step_id for e in correlate(events, steps)] == [
        "promote-rds",
        "promote-aurora",
        "switch-dns",  # attributed already (request id or resource): kept
    ]
