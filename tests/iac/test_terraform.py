"""The Terraform for Route53 and S3 is `terraform fmt` clean and passes `terraform validate`.

Needs the terraform binary and a local provider mirror (hashicorp/aws in /opt/tf-plugins or
$DRCTL_TF_PLUGIN_DIR): `terraform init` must not reach the network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.iac.plans import plan, plan_data, resource_data

from drctl.iac.files import Kind, write_files
from drctl.iac.render import render

PLUGINS = Path(os.environ.get("DRCTL_TF_PLUGIN_DIR", "/opt/tf-plugins"))
TERRAFORM = shutil.which("terraform")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        TERRAFORM is None or not (PLUGINS / "registry.terraform.io/hashicorp/aws").is_dir(),
        reason="terraform or its local hashicorp/aws provider mirror is not installed",
    ),
]


def _terraform(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    return subprocess.run(
        [str(TERRAFORM), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_rendered_terraform_is_formatted_and_validates(tmp_path: Path) -> None:
    data = plan_data()
    extra = dict(resource_data(data, "route53-failover"), name="api-dns", record="api.example.com")
    extra["primary"] = {"region": "ap-northeast-1", "value": "192.0.2.10"}
    data["resources"].append(extra)
    write_files(render(plan(data), only=[Kind.TERRAFORM]), tmp_path)
    work = tmp_path / "terraform"
    assert _terraform("fmt", "-check", "-diff", ".", cwd=work).stdout == ""
    init = _terraform(
        "init", "-backend=false", f"-plugin-dir={PLUGINS}", "-input=false", "-no-color", cwd=work
    )
    assert init.returncode == 0, init.stderr
    validated = _terraform("validate", "-no-color", cwd=work)
    assert validated.returncode == 0, validated.stdout + validated.stderr
