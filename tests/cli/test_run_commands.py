"""`drctl run`, `drctl runs`, `drctl approve/reject` and `drctl runbook show` through `drctl.cli.main`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from drctl import engine
from drctl.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DRCTL_HOME", str(tmp_path / ".drctl"))
    monkeypatch.setenv("DRCTL_EXECUTOR_ID", "cli-test")
    monkeypatch.delenv("DRCTL_DATABASE_URL", raising=False)
    yield tmp_path
    engine.shutdown()


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def write(tmp_path: Path, steps: str) -> Path:
    path = tmp_path / "rb.yaml"
    path.write_text("apiVersion: drctl/v1\nkind: Runbook\nname: cli\nsteps:\n" + steps)
    return path


def test_run_prints_the_run_as_json_and_exits_0_on_success(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "  - {id: a, title: A, action: shell, params: {command: 'echo hi'}}\n")
    code, out, _ = cli(capsys, "run", str(path), "--as", "alice", "--run-id", "cli-1", "--json")
    assert code == 0
    run = json.loads(out)
    assert (run["id"], run["status"], run["actor"]) == ("cli-1", "succeeded", "alice")
    assert run["steps"][0]["output"]["stdout"] == "hi\n"
    code, out, _ = cli(capsys, "runs", "list", "--json")
    assert [r["id"] for r in json.loads(out)] == ["cli-1"]
    code, out, _ = cli(capsys, "runs", "show", "cli-1", "--json")
    assert json.loads(out)["runbook_hash"] == run["runbook_hash"]


def test_a_failed_run_exits_1_and_shows_the_error_and_hint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "  - {id: a, title: A, action: shell, params: {command: 'exit 7'}}\n")
    code, out, _ = cli(capsys, "run", str(path), "--as", "alice")
    assert code == 1
    assert "exited with status 7" in out
    assert "hint: run the command by hand" in out


def test_dry_run_describes_waves_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        f"  - {{id: a, title: A, action: shell, estimate: 2m, params: {{command: 'touch {tmp_path}/x'}}}}\n",
    )
    code, out, _ = cli(capsys, "run", str(path), "--dry-run")
    assert code == 0
    assert out.splitlines() == [
        "dry run of cli: nothing will be read or changed",
        "wave 1 (~2m):",
        f"  a run `touch {tmp_path}/x`",
        "estimated duration (critical path): 2m",
    ]
    assert not (tmp_path / "x").exists()


def test_a_bad_runbook_exits_2_with_its_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "  - {id: a, title: A, action: shel}\n")
    code, _, err = cli(capsys, "run", str(path))
    assert code == 2
    assert f"{path}:5:23: step `a`: unknown action kind `shel`" in err
    assert "did you mean `shell`?" in err


def test_running_a_plan_needs_a_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "run", str(EXAMPLES / "seed-estate.yaml"))
    assert code == 2
    assert "is a plan, not a runbook" in err and "--scenario" in err


def test_approving_an_unknown_run_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "approve", "nope", "gate", "--as", "alice", "--reason", "go")
    assert code == 2
    assert "no run `nope`" in err


def test_runbook_show_lists_waves_as_json(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "  - {id: a, title: A, action: noop}\n  - {id: b, title: B, action: noop}\n"
        "  - {id: c, title: C, action: noop, needs: [a, b]}\n",
    )
    code, out, _ = cli(capsys, "runbook", "show", str(path), "--json")
    assert code == 0
    assert json.loads(out)["waves"] == [["a", "b"], ["c"]]


def test_a_note_on_a_run_goes_through_the_engine_into_the_trail_and_the_chain_verifies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, "  - {id: a, title: A, action: noop}\n")
    assert cli(capsys, "run", str(path), "--run-id", "cli-note", "--as", "alice", "--json")[0] == 0
    code, out, _ = cli(
        capsys, "note", "cli-note", "rotated; password=hunter2-s3cret", "--as", "bob"
    )
    assert (code, out) == (0, "recorded note as seq 5 by bob\n")
    _, out, _ = cli(capsys, "audit", "events", "--run", "cli-note", "--json")
    events = json.loads(out)
    kinds = ["run.started", "step.started", "step.succeeded", "run.succeeded", "note"]
    assert [e["kind"] for e in events] == kinds
    note = events[-1]
    assert (note["seq"], note["actor"]) == (5, "bob")
    assert note["event_id"].startswith("cli-note:-:note:")  # the engine's deterministic event id
    assert note["payload"] == {"text": "rotated; password=[REDACTED]"}
    code, out, _ = cli(capsys, "audit", "verify")
    assert (code, out) == (0, "chain valid: 5 events\n")


REGION_FAILURE = (
    "apiVersion: drctl/v1\nkind: Runbook\nname: prod-rf\nscenario: region-failure\nsteps:\n"
    "  - {id: touch, title: Touch, action: shell, params: {command: 'touch ran'}}\n"
    "  - {id: gate, title: Promote, action: approval, needs: [touch], approval: {required: 2}}\n"
)


def test_auto_approve_is_refused_for_a_production_region_failure_before_anything_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 1: `--auto-approve` was accepted on a production region-failure runbook."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DRCTL_AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)  # boto3 honours it too
    path = tmp_path / "rf.yaml"
    path.write_text(REGION_FAILURE)
    code, _, err = cli(capsys, "run", str(path), "--auto-approve", "--run-id", "rf-1")
    assert code == 2
    assert "--auto-approve is refused for the region-failure runbook `prod-rf`" in err
    assert not (tmp_path / "ran").exists()
    assert cli(capsys, "runs", "list", "--json")[1].strip() == "[]"


def test_auto_approve_stays_available_against_the_sandbox_and_is_recorded(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DRCTL_AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    path = tmp_path / "rf.yaml"
    path.write_text(REGION_FAILURE)
    code, out, _ = cli(capsys, "run", str(path), "--auto-approve", "--run-id", "rf-2", "--json")
    assert code == 0
    approvals = json.loads(out)["approvals"]
    assert [a["actor"] for a in approvals] == ["auto-approve (demo)", "auto-approve (demo) #2"]
    assert all(a["identity"]["kind"] == "os" for a in approvals)


def test_approve_reject_and_cancel_need_a_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for args in (
        ["approve", "r", "gate", "--reason", " "],
        ["reject", "r", "gate", "--reason", ""],
        ["runs", "cancel", "r", "--reason", ""],
    ):
        code, _, err = cli(capsys, *args)
        assert code == 2 and "a reason is required" in err, args


ECHO_DRILL = (
    "apiVersion: drctl/v1\nkind: Runbook\nname: my-app-drill\nplan: my-app\nscenario: drill\n"
    "steps:\n"
    "  - {id: one, title: One, action: shell, params: {command: 'echo one'}}\n"
    "  - {id: two, title: Two, action: shell, needs: [one], params: {command: 'echo two'}}\n"
    "  - {id: three, title: Three, action: shell, needs: [two], params: {command: 'echo 3'}}\n"
)


def _drill_status(capsys: pytest.CaptureFixture[str], *plans: str) -> dict[str, object]:
    code, out, _ = cli(capsys, "drills", *plans, "--json")
    assert code == 1  # the other scenarios are never drilled: overdue
    found: dict[str, object] = next(
        d for d in json.loads(out)["drills"] if d["scenario"] == "drill"
    )
    return found


def test_a_hand_written_echo_runbook_labelled_as_a_drill_is_not_counted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Finding 2: three `echo` steps labelled `plan: my-app, scenario: drill` counted a drill."""
    path = tmp_path / "echo.yaml"
    path.write_text(ECHO_DRILL)
    code, out, _ = cli(capsys, "run", str(path), "--run-id", "echo-1", "--json")
    assert code == 0
    provenance = json.loads(out)["provenance"]
    assert (provenance["source"], provenance["plan_hash"]) == ("no-plan", None)
    seed = str(EXAMPLES / "seed-estate.yaml")
    for plans in ((seed,), ()):
        status = _drill_status(capsys, *plans)
        assert status["last_success_at"] is None and status["overdue"] is True
        last = status["last_run"]
        assert isinstance(last, dict)
        assert last["not_counted"] == "its runbook was not compiled from a plan (no plan hash)"
    # Against the plan it is an edited runbook: it counts only once accepted with a reason.
    code, out, _ = cli(capsys, "run", str(path), "--plan", seed, "--run-id", "echo-2", "--json")
    provenance = json.loads(out)["provenance"]
    assert provenance["source"] == "edited" and provenance["plan_hash"] is not None
    assert provenance["compiled_hash"] != provenance["runbook_hash"]
    assert _drill_status(capsys, seed)["last_success_at"] is None
    why = "tabletop variant approved in CAB-7"
    args = ["run", str(path), "--plan", seed, "--accept-edited", why, "--run-id", "echo-3"]
    assert cli(capsys, *args)[0] == 0
    status = _drill_status(capsys, seed)
    assert status["last_success_at"] is not None
    assert isinstance(status["last_run"], dict) and status["last_run"]["run_id"] == "echo-3"
    out_dir = tmp_path / "reports"
    for run_id in ("echo-1", "echo-3"):
        args = ["report", run_id, "-o", str(out_dir), "--no-cloudtrail", "--format", "md"]
        assert cli(capsys, *args)[0] == 0
    first = (out_dir / "echo-1.md").read_text()
    assert "- Drill decision: does not count as a drill exercise: its runbook was not" in first
    third = (out_dir / "echo-3.md").read_text()
    assert f"- Plan SHA-256: `{provenance['plan_hash']}`" in third
    assert f"- Runbook SHA-256 compiled from the plan: `{provenance['compiled_hash']}`" in third
    assert f"- Runbook provenance: edited (accepted: {why})" in third
    assert f"counts as a drill exercise of plan my-app (edited runbook accepted: {why})" in third
    assert "## Who acted (verified identities)" in third and " start: " in third


def test_runs_latencies_writes_step_durations_in_aws_time_that_the_sandbox_reads(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from drctl.yamlsource import load_model
    from drctl_sandbox.latencies import LatencyFile

    path = write(tmp_path, "  - {id: a, title: A, action: shell, params: {command: 'sleep 0.2'}}\n")
    assert cli(capsys, "run", str(path), "--as", "alice", "--run-id", "lat-1")[0] == 0
    out = tmp_path / "latencies.yaml"

    code, printed, _ = cli(
        capsys, "runs", "latencies", "lat-1", "-o", str(out), "--time-scale", "0.01"
    )

    assert code == 0 and "wrote 1 step durations" in printed
    assert out.read_text().startswith("# Measured step durations of run lat-1, in AWS time")
    steps = load_model(out, LatencyFile).steps
    assert list(steps) == ["a"]
    assert 20 <= steps["a"].total_seconds() <= 200  # 0.2 s of wall time at scale 0.01
