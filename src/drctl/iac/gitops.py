"""GitOps manifests from a `gitops` resource: the same manifests deployed to every cluster.

ArgoCD: one cluster Secret per region (labelled with the plan, region and role) and an
ApplicationSet whose cluster generator selects them. Flux: per cluster, a GitRepository and
one Kustomization per application, with the region substituted into the manifests.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drctl.iac.context import RenderContext, env_name
from drctl.iac.files import Kind, RenderedFile, to_yaml
from drctl.plan.model import Plan
from drctl.plan.resources import EksCluster, GitOps

ALL = "*"


def _role(plan: Plan, region: str) -> str:
    return "primary" if region == plan.regions.primary else "dr"


def _servers(plan: Plan, resource: GitOps) -> dict[str, str]:
    """API server per region, primary first; placeholders when the plan names none."""
    servers = resource.clusters or {
        region: "${" + env_name(region, "api-server") + "}"
        for region in (plan.regions.primary, plan.regions.secondary)
    }
    return dict(
        sorted(servers.items(), key=lambda item: (item[0] != plan.regions.primary, item[0]))
    )


def _cluster_name(plan: Plan, region: str) -> str:
    names = [c.clusters[region] for c in plan.resources_of(EksCluster) if region in c.clusters]
    return names[0] if names else f"{plan.metadata.name}-{region}"


def _namespace(plan: Plan) -> str:
    clusters = plan.resources_of(EksCluster)
    return clusters[0].namespaces[0] if clusters and clusters[0].namespaces else "default"


def _labels(plan: Plan, region: str) -> dict[str, str]:
    return {
        "drctl.io/plan": plan.metadata.name,
        "drctl.io/region": region,
        "drctl.io/role": _role(plan, region),
    }


def argocd_cluster_secret(plan: Plan, region: str, server: str) -> dict[str, Any]:
    """The declarative ArgoCD cluster registration of one region's cluster."""
    name = _cluster_name(plan, region)
    config = (
        '{"awsAuthConfig": {"clusterName": "' + name + '"}, '
        '"tlsClientConfig": {"caData": "${' + env_name(region, "ca-data") + '}"}}'
    )
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {
            "name": f"drctl-{plan.metadata.name}-{region}",
            "namespace": "argocd",
            "labels": {"argocd.argoproj.io/secret-type": "cluster", **_labels(plan, region)},
        },
        "type": "Opaque",
        "stringData": {"name": f"{name}-{region}", "server": server, "config": config},
    }


def application_set(plan: Plan, resource: GitOps, ctx: RenderContext) -> dict[str, Any]:
    """An ApplicationSet deploying the same manifests to every cluster labelled with the plan."""
    clusters = {"clusters": {"selector": {"matchLabels": {"drctl.io/plan": plan.metadata.name}}}}
    region = '{{index .metadata.labels "drctl.io/region"}}'
    if resource.applications == [ALL]:
        generators: list[dict[str, Any]] = [clusters]
        name, path = f"{plan.metadata.name}-{region}", "apps"
    else:
        apps = {"list": {"elements": [{"app": app} for app in resource.applications]}}
        generators = [{"matrix": {"generators": [clusters, apps]}}]
        name, path = f"{{{{.app}}}}-{region}", "apps/{{.app}}"
    template = {
        "metadata": {"name": name, "labels": {"drctl.io/plan": plan.metadata.name}},
        "spec": {
            "project": "default",
            "source": {"repoURL": ctx.repo_url(), "targetRevision": ctx.git_revision, "path": path},
            "destination": {"server": "{{.server}}", "namespace": _namespace(plan)},
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": True},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    }
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": f"{plan.metadata.name}-{resource.name}", "namespace": "argocd"},
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": generators,
            "template": template,
        },
    }


def go_duration(value: timedelta) -> str:
    """A duration as Kubernetes/Go writes it: `10m`, `1h30m`, `45s`."""
    hours, rest = divmod(round(value.total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    return text + (f"{seconds}s" if seconds or not text else "")


def flux_documents(
    plan: Plan, resource: GitOps, region: str, ctx: RenderContext
) -> list[dict[str, Any]]:
    """A GitRepository and one Kustomization per application, for the cluster in `region`."""
    source = plan.metadata.name
    repository = {
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": source, "namespace": "flux-system", "labels": _labels(plan, region)},
        "spec": {"interval": "1m", "url": ctx.repo_url(), "ref": {"branch": ctx.git_revision}},
    }
    apps = (
        [("apps", "./apps")]
        if resource.applications == [ALL]
        else [(app, f"./apps/{app}") for app in resource.applications]
    )
    kustomizations = [_kustomization(plan, resource, region, name, path) for name, path in apps]
    return [repository, *kustomizations]


def _kustomization(
    plan: Plan, resource: GitOps, region: str, name: str, path: str
) -> dict[str, Any]:
    return {
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {
            "name": f"{plan.metadata.name}-{name}",
            "namespace": "flux-system",
            "labels": _labels(plan, region),
        },
        "spec": {
            "interval": "10m",
            "path": path,
            "prune": True,
            "wait": True,
            "timeout": go_duration(resource.sync_timeout),
            "sourceRef": {"kind": "GitRepository", "name": plan.metadata.name},
            "postBuild": {
                "substitute": {"DRCTL_REGION": region, "DRCTL_ROLE": _role(plan, region)}
            },
        },
    }


def render_gitops(plan: Plan, ctx: RenderContext) -> list[RenderedFile]:
    """ArgoCD or Flux manifests (per the resource's `tool`) for every `gitops` resource."""
    files: list[RenderedFile] = []
    for resource in plan.resources_of(GitOps):
        base = f"gitops/{resource.name}"
        if resource.tool == "argocd":
            secrets = [
                argocd_cluster_secret(plan, r, s) for r, s in _servers(plan, resource).items()
            ]
            files.append(_file(f"{base}/argocd-clusters.yaml", *secrets))
            files.append(
                _file(f"{base}/argocd-applicationset.yaml", application_set(plan, resource, ctx))
            )
        else:
            for region in _servers(plan, resource):
                documents = flux_documents(plan, resource, region, ctx)
                files.append(_file(f"{base}/flux-{region}.yaml", *documents))
    return files


def _file(path: str, *documents: dict[str, Any]) -> RenderedFile:
    return RenderedFile(path=path, kind=Kind.GITOPS, content=to_yaml(*documents))
