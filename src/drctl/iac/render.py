"""`render(plan)`: every IaC file the plan implies, in a stable order, ready to write and diff."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from drctl.errors import PlanError
from drctl.iac.changebatch import render_change_batches
from drctl.iac.context import RenderContext
from drctl.iac.eksctl import render_eksctl
from drctl.iac.files import Kind, RenderedFile
from drctl.iac.gitops import render_gitops
from drctl.iac.iam import render_iam
from drctl.iac.route53 import render_route53
from drctl.iac.s3 import render_s3
from drctl.iac.terraform import render_terraform
from drctl.plan.model import Plan

Renderer = Callable[[Plan, RenderContext], list[RenderedFile]]

RENDERERS: dict[Kind, Renderer] = {
    Kind.EKSCTL: lambda plan, _ctx: render_eksctl(plan),
    Kind.ROUTE53: lambda plan, _ctx: render_route53(plan),
    Kind.CHANGE_BATCH: render_change_batches,
    Kind.S3: render_s3,
    Kind.GITOPS: render_gitops,
    Kind.TERRAFORM: render_terraform,
    Kind.IAM: render_iam,
}


def render(
    plan: Plan, ctx: RenderContext | None = None, only: Iterable[Kind] | None = None
) -> list[RenderedFile]:
    """The files for `plan` (optionally only some kinds), sorted by path; paths never collide."""
    context = ctx or RenderContext()
    kinds = set(only) if only is not None else set(Kind)
    files = [f for kind in Kind if kind in kinds for f in RENDERERS[kind](plan, context)]
    _refuse_collisions(files)
    return sorted(files, key=lambda f: f.path)


def _refuse_collisions(files: list[RenderedFile]) -> None:
    seen: set[str] = set()
    for file in files:
        if file.path in seen:
            raise PlanError(
                f"two rendered files would both be written to {file.path}",
                hint="give each region's eksctl_configs entry its own path",
            )
        seen.add(file.path)
