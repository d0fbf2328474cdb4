"""The seed estate renders to exactly the committed golden files (regenerate: DRCTL_UPDATE_GOLDEN=1)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from drctl.iac.files import write_files
from drctl.iac.render import render
from drctl.plan.load import load_plan

GOLDEN = Path(__file__).parent / "golden" / "seed-estate"


def _tree(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_seed_estate_renders_exactly_the_golden_files(seed_plan_path: Path, tmp_path: Path) -> None:
    write_files(render(load_plan(seed_plan_path)), tmp_path)
    if os.environ.get("DRCTL_UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        shutil.copytree(tmp_path, GOLDEN)
    rendered, golden = _tree(tmp_path), _tree(GOLDEN)
    assert sorted(rendered) == sorted(golden)
    for path, text in rendered.items():
        assert text == golden[path], f"{path} differs from the golden file; see DRCTL_UPDATE_GOLDEN"


def test_rendering_twice_gives_identical_bytes_in_path_order(seed_plan_path: Path) -> None:
    plan = load_plan(seed_plan_path)
    first, second = render(plan), render(plan)
    assert first == second
    assert [f.path for f in first] == sorted(f.path for f in first)


def test_the_seed_render_covers_every_family_the_issue_names(seed_plan_path: Path) -> None:
    paths = {f.path for f in render(load_plan(seed_plan_path))}
    assert {
        "iac/eks-cluster.yaml",
        "iac/eks-cluster-dr.yaml",
        "route53/my-app-dns.cfn.yaml",
        "route53/my-app-dns-failover.json",
        "route53/my-app-dns-failback.json",
        "s3/assets/replication.json",
        "s3/assets/replication-role-trust.json",
        "s3/assets/replication-role-policy.json",
        "gitops/argocd/argocd-applicationset.yaml",
        "gitops/argocd/argocd-clusters.yaml",
        "terraform/providers.tf",
        "terraform/route53_my_app_dns.tf",
        "terraform/s3_assets.tf",
        *(f"iam/drctl-{n}.json" for n in ("readiness", "drill", "az-failure", "region-failure")),
        "iam/drctl-failback.json",
        "iam/eks-access-my-cluster-ap-northeast-1.yaml",
        "iam/eks-access-my-cluster-ap-southeast-1.yaml",
        "iam/eks-node-drainer.yaml",
    } == paths
