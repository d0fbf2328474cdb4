"""`.pre-commit-hooks.yaml`: `pre-commit try-repo` installs drctl from this checkout into its own
virtualenv (pip, from the local path; its dependencies from the package index) and runs the
hooks on a sample git repository made in tmp."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
REASON = "# drctl: ignore[drill-recency] first drill booked for 2027-01-15"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _try_repo(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DRCTL_"))}
    env |= {"PRE_COMMIT_HOME": str(home), "DRCTL_PLAN": "dr/plan.yaml"}
    env |= {"DRCTL_HOME": str(repo / ".drctl")}
    return subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(ROOT), "--all-files", "--verbose"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_the_hooks_manifest_declares_validate_and_static_check() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert hooks["drctl-validate"]["entry"] == "drctl validate --only-drctl"
    assert hooks["drctl-check-static"]["entry"] == "drctl check --static"
    assert {h["language"] for h in hooks.values()} == {"python"}
    subprocess.run(
        [str(PRE_COMMIT), "validate-manifest", ".pre-commit-hooks.yaml"], cwd=ROOT, check=True
    )


@pytest.mark.slow
def test_pre_commit_try_repo_runs_both_hooks_on_a_sample_repo(tmp_path: Path) -> None:
    repo, home = tmp_path / "sample", tmp_path / "pre-commit-home"
    (repo / "dr").mkdir(parents=True)
    shutil.copytree(ROOT / "examples" / "iac", repo / "dr" / "iac")
    plan = (ROOT / "examples" / "seed-estate.yaml").read_text()
    (repo / "dr" / "plan.yaml").write_text(
        plan.replace("  name: my-app\n", f"  name: my-app  {REASON}\n", 1)
    )
    (repo / "k8s.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "sample")

    passed = _try_repo(repo, home)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "drctl validate" in passed.stdout and "drctl check --static" in passed.stdout
    assert "valid   dr/plan.yaml (my-app)" in passed.stdout
    assert "k8s.yaml" not in passed.stdout  # not a drctl file: skipped
    assert "4 suppressed (4 inline, 0 baseline)" in passed.stdout

    (repo / "dr" / "plan.yaml").write_text(plan.replace("rto: 30m", "rto: 30", 1))
    _git(repo, "commit", "-qam", "break the plan")
    failed = _try_repo(repo, home)
    assert failed.returncode == 1
    assert "invalid dr/plan.yaml:17:3: objectives.rto: `30` needs a unit" in failed.stdout
