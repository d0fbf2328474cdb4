"""Measured RTO and RPO of a real region failure on the lab equal what the raw evidence says.

Each scenario runs `run_lab_failover` once (a fresh lab, SIGKILL of the primary, the compiled
region-failure runbook through the engine). The tests recompute lost writes and the RPO from
the canary's acknowledged-write log and a SQL query on the new primary, and check the RTO
against the injected failure and the standby app's own record of its first healthy answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from drctl import engine
from drctl.runbook.run import Measurement
from drctl.settings import Settings
from drctl_sandbox.lab.demo import LabResult, Timing, run_lab_failover
from drctl_sandbox.lab.servers import Lab, initdb_template

pytestmark = pytest.mark.slow
TIMING = Timing()
SCENARIOS = {  # name: (inject lag, synchronous standby)
    "async": (False, False),
    "async-lag-1": (True, False),
    "async-lag-2": (True, False),
    "sync": (False, True),
}


@pytest.fixture(scope="module")
def settings(scratch: Path) -> Iterator[Settings]:
    yield Settings(home=scratch / ".drctl", database_url="", executor_id="lab-test")
    engine.shutdown()


@pytest.fixture(scope="module")
def failovers(
    settings: Settings, scratch: Path
) -> Iterator[dict[str, tuple[LabResult, set[int], Lab]]]:
    """Run every scenario once; keep each lab until the module ends so the tests can query it."""
    done: dict[str, tuple[LabResult, set[int], Lab]] = {}
    template = initdb_template(scratch)
    try:
        for name, (lag, sync) in SCENARIOS.items():
            root = scratch / f"failover-{name}"
            result = run_lab_failover(
                settings, root=root, keep=True, template=template, lag=lag, sync=sync
            )
            lab = Lab.load(root)
            done[name] = (result, _rows_on(lab.standby.dsn, result.run_id), lab)
        yield done
    finally:
        for _, _, lab in done.values():
            lab.destroy()


def _rows_on(dsn: str, run_id: str) -> set[int]:
    with psycopg.connect(dsn) as conn:
        return {
            r[0] for r in conn.execute("SELECT seq FROM drctl_canary WHERE run_id = %s", (run_id,))
        }


def _acks(result: LabResult) -> list[dict[str, object]]:
    lines = (result.samples_dir / "canary.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line]


def _reported(settings: Settings, run_id: str, name: str) -> Measurement:
    run = engine.status(run_id, settings=settings)
    return next(m for m in run.measurements if m.name == name)


def _independent_rpo(result: LabResult, rows: set[int]) -> tuple[list[int], timedelta]:
    """Lost acknowledged writes and RPO, from the acknowledgement log and the new primary's rows."""
    old = [a for a in _acks(result) if a["target"] == "ap-northeast-1"]
    lost = sorted(int(str(a["seq"])) for a in old if a["seq"] not in rows)
    if not lost:
        return lost, timedelta(0)
    surviving_times = [datetime.fromisoformat(str(a["time"])) for a in old if a["seq"] in rows]
    return lost, result.failure_at - max(surviving_times)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_reported_rpo_and_lost_writes_equal_the_count_from_the_new_primary(
    scenario: str, failovers: dict[str, tuple[LabResult, set[int], Lab]], settings: Settings
) -> None:
    result, rows, _ = failovers[scenario]
    assert result.run_status == "succeeded"
    lost, rpo = _independent_rpo(result, rows)
    reported = _reported(settings, result.run_id, "rpo")
    assert reported.value == rpo
    assert result.rpo.lost == lost
    assert reported.detail.startswith(f"{len(lost)} acknowledged writes lost of ")
    assert json.loads((result.samples_dir / "canary.jsonl.surviving.json").read_text()) == sorted(
        rows
    )


@pytest.mark.parametrize("scenario", ["async-lag-1", "async-lag-2"])
def test_paused_wal_shipping_loses_the_writes_acknowledged_since_the_pause(
    scenario: str, failovers: dict[str, tuple[LabResult, set[int], Lab]]
) -> None:
    result, _, _ = failovers[scenario]
    assert result.rpo.rpo is not None
    assert len(result.rpo.lost) >= 5
    window = timedelta(seconds=TIMING.lag_window)
    assert window * 0.8 <= result.rpo.rpo <= window * 2


def test_a_synchronous_standby_loses_no_acknowledged_write(
    failovers: dict[str, tuple[LabResult, set[int], Lab]],
) -> None:
    result, rows, _ = failovers["sync"]
    assert result.synchronous is True
    assert result.rpo.rpo == timedelta(0)
    assert result.rpo.lost == []
    assert result.rpo.acknowledged >= 5
    assert {int(str(a["seq"])) for a in _acks(result) if a["target"] == "ap-northeast-1"} <= rows


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_rto_spans_the_injected_failure_to_the_first_healthy_answer_within_one_interval(
    scenario: str, failovers: dict[str, tuple[LabResult, set[int], Lab]], settings: Settings
) -> None:
    result, _, _ = failovers[scenario]
    reported = _reported(settings, result.run_id, "rto")
    assert reported.value is not None and result.first_healthy_at is not None
    recovered_at = result.failure_at + reported.value
    # A sample is stamped when its request starts, the app logs when it answers: the two may
    # differ by one interval plus the time that request took (long on a loaded machine).
    samples = [
        json.loads(line)
        for line in (result.samples_dir / "availability.jsonl").read_text().splitlines()
    ]
    at = [s for s in samples if datetime.fromisoformat(s["time"]) == recovered_at]
    first_ok = next((s for s in at if s["ok"]), None)
    assert first_ok is not None, ("no successful sample starts the recovered streak", at)
    slack = timedelta(seconds=TIMING.probe_interval, milliseconds=first_ok["latency_ms"])
    near = [s for s in samples if abs(datetime.fromisoformat(s["time"]) - recovered_at) < slack * 3]
    assert abs(recovered_at - result.first_healthy_at) <= slack, (result.failure_at, near)
    assert reported.passed is True
