"""Every Kubernetes/GitOps action kind is registered, documented, strict, and dry-runs offline."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from drctl.providers import registry
from drctl.providers.base import ActionContext

K8S = {"server": "http://127.0.0.1:1", "token": "t"}
ARGO = {"server": "http://127.0.0.1:1", "token": "t"}
MINIMAL: dict[str, dict[str, Any]] = {
    "k8s.wait-ready": {**K8S, "namespaces": ["my-app"]},
    "k8s.nodes-per-az": K8S,
    "k8s.drain-az": {**K8S, "zone": "ap-northeast-1a"},
    "k8s.uncordon-az": {**K8S, "zone": "ap-northeast-1a"},
    "k8s.verify-rescheduled": {**K8S, "failed_zone": "ap-northeast-1a", "namespaces": ["my-app"]},
    "k8s.external-secrets-ready": {**K8S, "namespaces": ["my-app"]},
    "k8s.capture-evidence": K8S,
    "argocd.add-cluster": {
        **ARGO,
        "cluster_server": "https://dr",
        "name": "dr",
        "eks_cluster": "my-cluster",
    },
    "argocd.sync": ARGO,
    "flux.reconcile": K8S,
}


@pytest.mark.parametrize("kind", sorted(MINIMAL))
def test_kind_is_registered_documented_and_describes_itself_without_connecting(kind: str) -> None:
    cls = registry.action_class(kind)
    assert cls.kind == kind and cls.__doc__ and cls.Params.__doc__
    line = registry.create(kind, MINIMAL[kind], ActionContext(dry_run=True)).describe()
    assert "\n" not in line and len(line) > 20


@pytest.mark.parametrize("kind", sorted(MINIMAL))
def test_unknown_params_are_rejected(kind: str) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        registry.params_for(kind, {**MINIMAL[kind], "namespace": "typo"})
