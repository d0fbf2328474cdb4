"""The conventions SREs expect next to kubectl and the aws CLI: -o, --version, --quiet, full ids, logs, state."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
import yaml

from drctl import __version__, engine
from drctl.cli import app, main
from drctl.cli.options import RunStatus
from drctl.cli.show import select_runs
from drctl.runbook.run import Run
from drctl.runbook.run import RunStatus as RunStatusLiteral
from drctl.settings import Settings, find_home

SHELL = "apiVersion: drctl/v1\nkind: Runbook\nname: {name}\nsteps:\n  - {{id: a, title: A, action: shell, params: {{command: '{command}'}}}}\n"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DRCTL_HOME", str(tmp_path / ".drctl"))
    monkeypatch.setenv("DRCTL_EXECUTOR_ID", "conventions-test")
    monkeypatch.setenv("DRCTL_ACTOR", "alice")
    monkeypatch.delenv("DRCTL_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    engine.shutdown()


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def run_shell(capsys: pytest.CaptureFixture[str], tmp_path: Path, run_id: str, command: str) -> int:
    path = tmp_path / f"{run_id}.yaml"
    path.write_text(SHELL.format(name=run_id.rsplit("-", 1)[0], command=command))
    code, _, _ = cli(capsys, "run", str(path), "--run-id", run_id, "--json")
    return code


def commands() -> dict[str, list[str]]:
    """Command path → the long option names it declares."""
    found: dict[str, list[str]] = {}

    def walk(command: object, prefix: str) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for name, sub in subcommands.items():
                walk(sub, f"{prefix} {name}".strip())
            return
        found[prefix] = [o for p in getattr(command, "params", []) for o in p.opts]

    walk(typer.main.get_command(app), "")
    return found


# Commands that change something and print what they did: `--json` only, no table to choose.
WRITE_COMMANDS = {
    "audit export",
    "audit sign",
    "lab up",
    "report",
    "review",
    "run",
    "runs recover",
    "runs resume",
    "tokens create",
    "sandbox down",
    "sandbox fail",
    "sandbox heal",
    "sandbox up",
    "simulate",
}


def test_every_read_command_takes_dash_o_with_json_as_its_alias() -> None:
    found = commands()
    read = {name for name, opts in found.items() if "--json" in opts} - WRITE_COMMANDS
    assert read >= {"runs list", "runs show", "runs logs", "rules", "validate", "check"}
    assert [name for name in sorted(read) if "--output" not in found[name]] == []


def test_dash_o_yaml_prints_the_same_data_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    _, as_json, _ = cli(capsys, "rules", "--json")
    _, as_yaml, _ = cli(capsys, "rules", "-o", "yaml")
    _, as_o_json, _ = cli(capsys, "rules", "-o", "json")
    assert yaml.safe_load(as_yaml) == json.loads(as_json) == json.loads(as_o_json)


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "--version") == (0, f"drctl {__version__}\n", "")


def test_quiet_prints_nothing_but_keeps_the_exit_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: drctl/v1\nkind: DRPlan\n")
    assert cli(capsys, "--quiet", "validate", str(bad))[:2] == (2, "")
    plan = Path(__file__).resolve().parents[2] / "examples" / "seed-estate.yaml"
    assert cli(capsys, "-q", "validate", str(plan)) == (0, "", "")
    assert cli(capsys, "-q", "validate", str(plan), "--json")[1].startswith("[")


def test_help_shows_no_type_beside_flags_and_no_braces_around_arguments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = cli(capsys, "check", "--help")
    assert "<bool>" not in out
    assert "{" not in out
    assert "Usage: drctl check [OPTIONS] PLAN" in " ".join(out.split())


def test_runs_list_filters_by_status_and_never_cuts_run_ids(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    long_id = "a-runbook-with-a-rather-long-name-20260101-120000-ab12"
    assert run_shell(capsys, tmp_path, long_id, "true") == 0
    assert run_shell(capsys, tmp_path, "broken-20260101-120001-cd34", "exit 3") == 1
    _, out, _ = cli(capsys, "runs", "list", "--status", "failed", "-o", "json")
    assert [r["id"] for r in json.loads(out)] == ["broken-20260101-120001-cd34"]
    _, out, _ = cli(capsys, "runs", "list", "--limit", "1", "--json")
    assert len(json.loads(out)) == 1
    _, out, _ = cli(capsys, "runs", "list")
    assert long_id in out


def test_select_runs_narrows_by_plan_then_limits() -> None:
    runs = [
        Run(id=f"r{i}", runbook="rb", runbook_hash="h", plan=plan, status=status)
        for i, (plan, status) in enumerate(
            [("shop", "failed"), ("my-app", "failed"), ("shop", "succeeded"), ("shop", "failed")]
        )
    ]
    assert [r.id for r in select_runs(runs, plan="shop", status=None, limit=2)] == ["r0", "r2"]
    assert [r.id for r in select_runs(runs, plan="shop", status="failed", limit=9)] == ["r0", "r3"]


def test_the_status_choices_are_the_run_statuses() -> None:
    assert {s.value for s in RunStatus} == set(RunStatusLiteral.__args__)


def test_runs_logs_prints_a_runs_events_and_one_steps(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run_shell(capsys, tmp_path, "logged-20260101-120000-ab12", "echo hi") == 0
    code, out, _ = cli(capsys, "runs", "logs", "logged-20260101-120000-ab12")
    assert code == 0
    assert "run.started" in out or "started" in out
    code, out, _ = cli(capsys, "runs", "logs", "logged-20260101-120000-ab12", "a", "-o", "json")
    events = json.loads(out)
    assert events and {e["step_id"] for e in events} == {"a"}
    code, _, err = cli(capsys, "runs", "logs", "logged-20260101-120000-ab12", "b")
    assert code == 2
    assert "run logged-20260101-120000-ab12 has no step `b`" in err


def test_the_state_directory_is_found_from_a_subdirectory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRCTL_HOME")
    (tmp_path / ".drctl").mkdir()
    deep = tmp_path / "services" / "shop"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert Settings().home == tmp_path / ".drctl"
    assert find_home(tmp_path / "elsewhere") == tmp_path / ".drctl"


def test_drctl_home_wins_over_the_walk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".drctl").mkdir()
    monkeypatch.setenv("DRCTL_HOME", str(tmp_path / "state"))
    assert Settings().home == tmp_path / "state"


def test_runs_list_from_a_subdirectory_shows_the_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRCTL_HOME")
    (tmp_path / ".drctl").mkdir()
    assert run_shell(capsys, tmp_path, "walk-20260101-120000-ab12", "true") == 0
    engine.shutdown()
    sub = tmp_path / "deep" / "er"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    _, out, _ = cli(capsys, "runs", "list", "--json")
    assert [r["id"] for r in json.loads(out)] == ["walk-20260101-120000-ab12"]
