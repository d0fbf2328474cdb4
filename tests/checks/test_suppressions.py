"""Accepted findings: inline `# drctl: ignore[RULE] reason` comments and baseline files."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import xmlschema
from tests.checks.conftest import SEED

from drctl.cli import main

JUNIT_XSD = Path(__file__).resolve().parents[1] / "report" / "junit.xsd"

REASON = "first drill booked for 2027-01-15"


def _plan(tmp_path: Path, edit: tuple[str, str] | None = None) -> Path:
    """The seed plan (and its IaC files) in tmp, with one line replaced."""
    shutil.copytree(SEED.parent / "iac", tmp_path / "iac")
    text = SEED.read_text()
    if edit is not None:
        assert edit[0] in text
        text = text.replace(edit[0], edit[1], 1)
    plan = tmp_path / "plan.yaml"
    plan.write_text(text)
    return plan


def _check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(["check", *args, "--static"])
    out = capsys.readouterr()
    return int(exited.value.code or 0), out.out, out.err


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRCTL_HOME", str(tmp_path / ".drctl"))


def test_the_seed_fails_on_drill_recency_without_suppressions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _check(capsys, str(_plan(tmp_path)))
    assert code == 1
    assert "4 errors" in out and "suppressed" not in out


def test_an_inline_comment_on_the_plan_name_suppresses_and_is_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan(
        tmp_path, ("  name: my-app\n", f"  name: my-app  # drctl: ignore[drill-recency] {REASON}\n")
    )
    code, out, _ = _check(capsys, str(plan))
    assert code == 0
    assert "0 errors, 1 warnings, 0 info, 4 suppressed (4 inline, 0 baseline)" in out
    assert f"suppressed drill-recency on my-app (4 findings) at {plan}:6:17: {REASON}" in out


def test_an_inline_comment_on_the_line_above_a_resource_suppresses_it_in_sarif(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan(
        tmp_path,
        (
            "  - kind: eks-cluster ",
            "  # drctl: ignore[iac-files-parse] eksctl files live in another repo\n  - kind: eks-cluster ",
        ),
    )
    (tmp_path / "iac" / "eks-cluster.yaml").unlink()
    code, out, _ = _check(
        capsys,
        str(plan),
        "-f",
        "sarif",
        "--skip",
        "drill-recency",
        "--skip",
        "route53-data-plane-failover",
    )
    assert code == 0
    (result,) = json.loads(out)["runs"][0]["results"]
    assert result["ruleId"] == "iac-files-parse"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 25}
    assert result["suppressions"] == [
        {
            "kind": "inSource",
            "status": "accepted",
            "justification": "eksctl files live in another repo",
            "location": {
                "physicalLocation": {
                    "artifactLocation": {"uri": str(plan)},
                    "region": {"startLine": 24},
                }
            },
        }
    ]


def test_a_suppression_without_a_reason_is_bad_input_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan(tmp_path, ("  name: my-app\n", "  name: my-app  # drctl: ignore[drill-recency]\n"))
    code, _, err = _check(capsys, str(plan))
    assert code == 2
    assert f"{plan}:6:17: a suppression needs a reason after the rule" in err
    assert "Traceback" not in err


def test_an_inline_comment_away_from_a_resource_or_naming_no_rule_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan(tmp_path, ("  rto: 30m ", "  rto: 30m # drctl: ignore[drill-recensy] typo "))
    code, _, err = _check(capsys, str(plan))
    assert code == 2
    assert f"{plan}:17:" in err and "must sit on or just above a resource" in err


def test_an_unknown_rule_in_a_suppression_suggests_the_close_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan(
        tmp_path, ("  name: my-app\n", "  name: my-app # drctl: ignore[drill-recensy] soon\n")
    )
    code, _, err = _check(capsys, str(plan))
    assert code == 2
    assert f"{plan}:6:16: no readiness rule `drill-recensy`" in err
    assert "did you mean `drill-recency`?" in err


def test_write_baseline_then_baseline_accepts_the_findings_as_external(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan, baseline = _plan(tmp_path), tmp_path / "drctl-baseline.yaml"
    code, _, err = _check(capsys, str(plan), "--write-baseline", str(baseline))
    assert code == 0 and f"wrote the baseline {baseline}" in err
    assert "rule: drill-recency" in baseline.read_text()

    code, out, _ = _check(capsys, str(plan), "--baseline", str(baseline), "-f", "junit")
    assert code == 0
    xmlschema.XMLSchema(JUNIT_XSD).validate(out)
    suite = ET.fromstring(out).find("testsuite")
    assert suite is not None and suite.get("skipped") == "2" and suite.get("failures") == "0"
    skipped = suite.find("testcase[@classname='drill-recency']/skipped")
    assert skipped is not None
    assert skipped.get("message", "").startswith(f"suppressed (baseline, {baseline}): accepted by")

    code, out, _ = _check(capsys, str(plan), "--baseline", str(baseline), "-f", "sarif")
    results = json.loads(out)["runs"][0]["results"]
    assert {r["suppressions"][0]["kind"] for r in results} == {"external"}
    assert len(results) == 5  # the four drill-recency errors and the data-plane warning


def test_a_baseline_entry_with_an_empty_reason_names_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    baseline = tmp_path / "b.yaml"
    baseline.write_text(
        "apiVersion: drctl/v1\nkind: CheckBaseline\nsuppressions:\n"
        "  - rule: drill-recency\n    resource: my-app\n    reason: '  '\n"
    )
    code, _, err = _check(capsys, str(_plan(tmp_path)), "--baseline", str(baseline))
    assert code == 2
    assert f"{baseline}:6:" in err and "a suppression needs a reason" in err


def test_findings_outside_the_suppressions_still_fail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = _plan(
        tmp_path,
        ("  name: my-app\n", f"  name: my-app  # drctl: ignore[ownership-declared] {REASON}\n"),
    )
    code, out, _ = _check(capsys, str(plan), "-f", "markdown")
    assert code == 1
    assert "4 errors" in out and "## Suppressed" not in out
