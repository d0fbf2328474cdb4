"""Which state-database errors are retried, and for how long."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from drctl.errors import RunError
from drctl.transient import is_transient, retry_transient


def raised(operation: Callable[[], object]) -> BaseException:
    try:
        operation()
    except (sa.exc.SQLAlchemyError, RunError) as exc:
        return exc
    raise AssertionError("nothing raised")


@pytest.fixture
def sqlite(tmp_path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'state.db'}", connect_args={"timeout": 0})
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("INSERT INTO t VALUES (1)")
    return engine


def test_sqlite_database_is_locked_is_transient(sqlite: sa.Engine) -> None:
    with sqlite.connect() as holder:
        holder.exec_driver_sql("BEGIN IMMEDIATE")

        def write() -> None:
            with sqlite.begin() as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (2)")

        error = raised(write)
        holder.exec_driver_sql("ROLLBACK")
    assert "database is locked" in str(error)
    assert is_transient(error)


def test_a_constraint_violation_is_not_transient(sqlite: sa.Engine) -> None:
    def duplicate() -> None:
        with sqlite.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")

    assert not is_transient(raised(duplicate))


def test_a_transient_fault_is_found_behind_the_errors_it_was_wrapped_in(sqlite: sa.Engine) -> None:
    with sqlite.connect() as holder:
        holder.exec_driver_sql("BEGIN IMMEDIATE")

        def audit_write() -> None:
            try:
                with sqlite.begin() as conn:
                    conn.exec_driver_sql("INSERT INTO t VALUES (3)")
            except sa.exc.OperationalError as exc:
                raise RunError("event subscriber AuditSubscriber failed") from exc

        error = raised(audit_write)
        holder.exec_driver_sql("ROLLBACK")
    assert is_transient(error)


def test_retry_backs_off_from_50_ms_and_stops_at_the_budget(sqlite: sa.Engine) -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    with sqlite.connect() as holder:
        holder.exec_driver_sql("BEGIN IMMEDIATE")

        def write() -> None:
            with sqlite.begin() as conn:
                conn.exec_driver_sql("INSERT INTO t VALUES (4)")

        with pytest.raises(sa.exc.OperationalError, match="database is locked"):
            retry_transient(write, budget=3.0, sleep=sleep, monotonic=lambda: now[0])
        holder.exec_driver_sql("ROLLBACK")
    assert slept == [0.05, 0.1, 0.2, 0.4, 0.8, 1.0]


def test_retry_returns_once_the_fault_clears(sqlite: sa.Engine) -> None:
    holder = sqlite.connect()
    holder.exec_driver_sql("BEGIN IMMEDIATE")

    def release_after_first_try(_seconds: float) -> None:
        holder.exec_driver_sql("ROLLBACK")
        holder.close()

    def write() -> int:
        with sqlite.begin() as conn:
            conn.exec_driver_sql("INSERT INTO t VALUES (5)")
        return 5

    assert retry_transient(write, sleep=release_after_first_try) == 5
