"""The `postgres.*` actions against real servers: promote, fence, verify-writable, lag, reprotect."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from drctl.errors import ProviderError, StateError
from drctl.providers import registry
from drctl.providers.base import ActionContext, StepTimeout
from drctl.providers.postgres import connect, read_state, server_name
from drctl_sandbox.lab.servers import Lab

MakeLab = Callable[..., Lab]


def action(kind: str, **params: Any) -> Any:
    return registry.create(kind, params, ActionContext(run_id="test-run", step_id="step"))


def deadline(seconds: float = 15) -> float:
    return time.monotonic() + seconds


def test_promote_makes_the_standby_writable_and_a_second_apply_changes_nothing(
    make_lab: MakeLab,
) -> None:
    lab = make_lab()
    lab.kill_primary()
    promote = action("postgres.promote", dsn=lab.standby.dsn)
    first = promote.apply()
    assert first.changed is True
    assert first.detail.startswith("promoted in ")
    assert promote.verify(deadline()) == {
        "server": server_name(lab.standby.dsn),
        "in_recovery": False,
    }
    second = promote.apply()
    assert second.changed is False
    assert "already a primary" in second.detail
    assert read_state(lab.standby.dsn).writable


def test_fence_of_a_dead_primary_is_a_reported_no_op(make_lab: MakeLab) -> None:
    lab = make_lab()
    lab.kill_primary()
    fence = action("postgres.fence", dsn=lab.primary.dsn)
    outcome = fence.apply()
    assert outcome.changed is False
    assert outcome.output == {"fenced": True, "reachable": False}
    assert "a dead primary takes no writes" in outcome.detail
    assert fence.verify(deadline()) == {"fenced": True, "reachable": False}


def test_fence_of_a_live_primary_makes_it_refuse_writes_and_ends_open_sessions(
    make_lab: MakeLab,
) -> None:
    lab = make_lab()
    session = psycopg.connect(lab.primary.dsn, autocommit=True)
    session.execute("CREATE TABLE orders (id int)")
    fence = action("postgres.fence", dsn=lab.primary.dsn)
    outcome = fence.apply()
    assert outcome.changed is True
    assert outcome.detail == "set read-only and ended 1 client session(s)"
    assert fence.verify(deadline())["fenced"] is True
    with pytest.raises(psycopg.OperationalError):
        session.execute("INSERT INTO orders VALUES (1)")
    with connect(lab.primary.dsn) as conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("INSERT INTO orders VALUES (2)")
    assert fence.apply().changed is False


def test_verify_writable_on_a_standby_fails_saying_it_refuses_writes(make_lab: MakeLab) -> None:
    lab = make_lab()
    check = action("postgres.verify-writable", dsn=lab.standby.dsn)
    with pytest.raises(StateError) as caught:
        check.apply()
    assert caught.value.code == "25006"
    assert str(caught.value) == (
        f"{server_name(lab.standby.dsn)}: refuses writes: "
        "cannot execute CREATE TABLE in a read-only transaction"
    )
    assert "promote it" in caught.value.hint


def test_verify_writable_round_trips_a_row_on_the_primary(make_lab: MakeLab) -> None:
    lab = make_lab()
    outcome = action("postgres.verify-writable", dsn=lab.primary.dsn).apply()
    with connect(lab.primary.dsn) as conn:
        row = conn.execute(
            "SELECT run_id, step_id FROM drctl_write_check WHERE token = %s",
            (outcome.output["token"],),
        ).fetchone()
    assert row == ("test-run", "step")


def test_replication_lag_passes_when_the_standby_streams_and_times_out_wanting_two(
    make_lab: MakeLab,
) -> None:
    lab = make_lab()
    ok = action("postgres.replication-lag", dsn=lab.primary.dsn, max_lag="5s").verify(deadline())
    assert ok["max_lag_seconds"] is not None and float(str(ok["max_lag_seconds"])) <= 5
    two = action("postgres.replication-lag", dsn=lab.primary.dsn, max_lag="5s", standbys=2)
    with pytest.raises(StepTimeout, match="1 standby\\(s\\) streaming, 2 wanted"):
        two.verify(time.monotonic() + 0.5)


def test_reprotect_rebuilds_the_old_primary_as_a_standby_that_replicates(make_lab: MakeLab) -> None:
    lab = make_lab()
    lab.kill_primary()
    action("postgres.promote", dsn=lab.standby.dsn).apply()
    reprotect = action(
        "postgres.reprotect",
        dsn=lab.standby.dsn,
        standby_dsn=lab.primary.dsn,
        data_dir=str(lab.primary.data_dir),
        bin_dir=str(lab.state.bin_dir),
    )
    outcome = reprotect.apply()
    assert outcome.changed is True
    assert outcome.detail.startswith("rebuilt with pg_rewind")
    assert reprotect.verify(deadline())["wal_receiver"] == "streaming"
    with connect(lab.standby.dsn) as conn:
        conn.execute("CREATE TABLE after_failover (note text)")
        conn.execute("INSERT INTO after_failover VALUES ('written on the new primary')")
    assert _eventually_row(lab.primary.dsn, "SELECT note FROM after_failover") == (
        "written on the new primary",
    )
    assert reprotect.apply().changed is False


def _eventually_row(dsn: str, sql: str) -> tuple[Any, ...] | None:
    """The first row of `sql` once the standby has replayed it (an empty answer is retried too)."""
    end = time.monotonic() + 30
    while True:
        try:
            with connect(dsn) as conn:
                row = conn.execute(sql).fetchone()
            if row is not None or time.monotonic() > end:
                return row
        except (psycopg.Error, ProviderError):
            if time.monotonic() > end:
                raise
        time.sleep(0.05)


def test_errors_name_the_server_but_never_the_password() -> None:
    dsn = "host=127.0.0.1 port=1 dbname=shop user=app password=hunter2-secret"
    with pytest.raises(ProviderError) as caught:
        action("postgres.promote", dsn=dsn).apply()
    text = f"{caught.value} {caught.value.hint}"
    assert caught.value.where == "postgres 127.0.0.1:1/shop"
    assert "hunter2" not in text
    url = "postgresql://app:hunter2-secret@127.0.0.1:1/shop"
    with pytest.raises(ProviderError) as by_url:
        read_state(url)
    assert "hunter2" not in str(by_url.value)
    assert (
        action("postgres.promote", dsn=dsn).describe()
        == "promote standby postgres 127.0.0.1:1/shop to primary (pg_promote)"
    )
