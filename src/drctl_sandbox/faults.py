"""Fault injection into a running `drctl sandbox up`, from another process: `drctl sandbox fail|heal`.

The serving process listens on a loopback control port (`SandboxState.control_url`) and
applies `POST /fail {"target": REGION}` with `Sandbox.fail_region(..., api_outage=True)` (the
app answers 503, replication stops, every API of the region answers 503) and `POST /heal`
with `Sandbox.recover_region`. Each answer says when the fault began, for `--failure-at`.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel, ConfigDict

from drctl.errors import ConfigError

if TYPE_CHECKING:
    from drctl_sandbox.runtime import Sandbox


class Fault(BaseModel):
    """A fault in force: what failed and since when."""

    model_config = ConfigDict(frozen=True)
    target: str
    kind: str
    failed_at: datetime


class FaultControl:
    """The control port of a serving sandbox: injects and heals region failures."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.faults: dict[str, Fault] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultControl:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, target: str) -> Fault:
        regions = list(self.sandbox.apps.apps)
        if target not in regions:
            zone = next((r for r in regions if target.startswith(r) and target != r), None)
            hint = (
                f"fail a whole region instead: {zone}" if zone else f"one of {', '.join(regions)}"
            )
            what = "availability zone faults need Kubernetes nodes (use `drctl demo --scenario az-failure`)"
            raise ConfigError(
                f"cannot fail {target}: " + (what if zone else "no such region"), hint=hint
            )
        with self._lock:
            if target not in self.faults:
                self.sandbox.fail_region(target, api_outage=True)
                self.faults[target] = Fault(
                    target=target, kind="region", failed_at=datetime.now(UTC)
                )
            return self.faults[target]

    def heal(self) -> list[Fault]:
        with self._lock:
            healed = list(self.faults.values())
            for fault in healed:
                self.sandbox.recover_region(fault.target)
            self.faults.clear()
            return healed


def _handler(control: FaultControl) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            try:
                if self.path == "/fail":
                    self._send(
                        200, control.fail(str(body.get("target", ""))).model_dump(mode="json")
                    )
                elif self.path == "/heal":
                    self._send(200, {"healed": [f.model_dump(mode="json") for f in control.heal()]})
                else:
                    self._send(404, {"message": f"no {self.path}", "hint": "POST /fail or /heal"})
            except ConfigError as exc:
                self._send(400, {"message": exc.message, "hint": exc.hint})

        def _send(self, status: int, data: dict[str, Any]) -> None:
            raw = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: each fault is reported to the caller."""

    return Handler


def request(control_url: str, path: str, body: dict[str, str] | None = None) -> dict[str, Any]:
    """Call a serving sandbox's control port; its refusals become `ConfigError`s."""
    try:
        response = httpx.post(f"{control_url}{path}", json=body or {}, timeout=30)
    except httpx.HTTPError as exc:
        raise ConfigError(f"the sandbox's control port {control_url} does not answer: {exc}",
                          hint="is `drctl sandbox up` still running? see `drctl sandbox status`") from exc  # fmt: skip
    data: dict[str, Any] = response.json()
    if response.status_code != 200:
        raise ConfigError(str(data.get("message")), hint=str(data.get("hint", "")))
    return data
