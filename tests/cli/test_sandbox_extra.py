"""Without the `sandbox` extra, the sandbox's commands say in one line how to install it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Run drctl as if a package were not installed: None in sys.modules makes its import fail.
WITHOUT = """
import sys
sys.modules[sys.argv[1]] = None
from drctl.cli import main
main(sys.argv[2:])
"""

SANDBOX_COMMANDS = [
    ["demo"],
    ["demo", "--lab"],
    ["sandbox", "up", "--detach"],
    ["sandbox", "status"],
    ["sandbox", "down"],
    ["lab", "up"],
    ["lab", "status"],
    ["lab", "down"],
]
# drctl_sandbox ships with drctl; what a core install really lacks is moto.
MISSING = [("drctl_sandbox", args) for args in SANDBOX_COMMANDS] + [
    ("moto", ["demo"]),
    ("moto", ["sandbox", "up"]),
    ("moto", ["lab", "up"]),
]


def run_without(package: str, args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT, package, *args],
        capture_output=True,
        text=True,
        cwd=home,
        env={**os.environ, "DRCTL_HOME": str(home / ".drctl")},
        timeout=60,
    )


@pytest.mark.parametrize(
    ("package", "args"), MISSING, ids=[f"{p}-{' '.join(a)}" for p, a in MISSING]
)
def test_sandbox_command_without_the_extra_prints_one_line_and_exits_2(
    package: str, args: list[str], tmp_path: Path
) -> None:
    done = run_without(package, args, tmp_path)
    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        "",
        "error: the offline sandbox is not installed: pip install 'drctl[sandbox]'\n",
    )
    assert not (tmp_path / ".drctl").exists()


def test_other_commands_work_without_the_sandbox(tmp_path: Path) -> None:
    seed = Path(__file__).resolve().parents[2] / "examples" / "seed-estate.yaml"
    done = run_without("drctl_sandbox", ["validate", str(seed)], tmp_path)
    assert (done.returncode, done.stderr) == (0, "")
