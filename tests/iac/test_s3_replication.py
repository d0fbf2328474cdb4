"""replication.json: RTC when the RPO needs it, delete markers replicated, a least-privilege role."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.iac.plans import plan, plan_data, resource_data

from drctl.iac.context import RenderContext
from drctl.iac.s3 import render_s3


def _documents(rtc: bool, rpo: str, ctx: RenderContext | None = None) -> dict[str, Any]:
    data = plan_data()
    data["objectives"]["rpo"] = rpo
    resource_data(data, "s3-replication")["replication_time_control"] = rtc
    files = render_s3(plan(data), ctx or RenderContext())
    return {f.path.rsplit("/", 1)[-1]: json.loads(f.content) for f in files}


@pytest.mark.parametrize(
    ("rtc", "rpo", "expected"),
    [(True, "1h", True), (False, "5m", True), (False, "15m", False), (False, "1h", False)],
)
def test_replication_time_control_is_on_when_asked_for_or_the_rpo_is_under_15m(
    rtc: bool, rpo: str, expected: bool
) -> None:
    destination = _documents(rtc, rpo)["replication.json"]["Rules"][0]["Destination"]
    assert ("ReplicationTime" in destination) is expected
    assert ("Metrics" in destination) is expected
    if expected:
        assert destination["ReplicationTime"] == {"Status": "Enabled", "Time": {"Minutes": 15}}


def test_the_rule_replicates_delete_markers_into_the_dr_bucket() -> None:
    rule = _documents(True, "5m")["replication.json"]["Rules"][0]
    assert rule["Status"] == "Enabled"
    assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
    assert rule["Destination"]["Bucket"] == "arn:aws:s3:::my-app-assets-apse1"


def test_the_role_arn_uses_the_account_id_or_a_placeholder() -> None:
    unknown = _documents(True, "5m")["replication.json"]["Role"]
    known = _documents(True, "5m", RenderContext(account_id="123456789012"))["replication.json"][
        "Role"
    ]
    assert unknown == "arn:aws:iam::${AWS_ACCOUNT_ID}:role/drctl-my-app-assets-replication"
    assert known == "arn:aws:iam::123456789012:role/drctl-my-app-assets-replication"


def test_the_role_is_assumable_only_by_s3_and_touches_only_the_two_buckets() -> None:
    documents = _documents(True, "5m")
    trust = documents["replication-role-trust.json"]["Statement"]
    assert trust == [
        {
            "Effect": "Allow",
            "Principal": {"Service": "s3.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ]
    resources = {
        arn for s in documents["replication-role-policy.json"]["Statement"] for arn in s["Resource"]
    }
    assert resources == {
        "arn:aws:s3:::my-app-assets-apne1",
        "arn:aws:s3:::my-app-assets-apne1/*",
        "arn:aws:s3:::my-app-assets-apse1/*",
    }
    actions = {
        a for s in documents["replication-role-policy.json"]["Statement"] for a in s["Action"]
    }
    assert not any(a.endswith("*") for a in actions)
