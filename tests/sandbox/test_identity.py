"""Verified identities against the sandbox: moto answers `sts:GetCallerIdentity`."""

from __future__ import annotations

import pytest

from drctl.identity import local_identity, same_person
from drctl.settings import Settings
from drctl_sandbox.aws.server import SandboxServer


def test_with_credentials_the_actor_is_the_aws_caller_arn_plus_os_user_and_host(
    server: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-1")
    settings = Settings(aws_endpoint_url=server.endpoint_url)
    bob, big_bob = local_identity(settings, "bob"), local_identity(settings, "Bob")
    assert bob.kind == "aws"
    assert bob.id.startswith("arn:aws:") and ":123456789012:" in bob.id
    assert bob.os_user and bob.host and bob.label == "bob"
    assert same_person(bob, big_bob)


def test_without_credentials_the_actor_is_the_os_account(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    who = local_identity(Settings(), "alice")
    assert (who.kind, who.id) == ("os", f"{who.os_user}@{who.host}")
