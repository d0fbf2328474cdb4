"""Two workers sharing PostgreSQL: one dies mid-run, `drctl runs recover` on the other finishes it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.engine.conftest import drctl, until
from tests.engine.test_crash import chain, kill_group, status_of

from drctl import engine
from drctl.settings import Settings

pytestmark = pytest.mark.slow


@pytest.fixture
def pg_settings(postgres_url: str, tmp_path: Path) -> Iterator[Settings]:
    yield Settings(home=tmp_path / ".drctl", database_url=postgres_url, executor_id="observer")
    engine.shutdown()


def test_recover_on_a_second_worker_finishes_the_run_of_a_killed_one(
    pg_settings: Settings, postgres_url: str, tmp_path: Path
) -> None:
    run_id = f"pg-{secrets.token_hex(3)}"
    shared = {"DRCTL_DATABASE_URL": postgres_url, "DRCTL_HOME": str(tmp_path / ".drctl")}
    worker_a = drctl(
        "run",
        str(chain(tmp_path)),
        "--run-id",
        run_id,
        env={**shared, "DRCTL_EXECUTOR_ID": "worker-a"},
        cwd=tmp_path,
    )
    until(lambda: (tmp_path / "s3.done").exists(), 90, "worker A to reach step s3")
    kill_group(worker_a.pid)
    worker_a.wait()
    assert status_of(run_id, pg_settings) == "running"
    assert engine.status(run_id, settings=pg_settings).executor == "worker-a"

    worker_b = drctl(
        "runs",
        "recover",
        "--executor",
        "worker-a",
        "--json",
        env={**shared, "DRCTL_EXECUTOR_ID": "worker-b"},
        cwd=tmp_path,
    )
    output, _ = worker_b.communicate(timeout=120)
    assert worker_b.returncode == 0, output

    run = engine.status(run_id, settings=pg_settings)
    assert run.status == "succeeded"
    assert run.executor == "worker-b"
    assert (tmp_path / "log").read_text() == "s1\ns2\ns3\ns4\ns5\n"
    assert run.step("s3").detail == "already done (guard satisfied); not run again"
