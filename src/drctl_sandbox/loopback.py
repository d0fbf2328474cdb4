"""Loopback addresses and free TCP ports for the sandbox's servers.

Each region's app gets its own loopback address (127.0.0.2, 127.0.0.3, ...; Linux routes
all of 127.0.0.0/8 to lo) and the same port, so a failover record's two answers differ
only in address, as two regions' load balancers would.
"""

from __future__ import annotations

import socket
import sys
from http.server import ThreadingHTTPServer

DEFAULT_ADDRESSES = ("127.0.0.2", "127.0.0.3")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def shared_free_port(hosts: tuple[str, ...]) -> int:
    """A TCP port free on every one of `hosts` (so each region's app uses the same port)."""
    for _ in range(50):
        port = free_port(hosts[0])
        if all(_free(host, port) for host in hosts):
            return port
    raise OSError(f"no TCP port free on all of {', '.join(hosts)}")


def _free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class QuietHTTPServer(ThreadingHTTPServer):
    """A loopback HTTP server of the sandbox: a client that went away (its timeout passed, it
    was killed) is no error of the server's, so it prints no traceback for it."""

    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]
