"""`drctl run --plan` with `aws.roles`: the run's steps act as the role of their region."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from tests.sandbox.test_aws_calls import _drctl
from tests.sandbox.test_write_intents import SECONDARY, _global_database

from drctl_sandbox import latencies
from drctl_sandbox.aws.server import SandboxServer

# One account (moto's default, where the estate is): moto keeps each account's resources
# apart, as AWS does, and an Aurora global database cannot span two accounts anyway.
DR_ROLE = "arn:aws:iam::123456789012:role/drctl-dr"
PLAN = f"""\
apiVersion: drctl/v1
kind: DRPlan
metadata: {{name: roles-shop, owner: platform, contacts: [{{name: on-call}}]}}
objectives: {{rto: 30m, rpo: 5m}}
strategy: warm-standby
regions: {{primary: ap-northeast-1, secondary: {SECONDARY}}}
resources:
  - kind: secrets
    name: shop-secrets
    secrets_manager: [shop/db]
    replica_regions: [{SECONDARY}]
aws:
  roles:
    - role_arn: arn:aws:iam::123456789012:role/drctl
      regions: [ap-northeast-1]
    - role_arn: {DR_ROLE}
      regions: [{SECONDARY}]
      external_id: ${{DRCTL_TEST_EXTERNAL_ID}}
"""


@pytest.fixture
def instant() -> Iterator[None]:
    with latencies.in_force(latencies.LatencyTable.instant(), 1.0):
        yield


def _acting_as(server: SandboxServer, event_name: str, marker: str) -> set[str]:
    """Who made each `event_name` call mentioning `marker`, by the sandbox's CloudTrail."""
    trail = boto3.client("cloudtrail", region_name=SECONDARY, endpoint_url=server.endpoint_url,
                         aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    events = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event_name}]
    )["Events"]
    keys = {e["AccessKeyId"] for e in events if marker in e["CloudTrailEvent"]}
    return {
        boto3.client("sts", region_name=SECONDARY, endpoint_url=server.endpoint_url,
                     aws_access_key_id=key, aws_secret_access_key="x")
        .get_caller_identity()["Arn"]
        for key in keys
    }  # fmt: skip


def test_a_run_with_plan_roles_succeeds_acting_as_the_dr_role_in_the_dr_region(
    server: SandboxServer, instant: None, tmp_path: Path
) -> None:
    tag = os.urandom(3).hex()
    gc, secondary = _global_database(server, tag)
    runbook, plan = tmp_path / "rb.yaml", tmp_path / "plan.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    runbook.write_text(f"""\
apiVersion: drctl/v1
kind: Runbook
name: promote
steps:
  - id: promote-aurora
    title: Fail over the global database
    action: aws.aurora.failover-global
    params: {{global_cluster: {gc}, target_region: {SECONDARY}, target_cluster: {secondary}}}
""")
    env = {
        **server.env(),
        "DRCTL_AWS_ENDPOINT_URL": server.endpoint_url,
        "DRCTL_HOME": str(tmp_path / ".drctl"),
        "DRCTL_EXECUTOR_ID": "roles-host",
        "DRCTL_DATABASE_URL": "",
        "DRCTL_TEST_EXTERNAL_ID": "ext-0815-secret",
    }
    ran = _drctl("run", str(runbook), "--plan", str(plan), "--run-id", "roles-1", "--as", "ops",
                 env=env, cwd=tmp_path)  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert _acting_as(server, "FailoverGlobalCluster", gc) == {
        "arn:aws:sts::123456789012:assumed-role/drctl-dr/drctl"
    }
    shown = _drctl("runs", "show", "roles-1", "--json", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "ext-0815-secret" not in shown.stdout + ran.stdout + ran.stderr
    assert json.loads(shown.stdout)["status"] == "succeeded"
    audit = (tmp_path / ".drctl").rglob("*")
    assert not any(b"ext-0815-secret" in p.read_bytes() for p in audit if p.is_file())
