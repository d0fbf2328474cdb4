"""`k8s.wait-ready` against the fake API server."""

from __future__ import annotations

from typing import Any

import pytest
from tests.providers.kube.conftest import build, deadline

from drctl.errors import StateError
from drctl.providers.base import ActionContext, StepTimeout
from drctl_sandbox.kube.api import FakeKubeApi


def test_wait_ready_returns_once_pods_become_ready_after_a_delay(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.seed_cluster(deployments={"my-app/web": 3}, ready_after=30)
    action = build("k8s.wait-ready", {**access, "namespaces": ["my-app"]}, ctx)
    before = action.current()
    assert isinstance(before["pods_not_ready"], list) and len(before["pods_not_ready"]) == 3

    result = action.verify(deadline(ctx))

    assert result["pods"] == 3 and result["pods_not_ready"] == []
    assert ctx.clock.monotonic() >= 30


def test_wait_ready_makes_no_write_call_and_repeats_unchanged(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.seed_cluster()
    action = build("k8s.wait-ready", {**access, "namespaces": ["*"]}, ctx)
    first, second = action.apply(), action.apply()
    action.verify(deadline(ctx))
    assert not first.changed and not second.changed
    assert api.writes() == []


def test_wait_ready_timeout_names_the_pods_that_are_not_ready(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.seed_cluster(deployments={"my-app/web": 2})
    stuck = api.cluster.pods("my-app")[0]["metadata"]["name"]
    api.cluster.never_ready("my-app", stuck)
    action = build("k8s.wait-ready", {**access, "namespaces": ["my-app"]}, ctx)

    with pytest.raises(StepTimeout) as err:
        action.verify(deadline(ctx, 60))

    assert f"pods not Ready: my-app/{stuck} (CrashLoopBackOff)" in err.value.message
    assert "deployment my-app/web (1/2 available)" in err.value.message


def test_wait_ready_waits_for_statefulsets_and_jobs(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.seed_cluster(deployments={})
    api.cluster.add_statefulset("my-app", "db", 2, ready_after=10)
    api.cluster.add_job("my-app", "migrate", complete_after=20)
    action = build("k8s.wait-ready", {**access, "namespaces": ["my-app"]}, ctx)
    assert action.current()["jobs_incomplete"] == ["my-app/migrate"]

    action.verify(deadline(ctx))

    assert ctx.clock.monotonic() >= 20


def test_wait_ready_fails_at_once_when_a_job_has_failed(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.seed_cluster(deployments={})
    api.cluster.add_job("my-app", "migrate", failure="Job has reached the specified backoff limit")
    action = build("k8s.wait-ready", {**access, "namespaces": ["my-app"]}, ctx)

    with pytest.raises(StateError, match="job my-app/migrate failed: BackoffLimitExceeded"):
        action.verify(deadline(ctx))
    assert ctx.clock.monotonic() == 0
