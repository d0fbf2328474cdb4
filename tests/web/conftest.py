"""Dashboard fixtures: a state database per test, tokens of every role, a gated drill runbook."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from drctl import engine
from drctl.settings import Settings
from drctl.web.app import Dashboard, create_app
from drctl.web.notify import Receivers
from drctl.web.tokens import Role

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "seed-estate.yaml"


def drill_runbook(tmp_path: Path, name: str = "shop-drill", plan: str = "shop") -> Path:
    """A drill runbook with a two-person gate between two shell steps (runs offline in seconds)."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"""\
apiVersion: drctl/v1
kind: Runbook
name: {name}
scenario: drill
plan: {plan}
steps:
  - {{id: prepare, title: Prepare the DR side, action: shell, params: {{command: "echo prepare >> {tmp_path}/log"}}}}
  - {{id: declare, title: Declare the drill, action: approval, needs: [prepare], approval: {{required: 2, reason: a drill touches the DR region}}}}
  - {{id: switch, title: Switch test traffic, action: shell, needs: [declare], params: {{command: "echo switch >> {tmp_path}/log"}}}}
  - {{id: verify, title: Verify the app, action: shell, needs: [switch], params: {{command: "echo verify >> {tmp_path}/log"}}}}
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    yield Settings(home=tmp_path / ".drctl", database_url="", executor_id="web-test")
    engine.shutdown()


@pytest.fixture
def board(settings: Settings, tmp_path: Path) -> Iterator[Dashboard]:
    dashboard = Dashboard(settings, [SEED, drill_runbook(tmp_path)], receivers=Receivers())
    yield dashboard
    dashboard.close()


@pytest.fixture
def app(board: Dashboard) -> FastAPI:
    return create_app(board)


@pytest.fixture
def secrets(board: Dashboard) -> dict[Role, str]:
    """One token per role, named after it."""
    return {role: board.tokens.create(str(role), role)[1] for role in Role}


def sign_in(client: TestClient, secret: str) -> str:
    """Sign in through the login form; returns the session's CSRF token."""
    page = client.get("/login")
    login_csrf = _field(page.text, "csrf")
    done = client.post(
        "/login",
        data={"token": secret, "csrf": login_csrf, "next": "/plans"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/plans", done.text
    return _field(client.get("/plans").text, "csrf")


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found is not None, f"no {name} field in page"
    return found.group(1)
