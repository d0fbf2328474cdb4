"""`argocd.sync` and `argocd.add-cluster` against the fake ArgoCD API server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drctl.clock import FakeClock
from drctl.errors import ConfigError, NotFoundError, ProviderError, StateError
from drctl.providers import registry
from drctl.providers.base import ActionContext, StepTimeout
from drctl.settings import Settings
from drctl_sandbox.kube.argocd import SEED_APPS, FakeArgoCd
from drctl_sandbox.loopback import free_port

TOKEN_ENV = "DRCTL_TEST_ARGOCD_TOKEN"
DR = "https://my-cluster.ap-southeast-1.eks.amazonaws.com"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def argo(clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeArgoCd]:
    with FakeArgoCd(clock) as server:
        monkeypatch.setenv(TOKEN_ENV, server.token)
        yield server


@pytest.fixture
def ctx(clock: FakeClock, tmp_path: Path) -> ActionContext:
    return ActionContext(
        run_id="run-1", step_id="sync", clock=clock, settings=Settings(home=tmp_path)
    )


def sync(argo: FakeArgoCd, ctx: ActionContext, **params: Any) -> Any:
    return registry.create(
        "argocd.sync", {"server": argo.url, "token_env": TOKEN_ENV, **params}, ctx
    )


def test_sync_all_syncs_every_out_of_sync_app_reports_drift_and_waits_until_healthy(
    argo: FakeArgoCd, ctx: ActionContext
) -> None:
    argo.seed_apps(DR, sync_after=12)
    action = sync(argo, ctx)

    outcome = action.apply()
    result = action.verify(ctx.clock.monotonic() + 120)

    assert outcome.output["synced"] == sorted(SEED_APPS)
    assert outcome.output["drift"]["my-app"] == [
        "apps/Deployment my-app/my-app",
        "Service my-app/my-app",
    ]
    assert result == {"applications": {name: "Synced/Healthy" for name in SEED_APPS}}
    assert ctx.clock.monotonic() >= 12
    assert len(argo.writes()) == len(SEED_APPS)


def test_sync_repeated_while_running_or_after_success_makes_no_write_call(
    argo: FakeArgoCd, ctx: ActionContext
) -> None:
    argo.seed_apps(DR, sync_after=10)
    sync(argo, ctx).apply()
    argo.reset_requests()

    assert not sync(argo, ctx).apply().changed  # operations still running
    sync(argo, ctx).verify(ctx.clock.monotonic() + 60)
    assert not sync(argo, ctx).apply().changed  # all Synced
    assert argo.writes() == []


def test_sync_of_selected_apps_leaves_the_others_alone(
    argo: FakeArgoCd, ctx: ActionContext
) -> None:
    argo.seed_apps(DR)
    outcome = sync(argo, ctx, applications=["monitoring"]).apply()
    assert outcome.output["synced"] == ["monitoring"]
    assert [w.path for w in argo.writes()] == ["/api/v1/applications/monitoring/sync"]


def test_an_app_stuck_out_of_sync_times_out_naming_it_and_its_drift(
    argo: FakeArgoCd, ctx: ActionContext
) -> None:
    argo.add_app("my-app", destination=DR, stuck=True)
    argo.add_app("monitoring", destination=DR)
    action = sync(argo, ctx)
    action.apply()

    with pytest.raises(StepTimeout) as err:
        action.verify(ctx.clock.monotonic() + 60)

    assert err.value.message == (
        "not visible before the deadline: applications not Synced and Healthy: my-app "
        "(OutOfSync/Missing; OutOfSync: apps/Deployment my-app/my-app, Service my-app/my-app)"
    )


def test_a_failed_sync_fails_the_step_at_once_with_argocd_message(
    argo: FakeArgoCd, ctx: ActionContext
) -> None:
    argo.add_app(
        "my-app", destination=DR, failure="one or more objects failed to apply", sync_after=2
    )
    action = sync(argo, ctx)
    action.apply()

    with pytest.raises(StateError, match="last sync Failed: one or more objects failed to apply"):
        action.verify(ctx.clock.monotonic() + 600)
    assert ctx.clock.monotonic() < 10


def test_an_unknown_application_is_named(argo: FakeArgoCd, ctx: ActionContext) -> None:
    argo.seed_apps(DR)
    with pytest.raises(NotFoundError, match="ArgoCD has no application payments"):
        sync(argo, ctx, applications=["my-app", "payments"]).apply()


def test_a_wrong_token_is_reported_as_credentials_rejected(
    argo: FakeArgoCd, ctx: ActionContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TOKEN_ENV, "expired")
    with pytest.raises(ProviderError) as err:
        sync(argo, ctx).apply()
    assert (
        err.value.message
        == f"credentials rejected by {argo.url}: invalid session: token signature is invalid"
    )
    assert "argocd account generate-token" in err.value.hint


def test_a_read_only_account_gets_a_permission_error_when_syncing(
    argo: FakeArgoCd, ctx: ActionContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    argo.seed_apps(DR)
    monkeypatch.setenv(TOKEN_ENV, argo.read_only_token)
    with pytest.raises(
        ProviderError, match=r"credentials rejected by .*: permission denied"
    ) as err:
        sync(argo, ctx).apply()
    assert "RBAC" in err.value.hint


def test_missing_token_and_unreachable_server_are_clear(
    ctx: ActionContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARGOCD_AUTH_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="ARGOCD_AUTH_TOKEN is not set"):
        registry.create("argocd.sync", {"server": "http://127.0.0.1:1"}, ctx).apply()
    server = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ProviderError, match=f"cannot reach ArgoCD at {server}") as err:
        registry.create("argocd.sync", {"server": server, "token": "t"}, ctx).apply()
    assert err.value.retryable


def add_cluster(argo: FakeArgoCd, ctx: ActionContext, **params: Any) -> Any:
    raw = {
        "server": argo.url,
        "token_env": TOKEN_ENV,
        "cluster_server": DR,
        "name": "my-cluster-dr",
        **params,
    }
    return registry.create("argocd.add-cluster", raw, ctx)


def test_add_cluster_registers_the_dr_cluster_with_eks_iam_auth_once(
    argo: FakeArgoCd, ctx: ActionContext
) -> None:
    action = add_cluster(
        argo, ctx, eks_cluster="my-cluster", role_arn="arn:aws:iam::123456789012:role/argocd"
    )

    first = action.apply()
    result = action.verify(ctx.clock.monotonic() + 30)
    argo.reset_requests()
    second = add_cluster(argo, ctx, eks_cluster="my-cluster").apply()

    assert first.changed and not second.changed and argo.writes() == []
    assert result == {"server": DR, "name": "my-cluster-dr", "connection": "Unknown"}
    assert argo.stored_cluster(DR)["config"]["awsAuthConfig"] == {
        "clusterName": "my-cluster",
        "roleARN": "arn:aws:iam::123456789012:role/argocd",
    }


def test_add_cluster_with_a_token_sends_it_to_argocd_but_never_outputs_it(
    argo: FakeArgoCd, ctx: ActionContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DR_CLUSTER_TOKEN", "dr-s3cr3t")
    action = add_cluster(argo, ctx, cluster_token_env="DR_CLUSTER_TOKEN")
    outcome = action.apply()
    verified = action.verify(ctx.clock.monotonic() + 30)
    assert argo.stored_cluster(DR)["config"]["bearerToken"] == "dr-s3cr3t"
    assert "dr-s3cr3t" not in repr(outcome) + repr(verified) + repr(action.current())


def test_add_cluster_needs_exactly_one_way_to_authenticate() -> None:
    with pytest.raises(ValueError, match="exactly one of `eks_cluster`"):
        registry.params_for(
            "argocd.add-cluster", {"server": "https://argocd", "cluster_server": DR, "name": "dr"}
        )


def test_sync_all_on_a_multi_cluster_argocd_waits_only_on_apps_of_the_dr_cluster(
    argo: FakeArgoCd, ctx: ActionContext
) -> None:
    primary = "https://my-cluster.ap-northeast-1.eks.amazonaws.com"
    argo.seed_apps(DR, sync_after=2)
    argo.add_app("my-app-primary", destination=primary, stuck=True)  # its cluster is down
    action = sync(argo, ctx, destination_server=DR)

    outcome = action.apply()
    result = action.verify(ctx.clock.monotonic() + 60)

    assert outcome.output["synced"] == sorted(SEED_APPS)
    assert result == {"applications": {name: "Synced/Healthy" for name in SEED_APPS}}
    assert "deploying to " + DR in action.describe()
