"""Fixtures for the Kubernetes and Flux actions: a fake API server sharing a FakeClock with the step."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drctl.clock import FakeClock
from drctl.providers import registry
from drctl.providers.base import Action, ActionContext
from drctl.settings import Settings
from drctl_sandbox.kube.api import FakeKubeApi

TOKEN_ENV = "DRCTL_TEST_KUBE_TOKEN"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api(clock: FakeClock) -> Iterator[FakeKubeApi]:
    with FakeKubeApi(clock) as server:
        yield server


@pytest.fixture
def ctx(clock: FakeClock, tmp_path: Path) -> ActionContext:
    return ActionContext(
        run_id="run-1", step_id="step-1", clock=clock, settings=Settings(home=tmp_path)
    )


@pytest.fixture
def access(api: FakeKubeApi, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Params that reach the fake server with a token from the environment."""
    monkeypatch.setenv(TOKEN_ENV, api.token)
    return {"server": api.url, "token_env": TOKEN_ENV}


def build(kind: str, params: dict[str, Any], ctx: ActionContext) -> Action:
    """The action for `kind`, built through the registry as the engine builds it."""
    return registry.create(kind, params, ctx)


def deadline(ctx: ActionContext, seconds: float = 120) -> float:
    return ctx.clock.monotonic() + seconds
