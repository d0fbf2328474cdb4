"""The `http` and `wait` actions against a real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from drctl.clock import SystemClock
from drctl.errors import ProviderError
from drctl.providers import registry
from drctl.providers.base import Action, ActionContext, StepTimeout


class _State:
    status = 503
    hits = 0


class _Handler(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        _State.hits += 1
        body = json.dumps({"role": "writer", "replicas": [{"region": "ap-southeast-1"}]}).encode()
        self.send_response(_State.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    _State.status, _State.hits = 200, 0
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def action(kind: str, **params: object) -> Action:
    return registry.create(kind, dict(params), ActionContext(clock=SystemClock()))


def test_http_checks_status_body_and_json_fields(server: str) -> None:
    ok = action(
        "http",
        url=f"{server}/health",
        expect_body="writer",
        expect_json={"replicas.0.region": "ap-southeast-1"},
    )
    outcome = ok.apply()
    assert (outcome.changed, outcome.output["status"]) == (False, 200)
    wrong = action("http", url=f"{server}/health", expect_json={"role": "reader"})
    with pytest.raises(ProviderError, match="`role` is 'writer', expected 'reader'"):
        wrong.apply()


def test_http_5xx_is_retryable_and_names_the_url(server: str) -> None:
    _State.status = 503
    with pytest.raises(ProviderError) as err:
        action("http", method="POST", url=f"{server}/switch").apply()
    assert err.value.retryable and err.value.code == "HTTP 503"
    assert err.value.where == f"{server}/switch"


def test_http_connection_refused_is_a_retryable_provider_error() -> None:
    with pytest.raises(ProviderError) as err:
        action("http", url="http://127.0.0.1:9/health", timeout="1s").apply()
    assert err.value.retryable


def test_wait_until_polls_an_http_condition_until_it_holds(server: str) -> None:
    _State.status = 503
    threading.Timer(0.5, lambda: setattr(_State, "status", 200)).start()
    wait = action("wait", until={"http": {"url": f"{server}/health"}}, poll="100ms")
    assert wait.verify(time.monotonic() + 10) == {
        "condition": f"GET {server}/health answers as expected"
    }
    assert _State.hits >= 2


def test_wait_until_times_out_naming_what_is_still_wrong() -> None:
    wait = action("wait", until={"shell": "exit 1"}, poll="50ms")
    with pytest.raises(StepTimeout, match="`exit 1` succeeds still not true: exit 1"):
        wait.verify(time.monotonic() + 0.3)


def test_wait_needs_exactly_one_of_duration_or_until() -> None:
    with pytest.raises(ValueError, match="exactly one of `duration` or `until`"):
        action("wait", duration="1s", until={"shell": "true"})
