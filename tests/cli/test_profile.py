"""A missing AWS profile is one line and exit 3 (could not check), never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[2] / "examples" / "seed-estate.yaml"


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--profile", "no-such-profile"], {}),
        ([], {"AWS_PROFILE": "no-such-profile"}),
        ([], {"DRCTL_AWS_PROFILE": "no-such-profile"}),
    ],
)
def test_a_missing_profile_is_one_line_and_exit_3(
    args: list[str], env: dict[str, str], tmp_path: Path
) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DRCTL_"))}
    config = tmp_path / "config"
    config.write_text("[profile other]\nregion = us-east-1\n", encoding="utf-8")
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "drctl"),
            *args,
            "check",
            str(SEED),
            "--skip",
            "drill-recency",
        ],
        env={**clean, **env, "AWS_CONFIG_FILE": str(config), "DRCTL_HOME": str(tmp_path / "h")},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 3, done.stderr
    errors = [
        line for line in (done.stdout + done.stderr).splitlines() if line.startswith("error:")
    ]
    assert errors == [
        "error: AWS config (~/.aws/config): AWS profile not usable: "
        "The config profile (no-such-profile) could not be found"
    ]
    assert "Traceback" not in done.stderr
