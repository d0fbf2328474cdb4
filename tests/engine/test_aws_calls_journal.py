"""The journal's AWS call table, on SQLite and PostgreSQL: batches stored once, read back in order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from drctl.engine.journal import Journal
from drctl.runbook.run import AwsCall

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _calls(step: str, attempt: int, n: int, start: int = 1) -> list[AwsCall]:
    return [
        AwsCall(
            step_id=step,
            attempt=attempt,
            seq=i,
            service="rds",
            operation="DescribeDBClusters" if i % 2 else "FailoverGlobalCluster",
            region="ap-southeast-1",
            resource=f"DBClusterIdentifier=c-{i}",
            time=T0 + timedelta(seconds=attempt, milliseconds=i),
            request_id=f"req-{step}-{attempt}-{i}",
            http_status=200 if i % 3 else 400,
            error_code="" if i % 3 else "InvalidGlobalClusterStateFault",
        )
        for i in range(start, start + n)
    ]


@pytest.fixture(params=["sqlite", "postgres"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Journal:
    if request.param == "sqlite":
        return Journal(f"sqlite:///{tmp_path / 'state.db'}")
    return Journal(request.getfixturevalue("postgres_url"))


def test_batches_of_calls_are_stored_once_and_read_back_in_call_order(journal: Journal) -> None:
    first, rest = _calls("promote", 1, 50), _calls("promote", 1, 7, start=51)
    journal.add_calls("run-a", first)
    journal.add_calls("run-a", first)  # a retried batch whose commit had landed: no duplicate
    journal.add_calls("run-a", rest)
    journal.add_calls("run-a", _calls("promote", 2, 3))
    journal.add_calls("run-b", _calls("other", 1, 2))
    journal.add_calls("run-a", [])

    stored = journal.calls_of("run-a")
    assert stored == first + rest + _calls("promote", 2, 3)
    assert [c.step_id for c in journal.calls_of("run-b")] == ["other", "other"]
    assert journal.calls_of("run-c") == []
    assert stored[2].error_code == "InvalidGlobalClusterStateFault" and stored[2].http_status == 400
    journal.close()
