"""State-database faults mid-run: the run completes, nothing is written twice, the audit chain verifies.

PostgreSQL: drctl's backends terminated (`pg_terminate_backend`) as a step starts and while
steps run, and a server of the test's own restarted mid-run. SQLite: two drctl processes
running at once on one state file while a third keeps taking its write lock.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from tests.engine.conftest import drctl, runbook, until
from tests.scratch_db import PG_ADMIN

from drctl import engine
from drctl.audit.log import AuditLog
from drctl.audit.subscriber import AuditSubscriber
from drctl.audit.verify import verify_chain
from drctl.engine import Engine
from drctl.engine.events import RunEvent
from drctl.providers.postgres_local import LocalServer, find_bin_dir, give_to_server_user
from drctl.runbook.io import dump_runbook
from drctl.runbook.model import Runbook
from drctl.settings import Settings
from drctl_sandbox.lab.servers import SERVER_CONFIG, initdb
from drctl_sandbox.loopback import free_port

pytestmark = pytest.mark.slow

BRANCHES = ("b1", "b2", "b3")


def fan_out(tmp_path: Path, name: str = "faults", seconds: float = 1.5) -> Runbook:
    """a, then b1-b3 side by side (each marks that it started, then works a while), then c.

    Every step appends its id to `log` with no guard, so a step run twice shows twice.
    """
    log = tmp_path / f"{name}.log"
    lines = [
        f'  - {{id: a, title: A, action: shell, params: {{command: "echo a >> {log}"}}}}',
        *(
            f"  - {{id: {b}, title: {b}, action: shell, needs: [a], params: "
            f'{{command: "echo {b} >> {log}; touch {tmp_path}/{name}.{b}.started; '
            f'sleep {seconds}"}}}}'
            for b in BRANCHES
        ),
        f"  - {{id: c, title: C, action: shell, needs: [{', '.join(BRANCHES)}], "
        f'params: {{command: "echo c >> {log}"}}}}',
    ]
    return runbook("\n".join(lines) + "\n", name)


def written_once(log: Path) -> bool:
    return sorted(log.read_text().split()) == sorted(["a", *BRANCHES, "c"])


def assert_recorded_once(url: str, run_id: str) -> None:
    """The chain verifies and holds one start and one success per step."""
    audit = AuditLog(url)
    try:
        assert verify_chain(audit).ok
        kinds = [(e.kind, e.step_id) for e in audit.events(run_id)]
    finally:
        audit.dispose()
    for step in ("a", *BRANCHES, "c"):
        assert kinds.count(("step.started", step)) == 1, step
        assert kinds.count(("step.succeeded", step)) == 1, step
    assert kinds.count(("run.succeeded", None)) == 1


def terminate_backends(admin_dsn: str, database: str) -> int:
    """End every session on `database` but this one, as an operator or a failover would."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A database of its own on the machine's PostgreSQL (its backends are all drctl's)."""
    name = f"drctl_faults_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    engine.shutdown()
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_engine(url: str, tmp_path: Path, *extra: object) -> Engine:
    settings = Settings(home=tmp_path / ".drctl", database_url=url, executor_id="faults")
    subscribers = [*extra, AuditSubscriber(settings)]
    return Engine(settings, subscribers=subscribers)  # type: ignore[arg-type]


class TerminateAtStart:
    """A subscriber that ends drctl's sessions the moment one step starts, before the audit write."""

    def __init__(self, database: str, step_id: str) -> None:
        self.database, self.step_id, self.terminated = database, step_id, 0

    def __call__(self, event: RunEvent) -> None:
        if event.kind == "step.started" and event.step_id == self.step_id and not self.terminated:
            self.terminated = terminate_backends(PG_ADMIN, self.database)


def test_terminating_drctls_backends_as_a_step_starts_does_not_fail_the_run(
    pg_database: str, tmp_path: Path
) -> None:
    url = f"postgresql://postgres@127.0.0.1:5432/{pg_database}"
    killer = TerminateAtStart(pg_database, "b2")
    runner = pg_engine(url, tmp_path, killer)
    run_id = runner.start_run(fan_out(tmp_path), actor="ops", run_id="pg-start")
    run = runner.wait(run_id, timeout=120)
    assert killer.terminated > 0
    assert run.status == "succeeded", [(s.id, s.status, s.detail) for s in run.steps]
    assert written_once(tmp_path / "faults.log")
    assert_recorded_once(url, run_id)


def test_terminating_drctls_backends_mid_step_does_not_fail_the_run(
    pg_database: str, tmp_path: Path
) -> None:
    url = f"postgresql://postgres@127.0.0.1:5432/{pg_database}"
    runner = pg_engine(url, tmp_path)
    run_id = runner.start_run(fan_out(tmp_path), actor="ops", run_id="pg-mid")
    until(lambda: all((tmp_path / f"faults.{b}.started").exists() for b in BRANCHES), 60)
    assert terminate_backends(PG_ADMIN, pg_database) > 0
    run = runner.wait(run_id, timeout=120)
    assert run.status == "succeeded", [(s.id, s.status, s.detail) for s in run.steps]
    assert written_once(tmp_path / "faults.log")
    assert_recorded_once(url, run_id)


@pytest.fixture
def own_server() -> Iterator[LocalServer]:
    """A PostgreSQL server of this test's own, on a spare port, run by the `postgres` OS user."""
    root = Path(tempfile.mkdtemp(prefix="drctl-faults-"))
    os.chmod(root, 0o755)  # the server's user must be able to enter it
    give_to_server_user(root)
    server = LocalServer(find_bin_dir(), root / "data", free_port())
    initdb(server.bin_dir, server.data_dir)
    with (server.data_dir / "postgresql.conf").open("a") as conf:
        conf.write(SERVER_CONFIG + f"\nport = {server.port}\n")
    server.start()
    yield server
    engine.shutdown()
    server.stop("immediate")
    shutil.rmtree(root, ignore_errors=True)


def test_a_restart_of_the_postgresql_server_mid_run_does_not_fail_the_run(
    own_server: LocalServer, tmp_path: Path
) -> None:
    url = f"postgresql://postgres@127.0.0.1:{own_server.port}/postgres"
    runner = pg_engine(url, tmp_path)
    run_id = runner.start_run(fan_out(tmp_path, seconds=1.0), actor="ops", run_id="pg-restart")
    until(lambda: (tmp_path / "faults.b1.started").exists(), 60)
    own_server.stop("fast")  # every session ends; connections are refused until it is back
    threading.Event().wait(1.0)
    own_server.start()
    run = runner.wait(run_id, timeout=180)
    assert run.status == "succeeded", [(s.id, s.status, s.detail) for s in run.steps]
    assert written_once(tmp_path / "faults.log")
    assert_recorded_once(url, run_id)


HOG = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=60)
end = time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    conn.execute("BEGIN IMMEDIATE")
    time.sleep(0.25)
    conn.execute("COMMIT")
    time.sleep(0.02)
"""


def test_two_processes_on_one_sqlite_file_both_finish_while_a_third_holds_its_lock(
    tmp_path: Path,
) -> None:
    home = tmp_path / ".drctl"
    settings = Settings(home=home, database_url="", executor_id="observer")
    url = settings.state_database_url()
    state_file = url.removeprefix("sqlite:///")
    Path(state_file).parent.mkdir(parents=True, exist_ok=True)
    sqlite3.connect(state_file).execute("PRAGMA journal_mode=WAL").connection.close()
    hog = subprocess.Popen([sys.executable, "-c", HOG, state_file, "20"])
    workers = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(dump_runbook(fan_out(tmp_path, name=name, seconds=0.5)))
        workers.append(
            drctl(
                "run",
                str(path),
                "--run-id",
                f"sqlite-{name}",
                env={"DRCTL_HOME": str(home), "DRCTL_EXECUTOR_ID": f"worker-{name}"},
                cwd=tmp_path,
            )
        )
    try:
        for worker in workers:
            output, _ = worker.communicate(timeout=180)
            assert worker.returncode == 0, output
    finally:
        hog.kill()
        hog.wait()
    for name in ("one", "two"):
        assert written_once(tmp_path / f"{name}.log")
        assert_recorded_once(url, f"sqlite-{name}")
