"""`flux.reconcile` against Flux objects served by the fake API server."""

from __future__ import annotations

from typing import Any

import pytest
from tests.providers.kube.conftest import build, deadline

from drctl.errors import NotFoundError, StateError
from drctl.providers.base import ActionContext, StepTimeout
from drctl_sandbox.kube.api import FakeKubeApi

BOTH = [{"kind": "Kustomization", "name": "*"}, {"kind": "HelmRelease", "namespace": "monitoring"}]


def test_reconcile_annotates_each_object_and_waits_until_ready(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.add_flux("Kustomization", "flux-system", "apps", reconcile_after=8)
    api.cluster.add_flux("Kustomization", "flux-system", "infra", reconcile_after=3)
    api.cluster.add_flux("HelmRelease", "monitoring", "kube-prometheus-stack", reconcile_after=5)
    action = build("flux.reconcile", {**access, "objects": BOTH}, ctx)

    outcome = action.apply()
    result = action.verify(deadline(ctx))

    assert outcome.changed and len(api.writes()) == 3
    assert result["waiting"] == {} and len(result["ready"]) == 3  # type: ignore[arg-type]
    assert ctx.clock.monotonic() >= 8
    stored = api.store.get("kustomizations", "flux-system", "apps")
    assert stored["metadata"]["annotations"] == {
        "reconcile.fluxcd.io/requestedAt": "drctl/run-1/step-1"
    }
    assert stored["status"]["lastHandledReconcileAt"] == "drctl/run-1/step-1"


def test_reconcile_repeated_in_the_same_step_makes_no_write_call(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.add_flux("Kustomization", "flux-system", "apps")
    action = build("flux.reconcile", access, ctx)
    action.apply()
    action.verify(deadline(ctx))
    api.reset_requests()

    again = build("flux.reconcile", access, ctx)

    assert not again.apply().changed
    assert again.verify(deadline(ctx))["ready"] == ["Kustomization flux-system/apps"]
    assert api.writes() == []


def test_reconcile_timeout_names_the_failing_object_and_flux_reason(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.add_flux(
        "Kustomization",
        "flux-system",
        "apps",
        failure="kustomize build failed: accumulating resources",
    )
    action = build("flux.reconcile", access, ctx)
    action.apply()

    with pytest.raises(StepTimeout) as err:
        action.verify(deadline(ctx, 60))

    assert err.value.message == (
        "not visible before the deadline: Flux objects not reconciled and Ready: Kustomization "
        "flux-system/apps (ReconciliationFailed: kustomize build failed: accumulating resources)"
    )


def test_reconcile_refuses_a_suspended_object_with_the_resume_command(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.add_flux("HelmRelease", "my-app", "web", suspended=True)
    action = build(
        "flux.reconcile",
        {**access, "objects": [{"kind": "HelmRelease", "namespace": "my-app"}]},
        ctx,
    )
    with pytest.raises(StateError) as err:
        action.apply()
    assert err.value.message == "HelmRelease my-app/web is suspended; Flux will not reconcile it"
    assert err.value.hint == "resume it first (`flux resume helmrelease web -n my-app`)"
    assert api.writes() == []


def test_reconcile_of_a_missing_object_says_which(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    action = build("flux.reconcile", {**access, "objects": [{"name": "apps"}]}, ctx)
    with pytest.raises(NotFoundError, match="no Kustomization apps in namespace flux-system"):
        action.apply()
