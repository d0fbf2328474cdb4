"""`drctl check --push-gateway URL` PUTs the figures to a Pushgateway (a loopback HTTP receiver here)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tests.checks.conftest import SEED

from drctl.cli import main


class Received(BaseHTTPRequestHandler):
    """Records each request's method, path and body, answering 200 like a Pushgateway."""

    requests: list[tuple[str, str, str]]

    def do_PUT(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.requests.append(("PUT", self.path, self.rfile.read(length).decode()))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    requests: list[tuple[str, str, str]] = []
    handler = type("Handler", (Received,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def test_check_pushes_its_figures_grouped_by_plan(
    gateway: tuple[str, list[tuple[str, str, str]]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url, requests = gateway
    monkeypatch.setenv("DRCTL_HOME", str(tmp_path / ".drctl"))
    with pytest.raises(SystemExit) as exited:
        main(["check", str(SEED), "--static", "-f", "json", "--push-gateway", url])
    assert exited.value.code == 1
    ((method, path, body),) = requests
    assert (method, path) == ("PUT", "/metrics/job/drctl-check/plan/my-app")
    lines = body.splitlines()
    assert "drctl_check_ready 0.0" in lines
    assert 'drctl_check_findings{severity="error"} 4.0' in lines
    assert 'drctl_check_checks{mode="static"} 25.0' in lines
    assert (
        'drctl_check_rule_findings{resource="my-app",rule="drill-recency",severity="error"} 4.0'
        in lines
    )


def test_an_unreachable_gateway_is_could_not_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DRCTL_HOME", str(tmp_path / ".drctl"))
    with pytest.raises(SystemExit) as exited:
        main(["check", str(SEED), "--static", "--skip", "drill-recency", "-f", "json", "--push-gateway", "http://127.0.0.1:9"])  # fmt: skip
    assert exited.value.code == 3
    assert "could not push the results to the Pushgateway" in capsys.readouterr().err
