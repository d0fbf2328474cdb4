"""Validation lists every problem, guesses misspelt choices, and points at the offending node."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drctl.cli import main
from drctl.errors import PlanError
from drctl.plan.durations import parse_duration
from drctl.plan.load import load_plan
from drctl.plan.regions import AWS_REGIONS

SEED = (Path(__file__).resolve().parents[2] / "examples" / "seed-estate.yaml").read_text()


def problems(tmp_path: Path, text: str) -> list[tuple[int, str, str]]:
    """(line, message, hint) of every problem of a plan file."""
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    return [(int(p.where.split(":")[1]), p.message, p.hint) for p in info.value.problems]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    at = -1
    for _ in range(occurrence):
        at = text.index(needle, at + 1)
    return text.count("\n", 0, at) + 1


def test_a_misspelt_strategy_gets_a_did_you_mean(tmp_path: Path) -> None:
    text = SEED.replace("strategy: warm-standby", "strategy: warm-stanby")
    assert problems(tmp_path, text) == [
        (
            line_of(text, "strategy:"),
            "strategy: Input should be 'backup-restore', 'pilot-light', 'warm-standby' or 'multi-site'",
            "did you mean `warm-standby`?",
        )
    ]


def test_a_misspelt_kind_and_scenario_get_a_did_you_mean(tmp_path: Path) -> None:
    text = SEED.replace("kind: aurora-global", "kind: aurora-globel", 1).replace(
        "  region-failure: {drill_every", "  regoin-failure: {drill_every"
    )
    hints = [hint for _, _, hint in problems(tmp_path, text)]
    assert hints == ["did you mean `aurora-global`?", "did you mean `region-failure`?"]


def test_a_resource_in_a_region_outside_the_plans_regions_is_an_error(tmp_path: Path) -> None:
    text = SEED.replace(
        "region: ap-southeast-1, instance: legacy-db-replica",
        "region: eu-west-1, instance: legacy-db-replica",
    )
    assert problems(tmp_path, text) == [
        (
            line_of(text, "eu-west-1"),
            "resources[3].replica.region: eu-west-1 is not one of the plan's regions (ap-northeast-1, ap-southeast-1)",
            "add it under `regions:` or use the primary or secondary region",
        )
    ]


def test_a_duplicate_name_points_at_the_duplicate_not_the_first(tmp_path: Path) -> None:
    text = SEED.replace("name: legacy-db", "name: orders-db", 1)
    assert problems(tmp_path, text) == [
        (
            line_of(text, "name: orders-db", 2),
            "resources[3].name: `orders-db` is already the name of resources[2]",
            "resource names must be unique; rename this one",
        )
    ]


def test_every_problem_is_listed_in_text_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(
        SEED.replace("owner:", "ownr:").replace("strategy: warm-standby", "strategy: warm"),
        encoding="utf-8",
    )
    with pytest.raises(SystemExit):
        main(["validate", str(path)])
    out = capsys.readouterr().out
    assert out.count("invalid ") == 2
    assert "more problem" not in out
    with pytest.raises(SystemExit):
        main(["validate", str(path), "--json"])
    (result,) = json.loads(capsys.readouterr().out)
    assert [p["message"].split(":")[0] for p in result["problems"]] == [
        "metadata.ownr",
        "strategy",
    ]


def test_no_hint_is_filler(tmp_path: Path) -> None:
    text = SEED.replace("rto: 30m", "rto: 30")
    assert [hint for _, _, hint in problems(tmp_path, text)] == [""]


def test_a_huge_duration_is_an_error_not_an_overflow() -> None:
    with pytest.raises(ValueError, match="is too long; durations go up to 100 years"):
        parse_duration("9999999999999999999999d")
    with pytest.raises(ValueError, match="too long"):
        parse_duration("9" * 400 + "s")


def test_regions_come_from_botocores_partitions() -> None:
    assert {"ap-northeast-1", "us-gov-west-1", "cn-north-1", "eusc-de-east-1"} <= AWS_REGIONS
    assert "aws-global" not in AWS_REGIONS
