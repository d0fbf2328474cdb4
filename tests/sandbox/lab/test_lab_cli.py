"""`drctl lab up|status|down` as a user runs them: real processes, real servers, a real plan file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from drctl.plan.load import load_plan
from drctl.plan.model import Scenario
from drctl.plan.resources import PostgresReplica
from drctl.providers.postgres import read_state
from drctl.runbook.compile import compile_plan


def drctl(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DRCTL_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", "from drctl.cli import main; main()", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_lab_up_writes_a_plan_for_the_running_servers_and_down_stops_them(scratch: Path) -> None:
    home = scratch / "cli-home"
    try:
        up = drctl("lab", "up", "--sync", "--json", home=home)
        assert up.returncode == 0, up.stderr
        shown = json.loads(up.stdout)
        roles = {s["region"]: s["role"] for s in shown["servers"]}
        assert roles == {"ap-northeast-1": "primary", "ap-southeast-1": "standby"}
        assert shown["servers"][0]["standbys"][0]["sync_state"] == "sync"

        plan = load_plan(Path(shown["plan"]))
        db = plan.resources_of(PostgresReplica)[0]
        assert db.synchronous is True
        assert read_state(db.primary.dsn).writable
        assert read_state(db.standby.dsn).in_recovery
        steps = compile_plan(plan, Scenario.FAILBACK).steps
        assert steps[0].action == "postgres.reprotect"
        assert steps[0].params["data_dir"] == str(home.resolve() / "lab" / "ap-northeast-1")

        again = drctl("lab", "up", home=home)
        assert again.returncode == 2
        assert "a lab already exists" in again.stderr
        status = drctl("lab", "status", home=home)
        assert "ap-southeast-1: standby on port" in status.stdout
    finally:
        down = drctl("lab", "down", home=home)
    assert down.returncode == 0, down.stderr
    assert not (home / "lab").exists()
    gone = drctl("lab", "status", home=home)
    assert gone.returncode == 2
    assert "no lab under" in gone.stderr
