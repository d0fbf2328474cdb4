"""The shared options mean the same in every command: `--as`, `--scenario`, `--format`, `--plan`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from tests.engine.conftest import until

from drctl import engine
from drctl.audit.log import AuditLog
from drctl.cli import app, main
from drctl.plan.model import Scenario
from drctl.runbook.io import parse_runbook
from drctl.settings import Settings

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SEED = str(EXAMPLES / "seed-estate.yaml")
ACTOR_HELP = "Who is acting (default: $DRCTL_ACTOR, else the OS user)."
GATED = """\
apiVersion: drctl/v1
kind: Runbook
name: gated
steps:
  - {id: gate, title: Go ahead, action: approval, approval: {required: 1}}
"""


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("DRCTL_HOME", str(tmp_path / ".drctl"))
    monkeypatch.setenv("DRCTL_EXECUTOR_ID", "options-test")
    monkeypatch.setenv("DRCTL_ACTOR", "alice")
    monkeypatch.delenv("DRCTL_DATABASE_URL", raising=False)
    monkeypatch.delenv("DRCTL_AUDIT_SIGNING_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    engine.shutdown()


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, " ".join(err.replace("│", " ").split())


def commands_with(option: str) -> dict[str, str]:
    """Command path → help of its `option`, for every command that declares it."""
    found: dict[str, str] = {}

    def walk(command: object, prefix: str) -> None:
        for name, sub in (getattr(command, "commands", None) or {}).items():
            walk(sub, f"{prefix} {name}".strip())
        for param in getattr(command, "params", []):
            if option in param.opts:
                found[prefix] = param.help or ""

    walk(typer.main.get_command(app), "")
    return found


@pytest.mark.parametrize(
    "args",
    [
        ["run", SEED, "--scenario", "regoin-failure"],
        ["compile", SEED, "--scenario", "regoin-failure"],
        ["demo", "--scenario", "regoin-failure"],
    ],
    ids=["run", "compile", "demo"],
)
def test_a_misspelt_scenario_is_a_usage_error_that_lists_the_scenarios(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, out, err = cli(capsys, *args)
    assert code == 2
    assert "Traceback" not in out + err and "ValueError" not in err
    assert "Invalid value for '--scenario' / '-s'" in err and "'regoin-failure'" in err
    assert all(f"'{scenario}'" in err for scenario in Scenario)


@pytest.mark.parametrize(
    "args",
    [
        ["check", SEED, "--static", "--format", "xml"],
        ["report", "some-run", "--format", "html,yaml"],
        ["drills", "--format", "yaml"],
        ["runbook", "show", SEED, "--format", "yaml"],
    ],
    ids=["check", "report", "drills", "runbook-show"],
)
def test_an_unknown_format_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, out, err = cli(capsys, *args)
    assert code == 2
    assert "Invalid value for '--format'" in err and ("yaml" in err or "xml" in err)
    assert "Traceback" not in out + err


def test_every_as_option_is_the_shared_one_that_honours_drctl_actor() -> None:
    assert commands_with("--as") == dict.fromkeys(
        ["actions close", "approve", "audit export", "audit sign", "decide", "note", "problem",
         "reject", "review", "run", "runs cancel", "runs resume"],
        ACTOR_HELP,
    )  # fmt: skip


def test_every_plan_option_is_the_plan_file() -> None:
    helps = commands_with("--plan")
    assert sorted(helps) == [
        "actions list",
        "audit export",
        "demo",
        "report",
        "review",
        "run",
        "runs list",
        "sandbox up",
    ]
    assert set(helps.values()) == {"The plan file (YAML)."}


def test_drctl_actor_is_who_runs_notes_reviews_and_signs_without_as(
    capsys: pytest.CaptureFixture[str], home: Path
) -> None:
    runbook = home / "rb.yaml"
    runbook.write_text(GATED.replace("action: approval, approval: {required: 1}", "action: noop"))
    code, out, _ = cli(capsys, "run", str(runbook), "--run-id", "r1", "--json")
    assert (code, json.loads(out)["actor"]) == (0, "alice")
    for args in (
        ["note", "r1", "looked fine"],
        ["decide", "r1", "carry on", "--reason", "green"],
        ["problem", "r1", "slow DNS"],
        ["review", "r1", "--plan", SEED, "--action", "lower TTL", "--owner", "bob", "--due", "2026-06-30"],
        ["actions", "close", "1"],
        ["audit", "keygen", "-o", "key.pem"],
        ["audit", "sign", "--key", "key.pem"],
    ):  # fmt: skip
        assert cli(capsys, *args)[0] == 0, args
    log = AuditLog.from_settings(Settings())
    recorded = {
        e.kind: e.actor for e in log.events("r1") if not e.kind.startswith(("run.", "step."))
    }
    assert recorded == {"note": "alice", "decision": "alice", "problem": "alice",
                        "review.action": "alice", "review.action_closed": "alice"}  # fmt: skip
    code, out, _ = cli(capsys, "audit", "verify", "--json")
    assert [s["signer"] for s in json.loads(out)["signatures"]] == ["alice"]


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_drctl_actor_is_who_approves_or_rejects_without_as(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, decision: str
) -> None:
    monkeypatch.setenv("DRCTL_ACTOR", "bob")
    settings = Settings()
    run_id = engine.start_run(parse_runbook(GATED), settings=settings, actor="alice")
    until(
        lambda: engine.status(run_id, settings=settings).step("gate").status == "waiting-approval",
        what="the gate to wait for approval",
    )
    extra = ["--reason", "not yet"]
    code, out, _ = cli(capsys, decision, run_id, "gate", *extra)
    assert code == 0 and f"of gate by bob sent to run {run_id}" in out
    run = engine.wait(run_id, 60, settings=settings)
    assert [(a.actor, a.decision) for a in run.approvals] == [("bob", decision)]
