"""Credentials as SREs have them: a role assumed once per run and region, with its external id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from drctl.errors import EXIT_COULD_NOT_CHECK, CouldNotCheck
from drctl.providers.aws.clients import AwsClients
from drctl.settings import Settings
from drctl_sandbox.aws.server import SandboxServer

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"
ROLE = "arn:aws:iam::123456789012:role/drctl-dr"


def _base(sandbox: SandboxServer) -> tuple[boto3.Session, list[dict[str, Any]]]:
    """The SRE's own credentials; every AssumeRole request they send is kept."""
    base = boto3.Session(aws_access_key_id="AKIASRE0000000000001", aws_secret_access_key="x")
    sent: list[dict[str, Any]] = []
    base.events.register(
        "provide-client-params.sts.AssumeRole", lambda params, **_: sent.append(dict(params))
    )
    return base, sent


def _settings(sandbox: SandboxServer, tmp_path: Path, role: str, external_id: str) -> Settings:
    return Settings(
        home=tmp_path,
        aws_endpoint_url=sandbox.endpoint_url,
        aws_role_arn=role,
        aws_external_id=external_id,
    )


def test_clients_of_a_run_act_as_the_assumed_role_assumed_once_per_region(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    base, sent = _base(sandbox)
    clients = AwsClients(_settings(sandbox, tmp_path, ROLE, "ext-4711"), session=base)

    who = clients.client("sts", SECONDARY).get_caller_identity()
    assert who["Arn"] == "arn:aws:sts::123456789012:assumed-role/drctl-dr/drctl"
    for _ in range(3):  # many calls, other services: still the one role session
        clients.client("s3", SECONDARY).list_buckets()
        clients.client("sts", SECONDARY).get_caller_identity()
    assert [(s["RoleArn"], s["ExternalId"]) for s in sent] == [(ROLE, "ext-4711")]

    clients.client("sts", PRIMARY).get_caller_identity()  # another region: its own STS, once
    assert len(sent) == 2
    mine = boto3.Session(aws_access_key_id="AKIASRE0000000000001", aws_secret_access_key="x")
    own = mine.client("sts", region_name=PRIMARY, endpoint_url=sandbox.endpoint_url)
    assert "assumed-role" not in own.get_caller_identity()["Arn"]  # the check can fail


def test_no_external_id_configured_sends_none(sandbox: SandboxServer, tmp_path: Path) -> None:
    base, sent = _base(sandbox)
    clients = AwsClients(_settings(sandbox, tmp_path, ROLE, ""), session=base)
    clients.client("sts", PRIMARY).get_caller_identity()
    assert len(sent) == 1 and "ExternalId" not in sent[0]


@pytest.mark.parametrize(
    "role", ["drctl-dr", "arn:aws:iam::12345:role/x", "arn:aws:iam::123456789012:user/bob"]
)
def test_a_bad_role_is_one_clear_line_and_could_not_check(
    sandbox: SandboxServer, tmp_path: Path, role: str
) -> None:
    base, sent = _base(sandbox)
    clients = AwsClients(_settings(sandbox, tmp_path, role, "x"), session=base)
    with pytest.raises(CouldNotCheck) as raised:
        clients.client("s3", PRIMARY)
    assert raised.value.exit_code == EXIT_COULD_NOT_CHECK
    assert role in str(raised.value) and "\n" not in str(raised.value)
    assert "DRCTL_AWS_ROLE_ARN" in raised.value.hint
    assert sent == []


def test_an_unreachable_sts_is_could_not_check_naming_the_role(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        aws_endpoint_url="http://127.0.0.1:9",
        aws_role_arn=ROLE,
        aws_external_id="ext-4711",
    )
    base = boto3.Session(aws_access_key_id="AKIASRE0000000000001", aws_secret_access_key="x")
    with pytest.raises(CouldNotCheck) as raised:
        AwsClients(settings, session=base, max_attempts=1).client("s3", SECONDARY)
    assert f"cannot assume role {ROLE} in {SECONDARY}" in raised.value.message
    assert "cannot reach the AWS endpoint" in raised.value.message
    assert "\n" not in raised.value.message
    assert raised.value.where == f"sts.{SECONDARY}" and "network" in raised.value.hint


def test_an_external_id_sts_would_refuse_is_named_before_any_call(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    base, sent = _base(sandbox)
    clients = AwsClients(_settings(sandbox, tmp_path, ROLE, "x"), session=base)
    with pytest.raises(CouldNotCheck) as raised:
        clients.client("s3", PRIMARY)
    assert raised.value.where == "DRCTL_AWS_EXTERNAL_ID" and sent == []
