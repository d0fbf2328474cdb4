"""The sandbox's loopback HTTP servers: a client that went away is no error worth a traceback."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from drctl_sandbox.loopback import QuietHTTPServer


class _Slow(BaseHTTPRequestHandler):
    """Answers after the client has given up, with a body large enough to hit the closed socket."""

    def do_GET(self) -> None:
        time.sleep(0.3)
        self.send_response(200)
        self.end_headers()
        for _ in range(64):
            self.wfile.write(b"x" * 65536)

    def log_message(self, *args: object) -> None:
        return


class _Broken(_Slow):
    def do_GET(self) -> None:
        raise ValueError("a real bug in a handler")


def _serve(handler: type[BaseHTTPRequestHandler]) -> tuple[QuietHTTPServer, int]:
    server = QuietHTTPServer(("127.0.0.7", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def _hang_up(port: int) -> None:
    """Send a request, then close before the answer (as a probe whose timeout passed does)."""
    with socket.create_connection(("127.0.0.7", port)) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.8)  # the handler answers into the closed connection


def test_a_client_that_hung_up_prints_no_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    server, port = _serve(_Slow)
    try:
        _hang_up(port)
    finally:
        server.shutdown()
    assert "Traceback" not in capfd.readouterr().err


def test_a_handler_that_fails_for_another_reason_still_prints_it(
    capfd: pytest.CaptureFixture[str],
) -> None:
    server, port = _serve(_Broken)
    try:
        _hang_up(port)
    finally:
        server.shutdown()
    assert "ValueError: a real bug in a handler" in capfd.readouterr().err
