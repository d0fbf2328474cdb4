"""Fault injection into a running `drctl sandbox up`, from another process: `drctl sandbox fail|heal`.

The serving process listens on a loopback control port (`SandboxState.control_url`):

- `POST /fail {"target": REGION}`: `Sandbox.fail_region(..., api_outage=True)` (the app
  answers 503, replication stops, every API of the region answers 503);
- `POST /fail {"target": AZ}`: `DemoEnvironment.fail_zone` (the zone's simulated nodes
  stop reporting Ready, are tainted unreachable, their pods go; AWS APIs keep answering);
- `POST /heal`: undoes every fault in force; `GET /faults`: the faults in force.

Each answer says when the fault began: `drctl run` against the sandbox reads it from
`GET /faults` (`DRCTL_SANDBOX_CONTROL_URL`) as the failure instant, or `--failure-at` takes it.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel, ConfigDict

from drctl.errors import ConfigError
from drctl_sandbox.loopback import QuietHTTPServer

if TYPE_CHECKING:
    from drctl_sandbox.demo_env import DemoEnvironment


class Fault(BaseModel):
    """A fault in force: what failed and since when."""

    model_config = ConfigDict(frozen=True)
    target: str
    kind: str
    failed_at: datetime


class FaultControl:
    """The control port of a serving sandbox: injects and heals region and AZ failures."""

    def __init__(self, world: DemoEnvironment) -> None:
        self.world = world
        self.faults: dict[str, Fault] = {}
        self._lock = threading.Lock()
        self._server = QuietHTTPServer(("127.0.0.1", 0), _handler(self))
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
        regions = list(self.world.sandbox.apps.apps)
        zones = [z for region in regions for z in self.world.zones().get(region, [])]
        if target not in regions and target not in zones:
            raise ConfigError(
                f"cannot fail {target!r}: the sandbox's plan has no such region or availability zone",
                hint=f"fail a region ({', '.join(regions)}) or an AZ ({', '.join(zones) or 'none'})",
            )
        with self._lock:
            if target not in self.faults:
                kind = "region" if target in regions else "az"
                if kind == "region":
                    self.world.sandbox.fail_region(target, api_outage=True)
                else:
                    self.world.fail_zone(target)
                self.faults[target] = Fault(target=target, kind=kind, failed_at=datetime.now(UTC))
            return self.faults[target]

    def heal(self) -> list[Fault]:
        with self._lock:
            healed = list(self.faults.values())
            for fault in healed:
                if fault.kind == "region":
                    self.world.sandbox.recover_region(fault.target)
                else:
                    self.world.heal_zone(fault.target)
            self.faults.clear()
            return healed

    def active(self) -> list[Fault]:
        with self._lock:
            return sorted(self.faults.values(), key=lambda f: f.failed_at)


def _handler(control: FaultControl) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/faults":
                self._send(200, {"faults": [f.model_dump(mode="json") for f in control.active()]})
            else:
                self._send(404, {"message": f"no {self.path}", "hint": "GET /faults"})

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
