"""The authorisation matrix: every route × every role × no token gives the expected status.

A role below the route's gives 403; no credentials gives a redirect to the login form for
a page and 401 for the API, `/metrics` and any POST. Allowed calls target a finished run
(or a bogus scenario), so they are refused by the engine (409) instead of changing state:
the status shows that authorisation let them through. `test_flow.py` covers the effects.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from drctl.runbook.io import load_runbook
from drctl.web.app import Dashboard
from drctl.web.tokens import Role

from .conftest import drill_runbook, sign_in

V, OP, A, D = Role.VIEWER, Role.OPERATOR, Role.APPROVER, Role.ADMIN
# (method, path, least role or None for public, status when allowed)
MATRIX: list[tuple[str, str, Role | None, int]] = [
    ("GET", "/login", None, 200),
    ("GET", "/openapi.json", None, 200),
    ("GET", "/", V, 303),
    ("GET", "/plans", V, 200),
    ("GET", "/runs", V, 200),
    ("GET", "/runs/{run}", V, 200),
    ("GET", "/runs/{run}/report", V, 200),
    ("GET", "/runs/{run}/events", V, 200),
    ("GET", "/approvals", V, 200),
    ("GET", "/metrics", V, 200),
    ("GET", "/api/me", V, 200),
    ("GET", "/api/plans", V, 200),
    ("GET", "/api/runs", V, 200),
    ("GET", "/api/runs/{run}", V, 200),
    ("GET", "/api/approvals", V, 200),
    ("GET", "/tokens", D, 200),
    ("POST", "/runs", OP, 409),
    ("POST", "/runs/{run}/cancel", OP, 409),
    ("POST", "/runs/{run}/resume", OP, 409),
    ("POST", "/runs/{run}/steps/declare/approve", A, 409),
    ("POST", "/runs/{run}/steps/declare/reject", A, 409),
    ("POST", "/tokens", D, 200),
    ("POST", "/tokens/{victim}/revoke", D, 303),
]
FORMS = {
    "/runs": {"plan": "shop-drill", "scenario": "no-such-scenario"},
    "/tokens": {"name": "new", "role": "viewer"},
    "/runs/{run}/cancel": {"reason": "authz matrix"},
    "/runs/{run}/resume": {"reason": "authz matrix"},
}


@pytest.fixture
def finished_run(board: Dashboard, tmp_path: Path) -> Iterator[str]:
    runbook = load_runbook(drill_runbook(tmp_path, "done-drill"))
    run_id = board.engine.start_run(runbook, actor="setup", auto_approve=True)
    assert board.engine.wait(run_id, 60).status == "succeeded"
    yield run_id


def _expected(least: Role | None, allowed: int, role: Role | None, method: str, path: str) -> int:
    if least is None:
        return allowed
    if role is None:
        return 303 if method == "GET" and not path.startswith(("/api", "/metrics")) else 401
    return allowed if role.allows(least) else 403


def _routes(routes: list[Any]) -> set[tuple[str, str]]:
    """(method, path) of every API route, inside included routers too."""
    found: set[tuple[str, str]] = set()
    for route in routes:
        if isinstance(route, APIRoute):
            found |= {(m, route.path) for m in route.methods}
        elif hasattr(route, "original_router"):
            found |= _routes(route.original_router.routes)
    return found


def test_the_matrix_names_every_route(app: FastAPI) -> None:
    served = _routes(app.routes)
    assert len(served) > 20
    named = {(m, p.replace("{run}", "{run_id}")) for m, p, _, _ in MATRIX}
    named = {(m, p.replace("declare", "{step_id}").replace("{victim}", "{name}")) for m, p in named}
    assert served - {("GET", "/openapi.json")} <= named | {("POST", "/login"), ("POST", "/logout")}
    assert named - served <= {("GET", "/openapi.json")}


@pytest.mark.parametrize("role", [None, *Role], ids=lambda r: str(r or "no-token"))
def test_every_route_answers_each_role_as_the_matrix_says(
    app: FastAPI, board: Dashboard, secrets: dict[Role, str], finished_run: str, role: Role | None
) -> None:
    client = TestClient(app)
    csrf = sign_in(client, secrets[role]) if role is not None else ""
    got, want = {}, {}
    for method, path, least, allowed in MATRIX:
        victim = f"victim-{role}"
        if method == "POST" and path.startswith("/tokens/"):
            board.tokens.create(victim, Role.VIEWER)
        url = path.replace("{run}", finished_run).replace("{victim}", victim)
        form = {**FORMS.get(path, {}), "csrf": csrf}
        if path == "/tokens":
            form["name"] = f"new-{role}"
        response = (
            client.get(url, follow_redirects=False)
            if method == "GET"
            else client.post(url, data=form, follow_redirects=False)
        )
        got[f"{method} {path}"] = response.status_code
        want[f"{method} {path}"] = _expected(least, allowed, role, method, path)
    assert got == want


def test_the_api_and_metrics_take_a_bearer_token(app: FastAPI, secrets: dict[Role, str]) -> None:
    client = TestClient(app)
    me = client.get("/api/me", headers={"Authorization": f"Bearer {secrets[Role.OPERATOR]}"})
    assert me.status_code == 200
    assert me.json()["actor"] == "dashboard:operator" and me.json()["role"] == "operator"
    metrics = client.get("/metrics", headers={"Authorization": f"Bearer {secrets[Role.VIEWER]}"})
    assert metrics.status_code == 200
    assert client.get("/api/me", headers={"Authorization": "Bearer drctl_wrong"}).status_code == 401


def test_a_post_without_the_session_csrf_token_is_refused(
    app: FastAPI, secrets: dict[Role, str], finished_run: str
) -> None:
    client = TestClient(app)
    sign_in(client, secrets[Role.ADMIN])
    refused = client.post(f"/runs/{finished_run}/cancel", data={"csrf": "forged"})
    assert refused.status_code == 403
    assert "missing or wrong CSRF token" in refused.text
    assert client.post("/tokens", data={"name": "x", "role": "admin"}).status_code == 403


def test_revoking_a_token_ends_its_sessions_at_the_next_request(
    app: FastAPI, board: Dashboard, secrets: dict[Role, str]
) -> None:
    client = TestClient(app)
    sign_in(client, secrets[Role.VIEWER])
    assert client.get("/plans").status_code == 200
    board.tokens.revoke("viewer")
    after = client.get("/plans", follow_redirects=False)
    assert after.status_code == 303 and after.headers["location"] == "/login?next=/plans"


def test_the_session_cookie_is_httponly_and_samesite_strict_and_holds_no_token(
    app: FastAPI, secrets: dict[Role, str]
) -> None:
    client = TestClient(app)
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    done = client.post(
        "/login", data={"token": secrets[Role.VIEWER], "csrf": csrf}, follow_redirects=False
    )
    cookie = done.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    assert secrets[Role.VIEWER] not in cookie
    for path in ("/plans", "/runs", "/approvals", "/api/me"):
        assert secrets[Role.VIEWER] not in client.get(path).text


def test_a_wrong_token_or_a_forged_login_form_does_not_sign_in(
    app: FastAPI, secrets: dict[Role, str]
) -> None:
    client = TestClient(app)
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    wrong = client.post("/login", data={"token": "drctl_nope", "csrf": csrf})
    assert wrong.status_code == 401 and "unknown, revoked or expired token" in wrong.text
    forged = TestClient(app).post("/login", data={"token": secrets[Role.ADMIN], "csrf": "x"})
    assert "the form expired" in forged.text
    assert TestClient(app).get("/plans", follow_redirects=False).status_code == 303


def test_over_https_the_session_cookie_is_also_secure(
    app: FastAPI, secrets: dict[Role, str]
) -> None:
    client = TestClient(app, base_url="https://dashboard.example.com")
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    done = client.post(
        "/login", data={"token": secrets[Role.VIEWER], "csrf": csrf}, follow_redirects=False
    )
    assert "Secure" in done.headers["set-cookie"]
    assert client.get("/plans").status_code == 200


@pytest.mark.parametrize(
    "target", ["//evil.example.com/", "/\\evil.example.com", "https://evil.example.com"]
)
def test_login_never_redirects_off_the_site(
    app: FastAPI, secrets: dict[Role, str], target: str
) -> None:
    client = TestClient(app)
    page = client.get("/login")
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    done = client.post(
        "/login",
        data={"token": secrets[Role.VIEWER], "csrf": csrf, "next": target},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/"
