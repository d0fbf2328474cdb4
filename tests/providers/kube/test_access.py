"""Reaching a cluster: tokens, clear errors for rejected credentials, EKS tokens built from AWS."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from pydantic import ValidationError
from tests.providers.kube.conftest import TOKEN_ENV, build, deadline

from drctl.errors import ConfigError, ProviderError
from drctl.providers import registry
from drctl.providers.aws.clients import AwsClients
from drctl.providers.base import ActionContext
from drctl.providers.kube.access import KubeAccess, connect, eks_token
from drctl.settings import Settings
from drctl_sandbox.aws.server import SandboxServer
from drctl_sandbox.kube.api import FakeKubeApi
from drctl_sandbox.loopback import free_port


def test_a_wrong_token_is_reported_as_credentials_rejected_by_the_server(
    api: FakeKubeApi, ctx: ActionContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.cluster.seed_cluster()
    monkeypatch.setenv(TOKEN_ENV, "not-the-token")
    action = build(
        "k8s.wait-ready", {"server": api.url, "token_env": TOKEN_ENV, "namespaces": ["*"]}, ctx
    )

    with pytest.raises(ProviderError) as err:
        action.verify(deadline(ctx))

    assert err.value.message == f"credentials rejected by {api.url}: Unauthorized"
    assert "token_env" in err.value.hint and not err.value.retryable


def test_a_read_only_identity_gets_a_clear_forbidden_error_when_draining(
    api: FakeKubeApi, ctx: ActionContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    api.cluster.seed_cluster()
    monkeypatch.setenv(TOKEN_ENV, api.read_only_token)
    drain = build(
        "k8s.drain-az", {"server": api.url, "token_env": TOKEN_ENV, "zone": "ap-northeast-1a"}, ctx
    )

    with pytest.raises(ProviderError) as err:
        drain.apply()

    assert err.value.message.startswith(f"credentials rejected by {api.url}: /api/v1/nodes/")
    assert err.value.code == "Forbidden" and "RBAC" in err.value.hint
    assert (
        err.value.where == f"cordon node ip-10-0-1-10.ap-northeast-1.compute.internal on {api.url}"
    )


def test_an_unreachable_server_is_a_retryable_error_naming_it(ctx: ActionContext) -> None:
    server = f"http://127.0.0.1:{free_port()}"
    action = build("k8s.wait-ready", {"server": server, "token": "t", "namespaces": ["*"]}, ctx)
    with pytest.raises(ProviderError, match=f"cannot reach the Kubernetes API at {server}") as err:
        action.current()
    assert err.value.retryable


def test_a_missing_token_variable_is_a_config_error_naming_it(ctx: ActionContext) -> None:
    action = build(
        "k8s.wait-ready",
        {"server": "http://127.0.0.1:1", "token_env": "NO_SUCH_VAR_X", "namespaces": ["*"]},
        ctx,
    )
    with pytest.raises(ConfigError, match="environment variable NO_SUCH_VAR_X"):
        action.current()


def test_a_kubeconfig_context_reaches_the_cluster(
    api: FakeKubeApi, ctx: ActionContext, tmp_path: Path
) -> None:
    api.cluster.seed_cluster()
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(
        f"""apiVersion: v1
kind: Config
clusters: [{{name: dr, cluster: {{server: "{api.url}"}}}}]
users: [{{name: drctl, user: {{token: "{api.token}"}}}}]
contexts: [{{name: my-cluster-dr, context: {{cluster: dr, user: drctl}}}}]
current-context: my-cluster-dr
"""
    )
    action = build(
        "k8s.nodes-per-az", {"kubeconfig": str(kubeconfig), "context": "my-cluster-dr"}, ctx
    )
    assert action.verify(deadline(ctx))["short"] == []
    with pytest.raises(ConfigError, match="cannot use kubeconfig"):
        build("k8s.nodes-per-az", {"kubeconfig": str(kubeconfig), "context": "nope"}, ctx).current()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"server": "https://x", "eks_cluster": "c", "region": "r", "token": "t"},
            "either `server` or `eks_cluster`",
        ),
        ({"eks_cluster": "my-cluster"}, "`eks_cluster` needs `region`"),
        ({"server": "https://x"}, "`server` needs `token_env`"),
        ({"context": "a", "server": "https://x", "token": "t"}, "cannot be combined"),
    ],
)
def test_ambiguous_or_incomplete_access_params_are_rejected(
    params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        registry.params_for("k8s.nodes-per-az", params)


def test_a_token_given_inline_is_hidden_in_the_params_repr() -> None:
    params = KubeAccess(server="https://x", token="s3cr3t")
    assert "s3cr3t" not in repr(params) and "s3cr3t" not in params.model_dump_json()


@pytest.fixture
def moto(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        yield server


def test_eks_access_takes_endpoint_and_ca_from_describe_cluster_and_signs_a_token(
    moto: SandboxServer, tmp_path: Path
) -> None:
    eks = boto3.client("eks", region_name="ap-southeast-1", endpoint_url=moto.endpoint_url)
    eks.create_cluster(
        name="access-test-cluster",
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={"subnetIds": ["subnet-1"]},
    )
    settings = Settings(home=tmp_path, aws_endpoint_url=moto.endpoint_url)
    info = eks.describe_cluster(name="access-test-cluster")["cluster"]

    connection = connect(
        KubeAccess(eks_cluster="access-test-cluster", region="ap-southeast-1"), settings
    )

    assert connection.server == info["endpoint"]
    assert (
        tmp_path / "kube" / "access-test-cluster.ap-southeast-1.crt"
    ).read_bytes() == base64.b64decode(info["certificateAuthority"]["data"])
    token = eks_token(AwsClients(settings), "access-test-cluster", "ap-southeast-1")
    assert token.startswith("k8s-aws-v1.")
    encoded = token.removeprefix("k8s-aws-v1.")
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    query = parse_qs(urlsplit(url).query)
    assert query["Action"] == ["GetCallerIdentity"] and query["X-Amz-Expires"] == ["60"]
    assert query["X-Amz-SignedHeaders"] == ["host;x-k8s-aws-id"]
