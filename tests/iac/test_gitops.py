"""GitOps: an ArgoCD ApplicationSet over region-labelled clusters, or Flux per cluster."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import yaml
from tests.iac.plans import plan, plan_data, resource_data

from drctl.iac.context import RenderContext
from drctl.iac.gitops import go_duration, render_gitops


def _documents(data: dict[str, Any], ctx: RenderContext | None = None) -> dict[str, list[Any]]:
    files = render_gitops(plan(data), ctx or RenderContext())
    return {f.path: list(yaml.safe_load_all(f.content)) for f in files}


def test_argocd_clusters_are_labelled_by_region_and_selected_by_the_applicationset() -> None:
    docs = _documents(plan_data(), RenderContext(git_repo_url="https://git.example.com/app.git"))
    secrets = docs["gitops/argocd/argocd-clusters.yaml"]
    labels = [s["metadata"]["labels"] for s in secrets]
    assert [lab["drctl.io/region"] for lab in labels] == ["ap-northeast-1", "ap-southeast-1"]
    assert all(lab["argocd.argoproj.io/secret-type"] == "cluster" for lab in labels)
    assert [s["stringData"]["server"] for s in secrets] == [
        "https://my-cluster.ap-northeast-1.eks.amazonaws.com",
        "https://my-cluster.ap-southeast-1.eks.amazonaws.com",
    ]
    (appset,) = docs["gitops/argocd/argocd-applicationset.yaml"]
    (generator,) = appset["spec"]["generators"]
    assert generator["clusters"]["selector"]["matchLabels"] == {"drctl.io/plan": "my-app"}
    source = appset["spec"]["template"]["spec"]["source"]
    assert source == {
        "repoURL": "https://git.example.com/app.git",
        "targetRevision": "main",
        "path": "apps",
    }
    assert appset["spec"]["template"]["spec"]["destination"]["server"] == "{{.server}}"


def test_named_applications_become_a_matrix_of_clusters_and_apps() -> None:
    data = plan_data()
    resource_data(data, "gitops")["applications"] = ["web", "batch"]
    (appset,) = _documents(data)["gitops/argocd/argocd-applicationset.yaml"]
    (matrix,) = appset["spec"]["generators"]
    clusters, apps = matrix["matrix"]["generators"]
    assert "clusters" in clusters
    assert apps["list"]["elements"] == [{"app": "web"}, {"app": "batch"}]
    assert appset["spec"]["template"]["spec"]["source"]["path"] == "apps/{{.app}}"


def test_flux_gets_a_git_repository_and_kustomization_per_cluster() -> None:
    data = plan_data()
    resource_data(data, "gitops").update(tool="flux", sync_timeout="15m")
    docs = _documents(data)
    assert sorted(docs) == [
        "gitops/argocd/flux-ap-northeast-1.yaml",
        "gitops/argocd/flux-ap-southeast-1.yaml",
    ]
    for region, documents in (("ap-northeast-1", docs["gitops/argocd/flux-ap-northeast-1.yaml"]),
                              ("ap-southeast-1", docs["gitops/argocd/flux-ap-southeast-1.yaml"])):  # fmt: skip
        repository, kustomization = documents
        assert repository["kind"] == "GitRepository"
        assert repository["spec"]["url"] == "${GIT_REPO_URL}"
        assert kustomization["spec"]["sourceRef"] == {"kind": "GitRepository", "name": "my-app"}
        assert kustomization["spec"]["timeout"] == "15m"
        assert kustomization["spec"]["postBuild"]["substitute"]["DRCTL_REGION"] == region


def test_go_durations_are_written_as_kubernetes_expects() -> None:
    assert [go_duration(timedelta(seconds=s)) for s in (600, 5400, 45, 0)] == [
        "10m",
        "1h30m",
        "45s",
        "0s",
    ]
