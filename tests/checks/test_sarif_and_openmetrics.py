"""SARIF points at the plan line and names the tool version; OpenMetrics for the textfile collector."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.checks.conftest import SEED

from drctl import __version__
from drctl.checks.model import Checked, CheckReport, Finding, RuleInfo, Severity
from drctl.checks.render import render_openmetrics, render_sarif
from drctl.cli import main
from drctl.plan.load import declaration_lines

REPORT = CheckReport(
    plan="my-app",
    mode="static",
    rules=[
        RuleInfo(
            id="s3-versioning",
            title="Versioning on",
            rationale="CRR needs it.",
            severity=Severity.ERROR,
            hint="enable it",
            live=True,
        )
    ],
    checked=[Checked(rule="s3-versioning", resource="assets")],
    findings=[
        Finding(
            rule="s3-versioning",
            resource="assets",
            severity=Severity.ERROR,
            message='bucket "b" off',
            hint="enable it",
        )
    ],
    seconds=0.25,
)


def test_declaration_lines_name_the_line_of_each_resource_and_the_plan() -> None:
    text = SEED.read_text().splitlines()
    lines = declaration_lines(SEED)
    assert text[lines["my-app"] - 1].strip() == "name: my-app"
    assert text[lines["my-app-dns"] - 1].lstrip().startswith("- kind: route53-failover")


def test_sarif_results_point_at_the_resource_line_with_version_and_rule_help() -> None:
    sarif = json.loads(render_sarif(REPORT, "plan.yaml", {"assets": 42}))
    driver = sarif["runs"][0]["tool"]["driver"]
    assert (driver["version"], driver["semanticVersion"]) == (__version__, __version__)
    assert driver["rules"][0]["help"] == {
        "text": "CRR needs it. Fix: enable it",
        "markdown": "CRR needs it.\n\n**Fix:** enable it",
    }
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "plan.yaml"}, "region": {"startLine": 42}}


def test_check_sarif_uses_the_plan_lines(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRCTL_HOME", str(tmp_path / ".drctl"))
    with pytest.raises(SystemExit):
        main(["check", str(SEED), "--static", "-f", "sarif"])
    (result, *_) = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": declaration_lines(SEED)[result["locations"][0]["logicalLocations"][0]["name"]]
    }


def test_openmetrics_exposes_readiness_counts_and_findings() -> None:
    assert render_openmetrics(REPORT).splitlines() == [
        "# TYPE drctl_check_ready gauge",
        "# HELP drctl_check_ready 1 when no error-level finding exists.",
        'drctl_check_ready{plan="my-app"} 0',
        "# TYPE drctl_check_complete gauge",
        "# HELP drctl_check_complete 1 when every rule could read what it needed.",
        'drctl_check_complete{plan="my-app"} 1',
        "# TYPE drctl_check_findings gauge",
        "# HELP drctl_check_findings Findings by severity.",
        'drctl_check_findings{plan="my-app",severity="info"} 0',
        'drctl_check_findings{plan="my-app",severity="warning"} 0',
        'drctl_check_findings{plan="my-app",severity="error"} 1',
        "# TYPE drctl_check_checks gauge",
        "# HELP drctl_check_checks (rule, resource) pairs evaluated.",
        'drctl_check_checks{plan="my-app",mode="static"} 1',
        "# TYPE drctl_check_duration_seconds gauge",
        "# HELP drctl_check_duration_seconds How long the check took.",
        'drctl_check_duration_seconds{plan="my-app"} 0.25',
        "# TYPE drctl_check_suppressed gauge",
        "# HELP drctl_check_suppressed Findings accepted by an inline comment or a baseline.",
        'drctl_check_suppressed{plan="my-app"} 0',
        "# TYPE drctl_check_rule_findings gauge",
        "# HELP drctl_check_rule_findings Findings per rule, resource and severity.",
        'drctl_check_rule_findings{plan="my-app",rule="s3-versioning",resource="assets",severity="error"} 1',
        "# EOF",
    ]
