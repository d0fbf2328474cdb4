"""The standing canary: an outage that came before the run still has its data loss measured."""

from __future__ import annotations

import json
import secrets
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from tests.engine.conftest import drctl, until
from tests.scratch_db import scratch_database

from drctl import engine
from drctl.clock import FakeClock
from drctl.measure.standing import STALE, StandingCanary, series, standing_acks
from drctl.measure.store import MeasureStore
from drctl.probes.stores import PostgresStore

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SERVER = "host=127.0.0.1 port=5432 user=postgres"
DSN = f"{SERVER} dbname=test"


@pytest.fixture
def dr_dsn() -> Iterator[str]:
    """A database of its own on the machine's PostgreSQL: the DR side nothing replicates to."""
    with scratch_database("drctl_dr") as name:
        yield f"{SERVER} dbname={name}"


def test_writes_roll_into_hourly_series_and_number_on_across_processes(tmp_path: Path) -> None:
    store = MeasureStore(sa.create_engine(f"sqlite:///{tmp_path / 'drctl.sqlite'}"))
    target = PostgresStore("ap-northeast-1", DSN)
    plan = f"standing-{secrets.token_hex(3)}"
    clock = FakeClock(datetime(2026, 12, 3, 9, 59, 59, tzinfo=UTC))
    first = StandingCanary(plan, lambda: target, store, interval=timedelta(seconds=1), clock=clock)
    first.tick()
    clock.advance(timedelta(seconds=2))  # into the next hour: the next series
    first.tick()
    assert first.acks == [] and first.acknowledged == 2, "journaled, not kept in memory"
    again = StandingCanary(plan, lambda: target, store, interval=timedelta(seconds=1), clock=clock)
    again.tick()
    nine, ten = series(plan, datetime(2026, 12, 3, 9, tzinfo=UTC)), series(plan, clock.now())
    assert nine.endswith(":2026-12-03T09") and ten.endswith(":2026-12-03T10")
    assert [a.seq for _, a in store.acks(nine)] == [1]
    assert [a.seq for _, a in store.acks(ten)] == [2, 3], "a restarted canary numbers on"
    assert target.surviving(nine, {1, 2, 3}) == {1} and target.surviving(ten, {1, 2, 3}) == {2, 3}

    clock.advance(timedelta(hours=25))  # a day later: the old journal rows are let go
    again.tick()
    assert store.acks(nine) == [] and store.acks(ten) == []
    assert [a.seq for _, a in store.acks(series(plan, clock.now()))] == [4]


def test_a_silent_standing_canary_says_nothing_about_the_failure(tmp_path: Path) -> None:
    store = MeasureStore(sa.create_engine(f"sqlite:///{tmp_path / 'drctl.sqlite'}"))
    target = PostgresStore("ap-northeast-1", DSN)
    plan = f"standing-{secrets.token_hex(3)}"
    clock = FakeClock(datetime(2026, 12, 3, 9, 30, tzinfo=UTC))
    canary = StandingCanary(plan, lambda: target, store, interval=timedelta(seconds=1), clock=clock)
    canary.tick()
    written = clock.now()
    found = standing_acks(store, plan, written + timedelta(seconds=5), timedelta(seconds=1))
    assert [a.seq for acks in found.values() for a in acks] == [1]
    assert standing_acks(store, plan, written + STALE * 2, timedelta(seconds=1)) == {}
    assert standing_acks(store, plan, written - timedelta(seconds=1), timedelta(seconds=1)) == {}


@pytest.mark.slow
def test_a_run_started_after_the_failure_measures_rpo_from_the_standing_canary(
    tmp_path: Path, dr_dsn: str
) -> None:
    plan = tmp_path / "plan.yaml"
    name = f"standing-{secrets.token_hex(3)}"
    plan.write_text(
        (EXAMPLES / "lab.yaml").read_text().replace("name: lab\n", f"name: {name}\n")
        + f'probes:\n  canary: {{kind: postgres, dsn: "{DSN}", dr_dsn: "{dr_dsn}", '
        "interval: 50ms}\n",
        encoding="utf-8",
    )
    home = tmp_path / ".drctl"
    home.mkdir()
    env = {"DRCTL_HOME": str(home), "DRCTL_EXECUTOR_ID": "standing-host", "DRCTL_DATABASE_URL": ""}
    store = MeasureStore(sa.create_engine(f"sqlite:///{home / 'drctl.sqlite'}"))
    writer = drctl("canary", str(plan), env=env, cwd=tmp_path)
    try:
        now = datetime.now(UTC)
        until(lambda: len(store.acks(series(name, now))) >= 30, 60, "standing canary writes")
        acks = [a for _, a in store.acks(series(name, now))]
        failure_at, replicated = acks[-1].time, acks[-11].time  # the last ten not yet copied
        _replicate(series(name, now), replicated, dr_dsn)
        writer.send_signal(signal.SIGTERM)
        said, _ = writer.communicate(timeout=30)
        assert writer.returncode == 0, said
        assert "standing canary of" in said and "writes acknowledged" in said

        worker = drctl("run", str(plan), "--scenario", "region-failure", "--run-id", f"{name}-run",
                       "--as", "ops", "--failure-at", failure_at.isoformat(),
                       env=env, cwd=tmp_path)  # fmt: skip
        until(lambda: _waiting(home, f"{name}-run"), 90, "the declare-disaster gate")
        reject = drctl("reject", f"{name}-run", "declare-disaster", "--as", "bob",
                       "--reason", "drill over", env=env, cwd=tmp_path)  # fmt: skip
        assert reject.wait(timeout=60) == 0
        output, _ = worker.communicate(timeout=120)
        shown = drctl("runs", "show", f"{name}-run", "--json", env=env, cwd=tmp_path)
        measured = json.loads(shown.communicate(timeout=60)[0])["measured"]
    finally:
        if writer.poll() is None:
            writer.kill()
        engine.shutdown()

    assert measured["rpo_source"] == "standing", output
    assert measured["lost_writes"] == 10
    assert measured["rpo_seconds"] == pytest.approx((failure_at - replicated).total_seconds())


def _replicate(series_id: str, until_at: datetime, dr_dsn: str) -> None:
    """Copy the series' rows written up to `until_at` to the DR database, as replication would."""
    with psycopg.connect(DSN) as source:
        rows = source.execute(
            "SELECT run_id, seq, written_at FROM drctl_canary WHERE run_id = %s", (series_id,)
        ).fetchall()
    PostgresStore("dr", dr_dsn).surviving("create the table", ())
    with psycopg.connect(dr_dsn) as dr:
        for run_id, seq, written_at in rows:
            if written_at <= until_at:
                dr.execute(
                    "INSERT INTO drctl_canary VALUES (%s, %s, %s)", (run_id, seq, written_at)
                )


def _waiting(home: Path, run_id: str) -> bool:
    database = sa.create_engine(f"sqlite:///{home / 'drctl.sqlite'}")
    query = sa.text("SELECT count(*) FROM drctl_steps WHERE run_id = :r AND status = :s")
    try:
        with database.connect() as conn:
            found = conn.execute(query, {"r": run_id, "s": "waiting-approval"}).scalar()
    except sa.exc.OperationalError:
        return False
    finally:
        database.dispose()
    return bool(found)
