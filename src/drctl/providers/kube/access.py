"""How a `k8s.*` or `flux.*` step reaches its cluster: kubeconfig context, server + token, or EKS.

Exactly one way per step:

- `kubeconfig` (default `$KUBECONFIG` or `~/.kube/config`) and optionally `context`;
- `server` with a bearer token from `token_env` (preferred: runbooks hold no secret) or
  `token`, plus `ca_file` or `insecure`;
- `eks_cluster` + `region`: the endpoint and CA come from `eks:DescribeCluster`, the token is
  a presigned STS `GetCallerIdentity` URL carrying `x-k8s-aws-id`, as `aws eks get-token` makes.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Self

from kubernetes import client as k8s
from kubernetes import config as k8s_config
from kubernetes.config.config_exception import ConfigException
from pydantic import Field, SecretStr, model_validator

from drctl.errors import ConfigError
from drctl.plan.aws import AwsRole
from drctl.providers.aws.clients import AwsClients, aws_errors
from drctl.providers.base import Params
from drctl.settings import Settings

K8S_AWS_ID = "x-k8s-aws-id"


class KubeAccess(Params):
    """Connection params shared by every Kubernetes-facing action."""

    kubeconfig: str | None = None
    context: str | None = None
    server: str | None = None
    token: SecretStr | None = None
    token_env: str | None = None
    ca_file: str | None = None
    insecure: bool = False
    eks_cluster: str | None = None
    region: str | None = None
    request_timeout: float = Field(default=15.0, gt=0, le=300)

    @model_validator(mode="after")
    def _one_way_in(self) -> Self:
        if self.server and self.eks_cluster:
            raise ValueError("give either `server` or `eks_cluster`, not both")
        if self.eks_cluster and not self.region:
            raise ValueError("`eks_cluster` needs `region`")
        if self.server and not (self.token or self.token_env):
            raise ValueError("`server` needs `token_env` (or `token`)")
        if (self.kubeconfig or self.context) and (self.server or self.eks_cluster):
            raise ValueError(
                "`kubeconfig`/`context` cannot be combined with `server` or `eks_cluster`"
            )
        return self

    def describe_target(self) -> str:
        """A short name for the cluster, for dry-run lines and error locations."""
        if self.eks_cluster:
            return f"EKS {self.eks_cluster} ({self.region})"
        if self.server:
            return self.server
        return f"context {self.context}" if self.context else "the current kubeconfig context"


@dataclass(frozen=True)
class KubeConnection:
    """An authenticated API client and the server it talks to (named in errors)."""

    api: Any  # kubernetes.client.ApiClient
    server: str
    timeout: float

    @cached_property
    def core(self) -> Any:
        return k8s.CoreV1Api(self.api)

    @cached_property
    def apps(self) -> Any:
        return k8s.AppsV1Api(self.api)

    @cached_property
    def batch(self) -> Any:
        return k8s.BatchV1Api(self.api)

    @cached_property
    def custom(self) -> Any:
        return k8s.CustomObjectsApi(self.api)


def connect(
    access: KubeAccess, settings: Settings, roles: Sequence[AwsRole] = ()
) -> KubeConnection:
    """An API client for the cluster `access` names."""
    if access.server:
        token = _token(access)
        config = _configuration(access.server, token, access.ca_file, access.insecure)
    elif access.eks_cluster and access.region:
        config = _eks_configuration(access.eks_cluster, access.region, settings, roles)
    else:
        return _from_kubeconfig(access)
    return KubeConnection(k8s.ApiClient(config), config.host, access.request_timeout)


def _token(access: KubeAccess) -> str:
    if access.token is not None:
        return access.token.get_secret_value()
    value = os.environ.get(access.token_env or "", "")
    if not value:
        raise ConfigError(
            f"environment variable {access.token_env} holding the Kubernetes token is not set",
            hint=f"export {access.token_env}=<service account token> before running the step",
        )
    return value


def _configuration(host: str, token: str, ca_file: str | None, insecure: bool) -> Any:
    config = k8s.Configuration(host=host)
    config.api_key = {"authorization": token}
    config.api_key_prefix = {"authorization": "Bearer"}
    config.verify_ssl = not insecure
    config.ssl_ca_cert = ca_file
    config.retries = 1  # drctl's own backoff does the retrying
    return config


def _from_kubeconfig(access: KubeAccess) -> KubeConnection:
    path = (
        access.kubeconfig
        or os.environ.get("KUBECONFIG")
        or str(Path("~/.kube/config").expanduser())
    )
    try:
        api = k8s_config.new_client_from_config(
            config_file=path, context=access.context, persist_config=False
        )
    except (ConfigException, OSError) as err:
        raise ConfigError(
            f"cannot use kubeconfig {path}: {err}",
            hint="check the path and the context name (`kubectl config get-contexts`)",
        ) from err
    return KubeConnection(api, api.configuration.host, access.request_timeout)


def _eks_configuration(
    cluster: str, region: str, settings: Settings, roles: Sequence[AwsRole]
) -> Any:
    clients = AwsClients(settings, roles=roles)
    with aws_errors(f"EKS cluster {cluster}", region):
        info = clients.client("eks", region).describe_cluster(name=cluster)["cluster"]
    ca_path = settings.home / "kube" / f"{cluster}.{region}.crt"
    ca_path.parent.mkdir(parents=True, exist_ok=True)
    ca_path.write_bytes(base64.b64decode(info["certificateAuthority"]["data"]))
    token = eks_token(clients, cluster, region)
    return _configuration(info["endpoint"], token, str(ca_path), insecure=False)


def eks_token(clients: AwsClients, cluster: str, region: str) -> str:
    """A bearer token for EKS: a presigned STS GetCallerIdentity URL with `x-k8s-aws-id` signed in."""
    sts = clients.client("sts", region)
    events = sts.meta.events
    events.register(
        "provide-client-params.sts.GetCallerIdentity", _take_cluster_id, unique_id="drctl-k8s-id"
    )
    events.register(
        "before-sign.sts.GetCallerIdentity", _sign_cluster_id, unique_id="drctl-k8s-sign"
    )
    with aws_errors(f"STS token for EKS cluster {cluster}", region):
        url = sts.generate_presigned_url(
            "get_caller_identity", Params={K8S_AWS_ID: cluster}, ExpiresIn=60, HttpMethod="GET"
        )
    return "k8s-aws-v1." + base64.urlsafe_b64encode(url.encode()).decode().rstrip("=")


def _take_cluster_id(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if K8S_AWS_ID in params:
        context[K8S_AWS_ID] = params.pop(K8S_AWS_ID)


def _sign_cluster_id(request: Any, **_: Any) -> None:
    if K8S_AWS_ID in request.context:
        request.headers[K8S_AWS_ID] = request.context[K8S_AWS_ID]
