"""IaC rules: the eksctl configs a plan references exist, parse, and build the same cluster in both regions."""

from __future__ import annotations

import re
from typing import Any

from drctl.checks.base import ResourceRule
from drctl.checks.context import CheckContext
from drctl.checks.model import Finding
from drctl.errors import PlanError
from drctl.plan.model import Plan
from drctl.plan.resources import EksCluster
from drctl.yamlsource import read_yaml

MAX_DIFFERENCES = 3
ROLE_LABEL = "drctl.io/role"


def load_config(ctx: CheckContext, path: str) -> Any:
    """The parsed eksctl config at `path` (relative to the plan file); `PlanError` if unreadable."""
    data, _ = read_yaml(ctx.relative(path))
    if not isinstance(data, dict) or data.get("kind") != "ClusterConfig":
        raise PlanError(
            "is not an eksctl ClusterConfig (expected `kind: ClusterConfig`)",
            hint="point `eksctl_configs` at the file `eksctl create cluster -f` uses",
            where=str(ctx.relative(path)),
        )
    return data


def normalise(value: Any, region: str) -> Any:
    """The config with the region's name, its AZ names and drctl's role label as placeholders."""
    if isinstance(value, dict):
        # `drctl iac render` labels nodes with the region's role (primary | dr).
        return {k: "<role>" if k == ROLE_LABEL else normalise(v, region) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, region) for v in value]
    if isinstance(value, str):
        return re.sub(rf"{re.escape(region)}[a-z]\b", "<az>", value).replace(region, "<region>")
    return value


def differences(left: Any, right: Any, path: str = "") -> list[str]:
    """Where two parsed configs differ, as `path: left != right`."""
    if isinstance(left, dict) and isinstance(right, dict):
        return [
            d
            for key in sorted(set(left) | set(right), key=str)
            for d in differences(left.get(key), right.get(key), f"{path}.{key}".lstrip("."))
        ]
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        return [
            d
            for i, (a, b) in enumerate(zip(left, right, strict=True))
            for d in differences(a, b, f"{path}[{i}]")
        ]
    return [] if left == right else [f"{path or '<root>'}: {left!r} != {right!r}"]


class IacFilesParse(ResourceRule[EksCluster]):
    """Referenced eksctl configs exist and parse."""

    id = "iac-files-parse"
    title = "Referenced eksctl configs exist and parse"
    rationale = (
        "Backup-restore and pilot-light rebuild the DR cluster from IaC during the disaster "
        "(seed 1.1); a missing or broken file is found then, when it is too late."
    )
    hint = "fix the path in `eksctl_configs` (relative to the plan file) or the YAML it names"
    kind = EksCluster

    def wants(self, plan: Plan, resource: EksCluster) -> bool:
        return bool(resource.eksctl_configs)

    def check(self, ctx: CheckContext, resource: EksCluster) -> list[Finding]:
        found = []
        for region, path in resource.eksctl_configs.items():
            try:
                load_config(ctx, path)
            except PlanError as exc:
                found.append(
                    self.finding(
                        resource.name,
                        f"eksctl config for {region}: {exc}",
                        hint=exc.hint or self.hint,
                    )
                )
        return found


class EksctlConfigsMatch(ResourceRule[EksCluster]):
    """The eksctl configs of both regions differ only in region and AZ names."""

    id = "eksctl-configs-match"
    title = "eksctl configs of both regions match"
    rationale = (
        "The DR cluster must be the same cluster in another region (seed 1.1: same eksctl spec); "
        "any other difference (version, sizes, addons) is drift that surfaces during failover."
    )
    hint = "make the DR config a copy of the primary's with only region and AZ names changed"
    kind = EksCluster

    def wants(self, plan: Plan, resource: EksCluster) -> bool:
        configs = resource.eksctl_configs
        return plan.regions.primary in configs and plan.regions.secondary in configs

    def check(self, ctx: CheckContext, resource: EksCluster) -> list[Finding]:
        primary, secondary = ctx.plan.regions.primary, ctx.plan.regions.secondary
        try:
            left = normalise(load_config(ctx, resource.eksctl_configs[primary]), primary)
            right = normalise(load_config(ctx, resource.eksctl_configs[secondary]), secondary)
        except PlanError:
            return []  # iac-files-parse reports it
        diffs = differences(left, right)
        if not diffs:
            return []
        more = f" (and {len(diffs) - MAX_DIFFERENCES} more)" if len(diffs) > MAX_DIFFERENCES else ""
        shown = "; ".join(diffs[:MAX_DIFFERENCES])
        return [
            self.finding(
                resource.name,
                f"{primary} and {secondary} configs differ beyond region/AZ: {shown}{more}",
            )
        ]


class EksctlConfigNamesCluster(ResourceRule[EksCluster]):
    """Each region's eksctl config creates the cluster the plan names there, in that region."""

    id = "eksctl-config-names-cluster"
    title = "eksctl configs create the plan's clusters"
    rationale = (
        "`eksctl create cluster -f` builds what `metadata.name`/`metadata.region` say; a config "
        "copied from another estate rebuilds the wrong cluster, and the recovery then waits "
        "for one that never appears."
    )
    hint = "set the config's metadata.name and metadata.region to the plan's cluster and region"
    kind = EksCluster

    def wants(self, plan: Plan, resource: EksCluster) -> bool:
        return bool(resource.eksctl_configs)

    def check(self, ctx: CheckContext, resource: EksCluster) -> list[Finding]:
        found = []
        for region, path in resource.eksctl_configs.items():
            try:
                meta = load_config(ctx, path).get("metadata") or {}
            except PlanError:
                continue  # iac-files-parse reports it
            wanted = {"name": resource.clusters.get(region), "region": region}
            wrong = [
                f"metadata.{k} is {meta.get(k)!r}, the plan has {v!r}"
                for k, v in wanted.items()
                if v is not None and meta.get(k) != v
            ]
            if wrong:
                found.append(self.finding(resource.name, f"{path} ({region}): {'; '.join(wrong)}"))
        return found


IAC_RULES = (IacFilesParse(), EksctlConfigsMatch(), EksctlConfigNamesCluster())
