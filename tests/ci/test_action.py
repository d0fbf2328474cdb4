"""The composite GitHub Action (`action.yml`): its shell steps run here as a runner would run them.

`uses:` steps (setup-python, upload-sarif) cannot run outside GitHub; their wiring is
asserted instead. The install step is not run (it would `pip install` into this venv).
Expressions are evaluated by a small evaluator that knows only the forms action.yml uses
and fails on anything else, so a new expression cannot be silently misread.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text())
STEPS: list[dict[str, Any]] = ACTION["runs"]["steps"]
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_COMPARE = re.compile(r"^([\w.-]+)\s*(==|!=)\s*'([^']*)'$")


class Runner:
    """Runs the action's steps in order, like a GitHub runner, for the steps that are shell."""

    def __init__(self, workdir: Path, inputs: dict[str, str]) -> None:
        self.workdir = workdir
        self.inputs = {k: str(v.get("default", "")) for k, v in ACTION["inputs"].items()} | inputs
        self.outputs: dict[str, dict[str, str]] = {}
        self.summary = workdir / "summary.md"
        self.failed = False
        self.ran: list[str] = []
        self.results: dict[str, int] = {}

    def value(self, name: str) -> str:
        if name.startswith("inputs."):
            return self.inputs[name.removeprefix("inputs.")]
        if name == "github.action_path":
            return str(ROOT)
        step, _, rest = name.removeprefix("steps.").partition(".outputs.")
        if name.startswith("steps.") and rest:
            return self.outputs.get(step, {}).get(rest, "")
        raise AssertionError(f"expression not understood by this test: {name}")

    def condition(self, text: str | None) -> bool:
        if text is None:
            return not self.failed
        results = []
        for part in (p.strip() for p in text.split("&&")):
            if part == "always()":
                results.append(True)
                continue
            match = _COMPARE.match(part)
            assert match, f"condition not understood by this test: {part}"
            left, op, right = match.groups()
            results.append((self.value(left) == right) == (op == "=="))
        return all(results) and ("always()" in text or not self.failed)

    def expand(self, text: str) -> str:
        return _EXPR.sub(lambda m: self.value(m[1]), text)

    def run_all(self) -> None:
        for step in STEPS:
            name = step.get("name", step.get("uses", ""))
            if "run" not in step or name == "Install drctl" or not self.condition(step.get("if")):
                continue
            self.ran.append(name)
            self.results[name] = self._run(step)

    def _run(self, step: dict[str, Any]) -> int:
        assert step["shell"] == "bash"
        output = self.workdir / "github-output"
        output.write_text("")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DRCTL_"))}
        env |= {k: self.expand(str(v)) for k, v in step.get("env", {}).items()}
        env |= {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_OUTPUT": str(output),
            "DRCTL_HOME": str(self.workdir / ".drctl"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        assert "${{" not in step["run"], "inputs must reach scripts through env only"
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=self.workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if "id" in step:
            pairs = (line.partition("=") for line in output.read_text().splitlines())
            self.outputs[step["id"]] = {k: v for k, _, v in pairs}
        self.failed = self.failed or done.returncode != 0
        return done.returncode


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "examples" / "iac", tmp_path / "iac")
    shutil.copy(ROOT / "examples" / "seed-estate.yaml", tmp_path / "plan.yaml")
    return tmp_path


def test_a_static_check_with_findings_writes_sarif_and_summary_and_fails_the_job(
    workdir: Path,
) -> None:
    runner = Runner(workdir, {"plan": "plan.yaml", "live": "false"})
    runner.run_all()
    assert runner.ran == ["Validate the plan", "Check readiness", "Fail on findings"]
    assert runner.outputs["check"]["exit-code"] == "1"
    assert runner.results == {"Validate the plan": 0, "Check readiness": 0, "Fail on findings": 1}
    summary = runner.summary.read_text()
    assert summary.startswith("# Readiness of my-app\n")
    assert "25 checks (static) FAILED — 4 errors" in summary
    sarif = json.loads((workdir / "drctl.sarif").read_text())
    rules = sorted(r["ruleId"] for r in sarif["runs"][0]["results"])
    assert rules == ["drill-recency"] * 4 + ["route53-data-plane-failover"]
    first = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "drill-recency")
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "plan.yaml"},
        "region": {"startLine": 6},
    }
    assert runner.condition(_step("Upload SARIF")["if"])


def test_a_baseline_in_args_makes_the_job_pass(workdir: Path) -> None:
    subprocess.run(
        [
            Path(sys.executable).parent / "drctl",
            "check",
            "plan.yaml",
            "--static",
            "--write-baseline",
            "b.yaml",
            "-f",
            "json",
        ],
        cwd=workdir,
        capture_output=True,
        env=os.environ | {"DRCTL_HOME": str(workdir / ".drctl")},
        check=True,
    )
    runner = Runner(workdir, {"plan": "plan.yaml", "live": "false", "args": "--baseline b.yaml"})
    runner.run_all()
    assert runner.outputs["check"]["exit-code"] == "0"
    assert runner.ran == ["Validate the plan", "Check readiness"]
    assert "5 suppressed (0 inline, 5 baseline)" in runner.summary.read_text()


def test_live_without_credentials_is_could_not_check_once(workdir: Path) -> None:
    runner = Runner(
        workdir, {"plan": "plan.yaml", "validate": "false", "args": "--skip drill-recency"}
    )
    runner.run_all()
    assert runner.outputs["check"]["exit-code"] == "3"
    assert runner.summary.read_text().count("**Could not check:**") == 1
    (run,) = json.loads((workdir / "drctl.sarif").read_text())["runs"]
    assert run["invocations"][0]["executionSuccessful"] is False


def test_bad_input_fails_the_check_step_and_skips_the_upload(workdir: Path) -> None:
    (workdir / "plan.yaml").write_text("apiVersion: drctl/v1\nkind: DRPlan\nstrategy: warm\n")
    runner = Runner(workdir, {"plan": "plan.yaml", "live": "false", "validate": "false"})
    runner.run_all()
    assert runner.results["Check readiness"] != 0
    assert runner.outputs["check"]["exit-code"] == "2"
    assert not runner.condition(_step("Upload SARIF")["if"])


def test_the_action_installs_drctl_and_uploads_sarif_with_codeql() -> None:
    install = _step("Install drctl")
    assert 'python -m pip install -q "$ACTION_PATH"' in install["run"]
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    upload = _step("Upload SARIF")
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "${{ inputs.sarif }}"
    assert ACTION["runs"]["using"] == "composite"
    assert ACTION["outputs"]["exit-code"]["value"] == "${{ steps.check.outputs.exit-code }}"


def _step(name: str) -> dict[str, Any]:
    return next(s for s in STEPS if s.get("name") == name)
