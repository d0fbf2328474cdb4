"""Runbook files get the plan's input checks: regions, URLs, timeouts and the file's `kind`."""

from __future__ import annotations

from pathlib import Path

import pytest

from drctl.cli import main
from drctl.errors import PlanError, RunbookError
from drctl.plan.load import load_plan
from drctl.runbook.io import load_runbook, parse_runbook

GOLDEN = Path(__file__).resolve().parent / "golden" / "seed-estate-drill.yaml"
SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-estate.yaml"


def _edited(*edits: tuple[int, str, str]) -> str:
    """The golden drill runbook with `old` replaced by `new` on the given (1-based) lines."""
    lines = GOLDEN.read_text().splitlines(keepends=True)
    for number, old, new in edits:
        assert old in lines[number - 1], (number, lines[number - 1])
        lines[number - 1] = lines[number - 1].replace(old, new)
    return "".join(lines)


def _problems(text: str) -> list[str]:
    with pytest.raises(RunbookError) as caught:
        parse_runbook(text, "rb.yaml")
    return [f"{p.where}: {p.message}" for p in caught.value.problems]


def test_the_golden_runbook_passes_the_input_checks() -> None:
    assert parse_runbook(GOLDEN.read_text(), "rb.yaml").name == "my-app-drill"


def test_every_bad_region_url_and_zero_timeout_is_listed_at_its_line() -> None:
    text = _edited(
        (19, "5m", "0s"),
        (29, "ap-southeast-1", "ap-southeast-9"),
        (42, "ap-southeast-1", "ap-sotheast-1"),
        (402, "https://", "https//"),
    )
    assert sorted(_problems(text)) == sorted(
        [
            "rb.yaml:42:3: steps[1].region: `ap-sotheast-1` is not an AWS region; "
            "did you mean `ap-southeast-1`?",
            "rb.yaml:29:5: steps[1].params.region: `ap-southeast-9` is not an AWS region; "
            "did you mean `ap-southeast-7`?",
            "rb.yaml:402:5: steps[18].params.url: "
            "`https//my-app-apse1.ap-southeast-1.elb.amazonaws.com/health` is not a valid "
            "http(s) URL (relative URL without a base)",
            "rb.yaml:19:3: steps[0].timeout: a timeout of `0s` ends the step before it starts",
        ]
    )


def test_a_step_reference_in_a_url_is_left_for_run_time() -> None:
    text = _edited((399, "https://my-app-apse1.ap-southeast-1.elb.amazonaws.com", "${steps.a.b}"))
    assert all("not a valid http(s) URL" not in p for p in _safe_problems(text))


def _safe_problems(text: str) -> list[str]:
    try:
        parse_runbook(text, "rb.yaml")
    except RunbookError as exc:
        return [p.message for p in exc.problems]
    return []


def test_a_plan_given_as_a_runbook_says_what_it_is() -> None:
    with pytest.raises(RunbookError) as caught:
        load_runbook(SEED)
    assert str(caught.value) == (
        f"{SEED}:4:1: this file is a DR plan (`kind: DRPlan`), not a runbook"
    )
    assert "drctl compile" in caught.value.hint
    assert len(caught.value.problems) == 1


def test_a_runbook_given_as_a_plan_says_what_it_is() -> None:
    with pytest.raises(PlanError) as caught:
        load_plan(GOLDEN)
    assert (
        str(caught.value)
        == f"{GOLDEN}:2:1: this file is a runbook (`kind: Runbook`), not a DR plan"
    )
    assert len(caught.value.problems) == 1


def test_validate_checks_runbooks_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "rb.yaml"
    bad.write_text(_edited((19, "5m", "0s")))
    with pytest.raises(SystemExit) as exited:
        main(["validate", str(GOLDEN), str(bad)])
    out = capsys.readouterr().out
    assert exited.value.code == 2
    assert f"valid   {GOLDEN} (my-app-drill)" in out
    assert f"invalid {bad}:19:3: steps[0].timeout: a timeout of `0s` ends the step" in out


def test_validate_only_drctl_skips_other_yaml_but_not_broken_drctl_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "k8s.yaml"
    other.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    broken = tmp_path / "rb.yaml"
    broken.write_text("apiVersion: drctl/v1\nkind: Runbook\nname: [x\n")
    with pytest.raises(SystemExit) as exited:
        main(["validate", "--only-drctl", str(other), str(GOLDEN)])
    assert exited.value.code in (0, None)
    assert "k8s.yaml" not in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main(["validate", "--only-drctl", str(other), str(broken)])
    assert exited.value.code == 2
    assert f"invalid {broken}:4:1: YAML syntax error" in capsys.readouterr().out
