"""A moto server over HTTP for the drift tests, and a fresh AWS account per test for isolation."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import boto3
import pytest

from drctl.providers.aws.clients import AwsClients
from drctl.settings import Settings
from drctl_sandbox.aws.server import SANDBOX_CREDENTIALS, SandboxServer


@pytest.fixture(scope="session")
def iac_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def account_env(iac_sandbox: SandboxServer) -> dict[str, str]:
    """Credentials of a role in an account no other test uses (moto keeps accounts apart)."""
    account = str(secrets.randbelow(9 * 10**11) + 10**11)
    sts = boto3.client(
        "sts",
        region_name="us-east-1",
        endpoint_url=iac_sandbox.endpoint_url,
        aws_access_key_id=SANDBOX_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=SANDBOX_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    role = f"arn:aws:iam::{account}:role/drctl-iac-test"
    creds = sts.assume_role(RoleArn=role, RoleSessionName="iac")["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
        "DRCTL_AWS_ENDPOINT_URL": iac_sandbox.endpoint_url,
    }


@pytest.fixture
def in_account(account_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI under test acts in the test's own sandbox account (its environment)."""
    for name, value in account_env.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def clients(account_env: dict[str, str]) -> AwsClients:
    """boto3 clients for the test's own account in the sandbox."""
    session = boto3.Session(
        aws_access_key_id=account_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=account_env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=account_env["AWS_SESSION_TOKEN"],
    )
    settings = Settings(aws_endpoint_url=account_env["DRCTL_AWS_ENDPOINT_URL"])
    return AwsClients(settings, session=session)
