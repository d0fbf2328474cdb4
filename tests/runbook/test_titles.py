"""`drctl compile --lang ja`: every step title of every example plan's runbooks is Japanese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drctl.cli import main
from drctl.errors import PlanError
from drctl.plan.load import load_plan
from drctl.plan.model import Scenario
from drctl.runbook.compile import compile_plan
from drctl.runbook.titles import localized, title_in

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.mark.parametrize("plan_file", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_compiled_title_has_a_japanese_form(plan_file: Path) -> None:
    plan = load_plan(plan_file)
    for scenario in Scenario:
        try:
            runbook = localized(compile_plan(plan, scenario), "ja")
        except PlanError:  # the plan disables this scenario
            continue
        english = [s.title for s in runbook.steps if not JAPANESE.search(s.title)]
        assert english == [], f"{plan_file.name} {scenario}"


def test_names_in_a_title_are_kept_verbatim() -> None:
    assert title_in("Promote RDS replica legacy-db-dr in ap-southeast-1", "ja") == (
        "ap-southeast-1 の RDS レプリカ legacy-db-dr を昇格"
    )
    assert title_in("Something new", "ja") == "Something new"
    assert title_in("Promote RDS replica x in y", "en") == "Promote RDS replica x in y"


def test_compile_lang_ja_writes_japanese_titles(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["compile", str(EXAMPLES[0]), "--scenario", "drill", "--lang", "ja"])
    assert exited.value.code in (0, None)
    titles = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  title:")]
    assert titles and all(JAPANESE.search(t) for t in titles)
