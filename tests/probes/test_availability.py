"""The availability probe against a real HTTP server on a loopback address that goes down and up."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from drctl.probes.availability import AvailabilityProbe
from drctl.probes.measure import measure_rto


class _Switchable(http.server.BaseHTTPRequestHandler):
    healthy = True

    def do_GET(self) -> None:
        code = 200 if type(self).healthy else 503
        self.send_response(code)
        self.send_header("x-served-by", "test-app")
        self.end_headers()
        self.wfile.write(b"ok" if code == 200 else b"down")

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def app() -> Iterator[tuple[str, type[_Switchable]]]:
    handler = type("Handler", (_Switchable,), {"healthy": True})
    server = http.server.ThreadingHTTPServer(("127.0.0.2", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.2:{server.server_address[1]}", handler
    server.shutdown()


def test_probe_rto_matches_injected_failure_and_recovery_within_one_interval(
    app: tuple[str, type[_Switchable]],
) -> None:
    address, handler = app
    interval = timedelta(milliseconds=50)
    probe = AvailabilityProbe(f"http://my-app.example.com:{address.split(':')[1]}/health", interval=interval,
                              resolver=lambda host: "127.0.0.2" if host == "my-app.example.com" else None)  # fmt: skip
    probe.start()
    time.sleep(0.3)
    failed_at = probe.clock.now()
    handler.healthy = False
    time.sleep(0.5)
    recovered_at = probe.clock.now()
    handler.healthy = True
    time.sleep(0.4)
    probe.stop()
    result = measure_rto(probe.snapshot(), failed_at, threshold=3)
    assert result.rto is not None
    true_rto = recovered_at - failed_at
    assert abs(result.rto - true_rto) <= interval + timedelta(milliseconds=30)
    assert result.failed_samples >= 5
    assert all(s.served_by == "test-app" for s in probe.snapshot() if s.status)


def test_unresolvable_host_is_a_failed_sample() -> None:
    probe = AvailabilityProbe("http://nowhere.example.com/health", resolver=lambda host: None)
    probe.tick()
    (sample,) = probe.snapshot()
    assert not sample.ok
    assert "did not resolve" in sample.error
