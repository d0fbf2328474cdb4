"""The dashboard in a real browser: Playwright driving Debian's Chromium against `drctl serve`.

An operator starts a drill of the sandbox estate (the demo's moto, simulated Kubernetes and
ArgoCD), one approver approves (and is refused a second time, with the
two-person message), a second approver approves, the operator's page follows the run live
(server-sent events) until it succeeds, and the report opens. Each page is screenshotted
into the test's directory; `DRCTL_UPDATE_SCREENSHOTS=1` also copies them to docs/screenshots/
for the README. Nothing is downloaded: the browser is /usr/bin/chromium (`make chromium`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from drctl.plan.load import load_plan
from drctl.plan.model import Scenario
from drctl.runbook.compile import compile_plan
from drctl.runbook.io import dump_runbook
from drctl.runbook.model import ApprovalGate, Step
from drctl.settings import Settings
from drctl.web.tokens import Role, TokenStore

from .conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
DOCS = ROOT / "docs" / "screenshots"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's Chromium is missing: run `make chromium`"
    ),
]


def gated_drill(plan_path: Path, out: Path) -> Path:
    """The sandbox plan's drill runbook with a two-person gate before its first steps.

    The compiled drill has no approval gate (only failovers do), so the gate is added the
    way a team would: by editing the runbook, which is data. Everything else is the drill
    `drctl compile --scenario drill` makes, run against the sandbox.
    """
    compiled = compile_plan(load_plan(plan_path), Scenario.DRILL)
    gate = Step(
        id="declare",
        title="Declare the drill",
        action="approval",
        approval=ApprovalGate(required=2, reason="a drill switches test traffic"),
    )
    steps = [gate] + [
        s if s.needs else s.model_copy(update={"needs": ["declare"]}) for s in compiled.steps
    ]
    path = out / "my-app-drill.yaml"
    path.write_text(dump_runbook(compiled.model_copy(update={"steps": steps})), encoding="utf-8")
    return path


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[tuple[Path, dict[str, str]]]:
    """The demo's sandbox (moto, simulated Kubernetes and ArgoCD) and the plan that points at it."""
    from drctl_sandbox.demo_env import DemoEnvironment

    before = dict(os.environ)
    world = DemoEnvironment(tmp_path / "sandbox").start()
    env = {**os.environ, "DRCTL_AWS_ENDPOINT_URL": world.sandbox.endpoint_url}
    try:
        yield tmp_path / "sandbox" / "plan.yaml", env
    finally:
        world.stop()
        os.environ.clear()
        os.environ.update(before)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def served(
    tmp_path: Path, sandbox: tuple[Path, dict[str, str]]
) -> Iterator[tuple[str, dict[str, str]]]:
    """`drctl serve` of the sandbox plan and its gated drill on 127.0.0.1; tokens for four people."""
    plan_path, sandbox_env = sandbox
    home = tmp_path / ".drctl"
    store = TokenStore(Settings(home=home).state_database_url())
    people = {
        "olivia": Role.OPERATOR,
        "alice": Role.APPROVER,
        "bob": Role.APPROVER,
        "ada": Role.ADMIN,
    }
    secrets = {name: store.create(name, role)[1] for name, role in people.items()}
    store.dispose()
    port = _free_port()
    env = {**sandbox_env, "DRCTL_HOME": str(home), "DRCTL_EXECUTOR_ID": "browser-test"}
    env.pop("DRCTL_DATABASE_URL", None)
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from drctl.cli import main; main()",
            "serve",
            str(plan_path),
            str(gated_drill(plan_path, tmp_path)),
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    end = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{url}/login", timeout=2).raise_for_status()
            break
        except httpx.HTTPError:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < end, "drctl serve did not answer within 60 s"
            time.sleep(0.2)
    with pytest.raises(httpx.ConnectError):  # bound to 127.0.0.1 only, not every address
        httpx.get(f"http://127.0.0.2:{port}/login", timeout=2)
    yield url, secrets
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    log.close()


def test_a_drill_started_approved_twice_and_watched_live_in_chromium(
    served: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    url, secrets = served
    shots = tmp_path / "screenshots"
    shots.mkdir()

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )

        def person(name: str) -> object:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            page.goto(f"{url}/plans")
            page.fill("input[name=token]", secrets[name])
            page.click("button[type=submit]")
            expect(page.locator("header .who")).to_contain_text(f"dashboard:{name}")
            return page

        def shot(page: object, name: str) -> None:
            page.screenshot(path=str(shots / f"{name}.png"), full_page=True)  # type: ignore[attr-defined]

        login = browser.new_page()
        login.goto(f"{url}/login")
        shot(login, "login")

        operator = person("olivia")
        expect(operator.locator("#plan-my-app")).to_contain_text("warm-standby")
        shot(operator, "plans")
        operator.select_option("#plan-my-app-drill select[name=scenario]", "drill")
        operator.click("#start-my-app-drill")
        expect(operator.locator("#run-status")).to_have_text("waiting-approval", timeout=30_000)
        run_id = operator.url.rsplit("/", 1)[1]
        expect(operator.locator("#gate-declare")).to_contain_text("0 of 2 approvals")
        shot(operator, "run-waiting")

        alice = person("alice")
        alice.goto(f"{url}/approvals")
        expect(alice.locator("main")).to_contain_text(run_id)
        shot(alice, "approvals")
        alice.goto(f"{url}/runs/{run_id}")
        alice.fill("#gate-declare input[name=reason]", "quarterly drill")
        alice.click("#gate-declare button[value=approve]")
        expect(alice.locator("#gate-declare")).to_contain_text(
            "1 of 2 approvals: approved by dashboard:alice"
        )
        alice.click("#gate-declare button[value=approve]")
        expect(alice.locator("#refused")).to_contain_text(
            "dashboard:alice is dashboard:alice (dashboard:alice), who already approved step "
            "`declare`; approval 2 of 2 must come from a different person"
        )
        shot(alice, "approval-refused")

        bob = person("bob")
        bob.goto(f"{url}/runs/{run_id}")
        bob.click("#gate-declare button[value=approve]")

        # The operator's page was not reloaded by the test: server-sent events move it on.
        expect(operator.locator("#run-status")).to_have_text("running", timeout=30_000)
        expect(operator.locator(".node.s-succeeded").first).to_be_visible(timeout=30_000)
        shot(operator, "run-live")
        expect(operator.locator("#run-status")).to_have_text("succeeded", timeout=60_000)
        expect(operator.locator("#chain")).to_contain_text("chain verified")
        shot(operator, "run-succeeded")

        operator.goto(f"{url}/runs?plan=my-app&status=succeeded")
        expect(operator.locator("main")).to_contain_text(run_id)
        shot(operator, "runs")

        operator.goto(f"{url}/runs/{run_id}")
        operator.click("#report-link")
        expect(operator.locator("body")).to_contain_text("dashboard:bob")
        shot(operator, "report")

        admin = person("ada")
        auth = {"Authorization": f"Bearer {secrets['ada']}"}
        admin.goto(f"{url}/tokens")
        expect(admin.locator("main")).to_contain_text("olivia")
        shot(admin, "tokens")
        browser.close()

    run = json.loads(httpx.get(f"{url}/api/runs/{run_id}", headers=auth).text)
    ids = {s["id"] for s in run["steps"]}
    assert run["status"] == "succeeded" and len(ids) > 20
    assert {"declare", "scale-my-cluster-ap-southeast-1", "sync-argocd-ap-southeast-1"} <= ids
    assert all(s["status"] == "succeeded" for s in run["steps"])
    assert [a["actor"] for a in run["approvals"]] == ["dashboard:alice", "dashboard:bob"]
    taken = sorted(p.name for p in shots.iterdir())
    assert taken == sorted(
        f"{n}.png"
        for n in (
            "login",
            "plans",
            "run-waiting",
            "approvals",
            "approval-refused",
            "run-live",
            "run-succeeded",
            "runs",
            "report",
            "tokens",
        )
    )
    assert all(p.stat().st_size > 10_000 for p in shots.iterdir())
    if os.environ.get("DRCTL_UPDATE_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        for png in shots.iterdir():
            shutil.copy(png, DOCS / png.name)
