"""The plan commands through the real console script entry point (`drctl.cli.main`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drctl.cli import main
from drctl.errors import PlanError
from drctl.plan.load import load_plan
from drctl.plan.model import Strategy

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def test_every_example_validates(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(str(p) for p in EXAMPLES.glob("*.yaml"))
    code, out, _ = run(capsys, "validate", *files, "--json")
    assert code == 0
    assert [r["valid"] for r in json.loads(out)] == [True] * len(files)


def test_invalid_plan_exits_2_with_a_located_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "seed-estate.yaml").read_text().replace("rto: 30m", "rto: 30"))
    code, out, _ = run(capsys, "validate", str(bad))
    assert code == 2
    assert f"{bad}:17:3:" in out
    assert "objectives.rto: `30` needs a unit, e.g. `30m`" in out
    assert "Traceback" not in out


@pytest.mark.parametrize("strategy", list(Strategy))
def test_init_writes_a_starter_plan_that_validates(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, strategy: Strategy
) -> None:
    target = tmp_path / "plan.yaml"
    code, _, _ = run(
        capsys, "init", "--strategy", strategy.value, "--name", "shop", "-o", str(target)
    )
    assert code == 0
    plan = load_plan(target)
    assert plan.strategy is strategy
    assert "#" in target.read_text()  # commented for people


def test_init_refuses_to_overwrite(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "plan.yaml"
    target.write_text("keep me")
    code, _, err = run(capsys, "init", "-o", str(target))
    assert code == 2
    assert "already exists" in err and "--force" in err
    assert target.read_text() == "keep me"


def test_advise_from_objectives_recommends_warm_standby(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "advise", "--rto", "30m", "--rpo", "5m", "--json")
    assert code == 0
    assert json.loads(out)["recommended"] == "warm-standby"


def test_advise_exits_1_when_the_plan_cannot_meet_its_objectives(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        (EXAMPLES / "seed-estate.yaml")
        .read_text()
        .replace("strategy: warm-standby", "strategy: backup-restore")
    )
    code, out, _ = run(capsys, "advise", str(plan))
    assert code == 1
    assert "backup-restore cannot meet RTO 30m" in out
    assert "fix:" in out


def test_advise_with_bad_duration_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "advise", "--rto", "30", "--rpo", "5m")
    assert code == 2
    assert "needs a unit" in err


def test_schema_is_json_schema_of_the_plan(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"apiVersion", "objectives", "resources", "strategy"} <= set(schema["properties"])


def test_debug_lets_the_traceback_through(tmp_path: Path) -> None:
    with pytest.raises(PlanError):
        main(["--debug", "advise", str(tmp_path / "missing.yaml")])


def test_bad_option_value_is_a_usage_error_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "init", "--strategy", "bogus")
    assert code == 2
    assert "Traceback" not in out + err
    assert "'bogus' is not one of" in err
