"""Reports for people and machines, and `drctl check`/`drctl rules` exit codes (static mode, no AWS)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console
from tests.checks.conftest import SEED
from typer.testing import CliRunner

from drctl.checks.model import Checked, CheckReport, Finding, RuleInfo, Severity
from drctl.checks.registry import RULES
from drctl.checks.render import (
    print_table,
    render_json,
    render_junit,
    render_markdown,
    render_sarif,
)
from drctl.cli import app

FINDINGS = [
    Finding(
        rule="s3-versioning",
        resource="assets",
        severity=Severity.ERROR,
        message="bucket b has versioning Suspended",
        hint="enable it",
    ),
    Finding(
        rule="probes-declared",
        resource="my-app",
        severity=Severity.WARNING,
        message="no data canary",
        hint="add one",
    ),
    Finding(
        rule="dr-counterpart",
        resource="assets",
        severity=Severity.WARNING,
        message="a | b",
        hint="fix",
    ),
]
REPORT = CheckReport(
    plan="my-app",
    mode="live",
    rules=[
        RuleInfo(id=i, title=i, rationale="why.", severity=Severity.ERROR, hint="h", live=False)
        for i in ("s3-versioning", "probes-declared", "dr-counterpart")
    ],
    checked=[
        Checked(rule="s3-versioning", resource="assets"),
        Checked(rule="probes-declared", resource="my-app"),
        Checked(rule="dr-counterpart", resource="assets"),
        Checked(rule="dr-counterpart", resource="sessions"),
    ],
    findings=FINDINGS,
    seconds=0.5,
)


def test_table_groups_findings_by_resource_worst_first() -> None:
    console = Console(record=True, width=200, color_system=None)
    print_table(REPORT, console)
    lines = [line.strip() for line in console.export_text().splitlines()]
    titles = [line for line in lines if line in ("assets", "my-app")]
    assert titles == ["assets", "my-app"]
    rules = [line.split("│")[2].strip() for line in lines if line.startswith("│")]
    assert rules == ["s3-versioning", "dr-counterpart", "probes-declared"]
    assert lines[-1] == "my-app: 4 checks (live) FAILED — 1 errors, 2 warnings, 0 info in 0.50s"


def test_json_round_trips_the_report() -> None:
    assert CheckReport.model_validate(json.loads(render_json(REPORT))) == REPORT


def test_junit_has_a_case_per_check_and_fails_only_on_errors() -> None:
    suite = ET.fromstring(render_junit(REPORT)).find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("failures") == "1"
    cases = {(c.get("classname"), c.get("name")): c for c in suite.iter("testcase")}
    failure = cases[("s3-versioning", "assets")].find("failure")
    assert failure is not None and failure.get("message") == "bucket b has versioning Suspended"
    assert cases[("dr-counterpart", "assets")].find("failure") is None
    assert cases[("dr-counterpart", "assets")].findtext("system-out") == "warning: a | b (fix: fix)"
    assert list(cases[("dr-counterpart", "sessions")]) == []


def test_sarif_is_2_1_0_with_rule_descriptors_and_levels() -> None:
    sarif = json.loads(render_sarif(REPORT, "examples/seed-estate.yaml"))
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    run = sarif["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == [
        "s3-versioning",
        "probes-declared",
        "dr-counterpart",
    ]
    first = run["results"][0]
    assert (first["ruleId"], first["ruleIndex"], first["level"]) == ("s3-versioning", 0, "error")
    assert first["locations"][0]["logicalLocations"] == [{"name": "assets", "kind": "resource"}]
    assert (
        first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        == "examples/seed-estate.yaml"
    )
    assert [r["level"] for r in run["results"]] == ["error", "warning", "warning"]


def test_markdown_has_a_table_per_resource_and_escapes_pipes() -> None:
    text = render_markdown(REPORT)
    assert text.startswith("# Readiness of my-app\n")
    assert (
        "## assets\n\n| severity | rule | finding | fix |\n|---|---|---|---|\n| error | `s3-versioning` |"
        in text
    )
    assert "| warning | `dr-counterpart` | a \\| b | fix |" in text


runner = CliRunner()


@pytest.fixture(autouse=True)
def empty_run_history(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """drill-recency reads the engine's store: a fresh one per test, with no runs."""
    monkeypatch.setenv("DRCTL_HOME", str(tmp_path / ".drctl"))


def test_check_exits_1_when_an_error_level_finding_exists() -> None:
    # The seed plan has no drill history here, so drill-recency is red.
    result = runner.invoke(app, ["check", str(SEED), "--static", "--json"])
    assert result.exit_code == 1
    report = CheckReport.model_validate_json(result.stdout)
    assert {f.rule for f in report.findings if f.severity == "error"} == {"drill-recency"}


def test_check_exits_0_when_the_failing_rule_is_skipped() -> None:
    result = runner.invoke(
        app, ["check", str(SEED), "--static", "--skip", "drill-recency", "-f", "markdown"]
    )
    assert result.exit_code == 0
    assert "checks (static) passed" in result.stdout


@pytest.mark.parametrize("fmt", ["junit", "sarif", "markdown", "table"])
def test_check_renders_every_format(fmt: str) -> None:
    result = runner.invoke(
        app, ["check", str(SEED), "--static", "--only", "drill-recency", "--format", fmt]
    )
    assert result.exit_code == 1 and "drill" in result.stdout


def test_check_exits_2_for_an_unknown_rule_and_a_broken_plan(tmp_path: Path) -> None:
    from drctl.cli import main

    with pytest.raises(SystemExit) as unknown:
        main(["check", str(SEED), "--static", "--only", "s3-versionin"])
    assert unknown.value.code == 2
    broken = tmp_path / "plan.yaml"
    broken.write_text(SEED.read_text().replace("  rpo: 5m", "  rpo: soon"))
    with pytest.raises(SystemExit) as bad:
        main(["check", str(broken), "--static"])
    assert bad.value.code == 2


def test_rules_lists_every_rule_with_its_rationale() -> None:
    result = runner.invoke(app, ["rules", "--json"])
    listed = json.loads(result.stdout)
    assert [r["id"] for r in listed] == [r.id for r in RULES]
    assert all(r["rationale"] and r["hint"] for r in listed)
