"""`drctl --help` and `drctl validate` load neither the sandbox nor the AWS SDK.

Command modules import heavy libraries inside their command functions, and the AWS
client module imports boto3 only when a client is made, so the CLI starts fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-estate.yaml"
HEAVY = {"moto", "boto3", "botocore", "drctl_sandbox"}

# Run one command through the console script's entry point, then report what it imported.
REPORT_MODULES = """
import json, sys
from drctl.cli import main
try:
    main(sys.argv[2:])
except SystemExit as done:
    code = done.code or 0
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "modules": sorted(sys.modules)}, out)
"""


def modules_loaded_by(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    report = tmp_path / "modules.json"
    subprocess.run(
        [sys.executable, "-c", REPORT_MODULES, str(report), *args],
        check=True,
        capture_output=True,
        timeout=60,
    )
    found = json.loads(report.read_text(encoding="utf-8"))
    return found["code"], {name.partition(".")[0] for name in found["modules"]}


@pytest.mark.parametrize("args", [["--help"], ["validate", str(SEED)]], ids=["help", "validate"])
def test_command_imports_neither_the_sandbox_nor_moto_nor_boto3(
    args: list[str], tmp_path: Path
) -> None:
    code, loaded = modules_loaded_by(tmp_path, *args)
    assert code == 0
    assert loaded & HEAVY == set()
