"""Least-privilege IAM policies for the identity that runs drctl, one per scenario, and its EKS access.

`iam/drctl-<scenario>.json` allows exactly the actions the scenario's compiled runbook makes
(`iam_table.STEP_CALLS`), `iam/drctl-readiness.json` those of the live `drctl check` rules that
apply to the plan (`RULE_CALLS`). Resources are the plan's ARNs where the action supports
resource-level permissions; a statement with `"Resource": "*"` is named (Sid) for why.
`iam/eks-access-<region>.yaml` is the eksctl `accessConfig` giving the same identity what
drctl's Kubernetes steps need on each cluster. When the plan declares `aws.roles`, each
region's access entry names that region's role, and `iam/drctl-roles.json` says which role
each region's calls use: attach the policies to every role it lists. What drctl calls outside
steps (FIS injection, data canaries, CloudTrail evidence, KMS signing) and eksctl's own needs
are in `iam_outside`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import Any

from drctl.iac.context import RenderContext
from drctl.iac.files import Kind, RenderedFile, to_json, to_yaml
from drctl.iac.iam_arns import call_arns, plan_resources
from drctl.iac.iam_outside import (
    EKSCTL_NOTE,
    canary_statements,
    eksctl_note,
    evidence_operations,
    injection_statement,
    kms_signing_policy,
    runs_eksctl,
)
from drctl.iac.iam_table import OPERATIONS, RULE_CALLS, STEP_CALLS, Res
from drctl.plan.model import Plan, Scenario
from drctl.plan.resources import EksCluster, GitOps
from drctl.runbook.model import Runbook

READINESS = "readiness"
NO_RESOURCE_LEVEL = "ActionsWithoutResourceLevelPermissions"
PRINCIPAL = "${DRCTL_ROLE_ARN}"
"""The role (or user) drctl runs as; envsubst fills it, like the other placeholders."""
GLOBAL_REGION = "us-east-1"
"""Where Route 53's API and global services' CloudTrail events are."""

Grant = tuple[str, tuple[Res, ...]]
"""One IAM action and the resource types it is authorized on (empty: `*`)."""


def step_operations(runbook: Runbook) -> set[str]:
    """The `service:Operation` calls the runbook's steps make (by kind, and kind[param=value])."""
    found: set[str] = set()
    for step in runbook.steps:
        keys = [step.action]
        for name, value in step.params.items():
            keys += [f"{step.action}[{name}={value}]"] if isinstance(value, str) else []
            keys += [f"{step.action}[{name}]"] if value else []
        found.update(op for key in keys for op in STEP_CALLS.get(key, ()))
    return found


def readiness_operations(plan: Plan) -> set[str]:
    """The calls of the live `drctl check` rules that have something to check in the plan."""
    from drctl.checks.registry import RULES

    applying = [r.id for r in RULES if r.live and r.applies(plan) and r.subjects(plan)]
    return {op for rule in applying for op in RULE_CALLS.get(rule, ())}


def grants(operations: Iterable[str]) -> set[Grant]:
    """The IAM actions (with their resource types) the operations need; none for no-permission ones."""
    out: set[Grant] = set()
    for key in operations:
        op = OPERATIONS[key]
        if op.action is not None:
            out.add((op.action, op.resources))
        out.update((action, (res,)) for action, res in op.implies)
    return out


def policy_document(
    plan: Plan, operations: Iterable[str], ctx: RenderContext, roles: Iterable[str] = ()
) -> dict[str, Any]:
    """An IAM policy allowing `operations` on the plan's resources; one statement per resource set."""
    arns = plan_resources(plan, ctx, roles)
    by_types: dict[tuple[str, ...], set[str]] = {}
    for action, resources in grants(operations):
        types = tuple(sorted({r.type for r in resources}))
        if types and not any(t in arns for t in types):
            continue  # nothing of that type in the plan (secrets without SSM parameters)
        by_types.setdefault(types, set()).add(action)
    statements = [
        {
            "Sid": _sid(types),
            "Effect": "Allow",
            "Action": sorted(actions),
            "Resource": _resources(types, arns),
        }
        for types, actions in by_types.items()
    ]
    return {"Version": "2012-10-17", "Statement": sorted(statements, key=lambda s: str(s["Sid"]))}


def _sid(types: tuple[str, ...]) -> str:
    if not types:
        return NO_RESOURCE_LEVEL
    words = re.split(r"[^A-Za-z0-9]+", " ".join(types))
    return "On" + "".join(w[:1].upper() + w[1:] for w in words if w)


def _resources(types: tuple[str, ...], arns: Mapping[str, list[str]]) -> str | list[str]:
    if not types:
        return "*"
    placeholder = "${" + "_".join(re.split(r"[^A-Z0-9]+", types[0].upper())) + "_ARN}"
    return sorted({a for t in types for a in arns.get(t, [placeholder])})


def allows(document: Mapping[str, Any], action: str, arn: str) -> bool:
    """Whether an Allow statement of `document` covers `action` on `arn` (IAM's `*`/`?` globbing).

    An `arn` with `*` in place of an id the call did not record is allowed when the policy
    grants the action on some resource of that pattern (same type, region and account).
    """
    for statement in document["Statement"]:
        actions = statement["Action"]
        resources = statement["Resource"]
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if not any(fnmatch.fnmatchcase(action, a) for a in actions):
            continue
        if any(fnmatch.fnmatchcase(arn, r) or fnmatch.fnmatchcase(r, arn) for r in resources):
            return True
    return False


def needed(
    service: str, operation: str, region: str, account: str, resource: str
) -> list[tuple[str, str]]:
    """(action, ARN) pairs a recorded call needs allowed; `resource` is its `Key=value, ...` string."""
    op = OPERATIONS.get(f"{service}:{operation}")
    if op is None:
        return [(f"{service}:{operation}", "?")]  # not in the table: never allowed
    identifiers = dict(part.split("=", 1) for part in resource.split(", ") if "=" in part)
    out: list[tuple[str, str]] = []
    if op.action is not None:
        arns = [call_arns(r, region, account, identifiers) for r in op.resources] or ["*"]
        out += [(op.action, a) for a in arns]
    out += [(a, call_arns(r, region, account, identifiers)) for a, r in op.implies]
    return out


def render_iam(plan: Plan, ctx: RenderContext) -> list[RenderedFile]:
    """One policy per scenario the plan declares, the readiness policy, EKS access per cluster."""
    from drctl.runbook.compile import compile_plan

    files = [_policy_file(READINESS, policy_document(plan, readiness_operations(plan), ctx))]
    with_eksctl: list[str] = []
    for scenario in plan.scenarios:
        runbook = compile_plan(plan, Scenario(scenario))
        operations = step_operations(runbook) | evidence_operations(plan)
        document = policy_document(plan, operations, ctx, _roles(runbook))
        # outside the steps: `--inject fis:...` (any scenario), the data canaries
        outside = [injection_statement(plan, ctx), *canary_statements(plan, scenario, ctx)]
        statements = [*document["Statement"], *outside]
        document["Statement"] = sorted(statements, key=lambda s: str(s["Sid"]))
        note = ""
        if runs_eksctl(runbook):
            with_eksctl.append(str(scenario))
            note = f"eksctl's own calls are not in it: see {EKSCTL_NOTE}"
        files.append(_policy_file(str(scenario), document, note))
    files += [eksctl_note(with_eksctl)] if with_eksctl else []
    return files + kms_signing_policy(plan, ctx) + access_entries(plan) + role_map(plan)


def principal(plan: Plan, region: str) -> str:
    """The role drctl acts as in `region` by the plan, else the `${DRCTL_ROLE_ARN}` placeholder."""
    role = plan.aws.role_for(region)
    return role.role_arn if role is not None else PRINCIPAL


def role_map(plan: Plan) -> list[RenderedFile]:
    """`iam/drctl-roles.json`: the role of each region drctl calls (the plan's, and us-east-1
    for Route 53 and global-service events), when the plan declares roles."""
    if not plan.aws.roles:
        return []
    regions = [plan.regions.primary, plan.regions.secondary, plan.regions.test, GLOBAL_REGION]
    by_region = {str(r): principal(plan, str(r)) for r in regions if r}
    document = {
        "attach_policies_to": sorted(set(by_region.values())),
        "role_by_region": by_region,
        "unlisted": "a region without a plan role uses DRCTL_AWS_ROLE_ARN, else the profile",
    }
    return [RenderedFile(path="iam/drctl-roles.json", kind=Kind.IAM, content=to_json(document))]


def _roles(runbook: Runbook) -> list[str]:
    """Roles the runbook hands to AWS (replication, batch jobs): iam:PassRole on exactly these."""
    return sorted(
        {
            str(s.params["role_arn"])
            for s in runbook.steps
            if isinstance(s.params.get("role_arn"), str)
        }
    )


def _policy_file(name: str, document: dict[str, Any], note: str = "") -> RenderedFile:
    path = f"iam/drctl-{name}.json"
    return RenderedFile(path=path, kind=Kind.IAM, content=to_json(document), note=note)


def access_entries(plan: Plan) -> list[RenderedFile]:
    """eksctl `accessConfig` per cluster: view the cluster, edit the plan's namespaces, drain nodes."""
    namespaces = _namespaces(plan)
    files: list[RenderedFile] = []
    for eks in plan.resources_of(EksCluster):
        for region, cluster in eks.clusters.items():
            files.append(
                RenderedFile(
                    path=f"iam/eks-access-{eks.name}-{region}.yaml",
                    kind=Kind.IAM,
                    content=to_yaml(
                        _access_config(
                            cluster, region, namespaces[eks.name], principal(plan, region)
                        )
                    ),
                )
            )
    if files:
        files.append(
            RenderedFile(path="iam/eks-node-drainer.yaml", kind=Kind.IAM, content=_drainer_rbac())
        )
    return files


def _namespaces(plan: Plan) -> dict[str, list[str]]:
    flux = any(g.tool == "flux" for g in plan.resources_of(GitOps))
    return {
        eks.name: sorted({*eks.namespaces, *(["flux-system"] if flux else [])})
        for eks in plan.resources_of(EksCluster)
    }


EKS_POLICY = "arn:aws:eks::aws:cluster-access-policy/"
DRAINER_GROUP = "drctl-node-drainers"


def _access_config(
    cluster: str, region: str, namespaces: list[str], principal_arn: str
) -> dict[str, Any]:
    return {
        "apiVersion": "eksctl.io/v1alpha5",
        "kind": "ClusterConfig",
        "metadata": {"name": cluster, "region": region},
        "accessConfig": {
            "authenticationMode": "API_AND_CONFIG_MAP",
            "accessEntries": [
                {
                    "principalARN": principal_arn,
                    # cordon/drain (az-failure) patch nodes: a cluster-scoped RBAC group,
                    # bound in eks-node-drainer.yaml, instead of cluster-admin
                    "kubernetesGroups": [DRAINER_GROUP],
                    "accessPolicies": [
                        {
                            "policyARN": EKS_POLICY + "AmazonEKSViewPolicy",
                            "accessScope": {"type": "cluster"},
                        },
                        {
                            "policyARN": EKS_POLICY + "AmazonEKSEditPolicy",
                            "accessScope": {"type": "namespace", "namespaces": namespaces},
                        },
                    ],
                }
            ],
        },
    }


def _drainer_rbac() -> str:
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": DRAINER_GROUP},
        "rules": [
            {"apiGroups": [""], "resources": ["nodes"], "verbs": ["get", "list", "patch"]},
            {"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["create"]},
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": DRAINER_GROUP},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": DRAINER_GROUP,
        },
        "subjects": [
            {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": DRAINER_GROUP}
        ],
    }
    return to_yaml(role, binding)
