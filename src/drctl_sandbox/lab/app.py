"""The lab's sample app: one per region on a loopback address, backed by that region's database.

`GET /health` answers 200 only while the region's database accepts writes (a primary that
is not read-only), so a standby region turns healthy at the instant its database is promoted.
`POST /write` inserts a row. Every `/health` answer is logged with its time (`health_log`),
so tests can compare what the probe saw with what the app served.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler

from drctl.clock import Clock, SystemClock
from drctl.errors import ProviderError
from drctl.providers.postgres import connect, pg_errors, read_state
from drctl_sandbox.loopback import QuietHTTPServer

WRITES_TABLE = "drctl_lab_writes"


class _Handler(BaseHTTPRequestHandler):
    server: _LabServer

    def do_GET(self) -> None:
        app = self.server.app
        if self.path.split("?")[0] != "/health":
            self._send(200, {"region": app.region})
            return
        status, body = app.health()
        self._send(status, body)

    def do_POST(self) -> None:
        if self.path.split("?")[0] != "/write":
            self._send(404, {"error": "not found"})
            return
        status, body = self.server.app.write()
        self._send(status, body)

    def _send(self, status: int, body: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Served-By", self.server.app.host)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the app's requests are not news."""


class _LabServer(QuietHTTPServer):
    allow_reuse_address = True

    def __init__(self, app: LabApp) -> None:
        self.app = app
        super().__init__((app.host, app.port), _Handler)


class LabApp:
    """The app of one region: `host:port`, writing to `dsn`."""

    def __init__(
        self, region: str, host: str, port: int, dsn: str, clock: Clock | None = None
    ) -> None:
        self.region = region
        self.host = host
        self.port = port
        self.dsn = dsn
        self.clock = clock or SystemClock()
        self.health_log: list[tuple[datetime, int]] = []
        self._lock = threading.Lock()
        self._server: _LabServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def health(self) -> tuple[int, dict[str, str]]:
        """200 while the region's database accepts writes, else 503 saying why."""
        try:
            state = read_state(self.dsn, timedelta(seconds=1))
        except ProviderError as exc:
            status, body = 503, {"region": self.region, "database": f"unreachable: {exc.message}"}
        else:
            role = (
                "primary" if state.writable else ("standby" if state.in_recovery else "read-only")
            )
            status, body = (
                (200 if state.writable else 503),
                {"region": self.region, "database": role},
            )
        with self._lock:
            self.health_log.append((self.clock.now(), status))
        return status, body

    def write(self) -> tuple[int, dict[str, str]]:
        """Insert one row into the region's database."""
        try:
            with connect(self.dsn) as conn, pg_errors(self.region):
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {WRITES_TABLE} (region text, at timestamptz DEFAULT now())"
                )
                conn.execute(f"INSERT INTO {WRITES_TABLE} (region) VALUES (%s)", (self.region,))
        except ProviderError as exc:
            return 503, {"region": self.region, "error": exc.message}
        return 201, {"region": self.region, "written": "1"}

    def start(self) -> LabApp:
        """Listen and serve from a background thread."""
        if self._server is None:
            self._server = _LabServer(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (the region's app is gone)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
