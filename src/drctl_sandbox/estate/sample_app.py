"""A small sample application per region on loopback addresses, with failure injection.

Each region's app answers `GET /health` (200 while healthy), `GET /` (which region
served the request) and `GET|POST /write`, which succeeds only when `write_readiness`
says its database in the region is writable and its secrets resolve (see
`app_readiness`): the request a user's write would be. `fail()` makes it answer 503, or stop listening altogether with
`fail(mode="down")`; `recover()` brings it back on the same address and port.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Literal

from drctl_sandbox.loopback import DEFAULT_ADDRESSES, QuietHTTPServer, shared_free_port

FailureMode = Literal["unavailable", "down"]


class _Handler(BaseHTTPRequestHandler):
    """Answers for one `SampleApp`; the app is reached through the server."""

    server: _AppServer

    def do_POST(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        app = self.server.app
        path = self.path.split("?")[0]
        if app.failure == "unavailable":
            self._send(503, {"region": app.region, "status": "unavailable"})
        elif path == "/write":
            reason = app.write_readiness()
            if reason:
                self._send(503, {"region": app.region, "status": "read-only", "reason": reason})
            else:
                self._send(200, {"region": app.region, "status": "written"})
        elif path == "/health":
            self._send(200, {"region": app.region, "status": "ok"})
        else:
            self._send(200, {"region": app.region, "served_by": f"{app.host}:{app.port}"})

    def _send(self, status: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Drctl-Region", self.server.app.region)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test and demo output quiet: the app's requests are not news."""


class _AppServer(QuietHTTPServer):
    allow_reuse_address = True

    def __init__(self, app: SampleApp) -> None:
        self.app = app
        super().__init__((app.host, app.port), _Handler)


class SampleApp:
    """The sample app of one region, served on `host:port` from a background thread."""

    def __init__(self, region: str, host: str, port: int) -> None:
        self.region = region
        self.host = host
        self.port = port
        self.failure: FailureMode | None = None
        self.write_readiness: Callable[[], str] = lambda: ""
        self._server: _AppServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> SampleApp:
        """Listen and serve (no-op when already serving)."""
        if self._server is None:
            self._server = _AppServer(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"sample-app-{self.region}",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def fail(self, mode: FailureMode = "unavailable") -> None:
        """Inject a failure: answer 503 everywhere, or stop listening (`down`)."""
        self.failure = mode
        if mode == "down":
            self.stop()

    def recover(self) -> None:
        """Serve normally again."""
        self.failure = None
        self.start()


class SampleApps:
    """One `SampleApp` per region, on distinct loopback addresses and one shared port."""

    def __init__(
        self, regions: list[str], addresses: tuple[str, ...] = DEFAULT_ADDRESSES, port: int = 0
    ) -> None:
        if len(regions) > len(addresses):
            raise ValueError(f"{len(regions)} regions but only {len(addresses)} addresses")
        hosts = addresses[: len(regions)]
        self.port = port or shared_free_port(hosts)
        self.apps = {r: SampleApp(r, h, self.port) for r, h in zip(regions, hosts, strict=False)}

    def __getitem__(self, region: str) -> SampleApp:
        return self.apps[region]

    def start(self) -> SampleApps:
        for app in self.apps.values():
            app.start()
        return self

    def stop(self) -> None:
        for app in self.apps.values():
            app.stop()
