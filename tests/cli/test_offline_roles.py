"""A plan declaring `aws.roles`: `drctl validate` and `check --static` never call STS, and a
live check whose role cannot be assumed is one error line and exit 3."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

PLAN = """\
apiVersion: drctl/v1
kind: DRPlan
metadata: {name: roles-shop, owner: platform, contacts: [{name: on-call}]}
objectives: {rto: 30m, rpo: 5m}
strategy: warm-standby
regions: {primary: ap-northeast-1, secondary: ap-southeast-1}
resources:
  - kind: secrets
    name: shop-secrets
    secrets_manager: [shop/db]
    replica_regions: [ap-southeast-1]
aws:
  roles:
    - role_arn: arn:aws:iam::111111111111:role/drctl
      regions: [ap-northeast-1]
      external_id: ${DRCTL_TEST_EXTERNAL_ID}
    - role_arn: arn:aws:iam::222222222222:role/drctl-dr
"""


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[bytes]]]:
    """A loopback TCP endpoint that keeps the first bytes of every connection made to it."""
    listener = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                received.append(conn.recv(4096))

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", received
    listener.close()


@pytest.mark.parametrize("command", [["validate"], ["check", "--static"]])
def test_offline_commands_on_a_plan_with_roles_never_call_sts(
    command: list[str], endpoint: tuple[str, list[bytes]], tmp_path: Path
) -> None:
    url, received = endpoint
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DRCTL_"))}
    done = subprocess.run(
        [sys.executable, "-c", "from drctl.cli import main; main()", command[0], str(plan),
         *command[1:]],
        env={**clean, "DRCTL_HOME": str(tmp_path / "h"), "DRCTL_AWS_ENDPOINT_URL": url,
             "AWS_ENDPOINT_URL": url, "DRCTL_AWS_ROLE_ARN": "arn:aws:iam::333333333333:role/x",
             "AWS_ACCESS_KEY_ID": "AKIASRE0000000000009", "AWS_SECRET_ACCESS_KEY": "x"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert "Traceback" not in output and "roles-shop" in output, output
    assert done.returncode in (0, 1), output  # 1: the static rules' findings
    assert received == []


def test_a_live_check_whose_plan_role_cannot_be_assumed_is_one_line_and_exit_3(
    tmp_path: Path,
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DRCTL_"))}
    done = subprocess.run(
        [sys.executable, "-c", "from drctl.cli import main; main()", "check", str(plan)],
        env={**clean, "DRCTL_HOME": str(tmp_path / "h"), "DRCTL_AWS_ENDPOINT_URL": "http://127.0.0.1:9",
             "AWS_ACCESS_KEY_ID": "AKIASRE0000000000009", "AWS_SECRET_ACCESS_KEY": "x"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 3, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: sts.ap-southeast-1: cannot assume role arn:aws:iam::222222222222:role/drctl-dr "
        "in ap-southeast-1: cannot reach the AWS endpoint: Could not connect to the endpoint "
        'URL: "http://127.0.0.1:9/"'
    ], output
    assert "Traceback" not in output
