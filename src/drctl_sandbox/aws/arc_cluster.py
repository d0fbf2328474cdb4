"""A Route 53 ARC cluster stand-in: routing control states served on several regional endpoints.

moto 5.2.5 has no `route53-recovery-cluster`. This module serves its JSON 1.0 API
(`X-Amz-Target: ToggleCustomerAPI.<Operation>`) as the API reference describes it:
`GetRoutingControlState`, `UpdateRoutingControlState`, `UpdateRoutingControlStates` and
`ListRoutingControls`, with `ResourceNotFoundException`, `ValidationException`,
`ConflictException` (a safety rule would be broken) and
`EndpointTemporarilyUnavailableException`. A cluster has several regional endpoints that
share one state; `ArcCluster.take_down(region)` makes one unreachable, as callers must
then try the next. Route 53 health checks of type `RECOVERY_CONTROL` follow a control's
state (`install()` keeps their `RoutingControlArn`, which moto drops).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from moto.core.responses import ActionResult
from moto.route53.models import HealthCheck
from moto.route53.responses import Route53

from drctl_sandbox.loopback import QuietHTTPServer, free_port

ARN_ATTR = "_drctl_routing_control_arn"
_lock = threading.Lock()
_states: dict[str, str] = {}  # routing control ARN → "On" | "Off", process-wide like moto


class ArcError(Exception):
    """An error the ARC API answers with: its code, HTTP status and fields."""

    def __init__(self, code: str, status: int, message: str, **extra: str) -> None:
        super().__init__(message)
        self.code, self.status, self.extra = code, status, extra

    def body(self) -> dict[str, str]:
        return {"__type": self.code, "message": str(self), **self.extra}


def _not_found(arn: str) -> ArcError:
    return ArcError(
        "ResourceNotFoundException",
        404,
        f"{arn} not found",
        resourceId=arn,
        resourceType="RoutingControl",
    )


@dataclass
class SafetyRule:
    """An assertion rule: at least `minimum` of `controls` stay On (else ConflictException)."""

    name: str
    controls: tuple[str, ...]
    minimum: int = 1


@dataclass
class ArcCluster:
    """One cluster: named routing controls, safety rules, and one HTTP server per endpoint region."""

    controls: dict[str, str]  # ARN → name
    regions: tuple[str, ...] = ("us-east-1", "us-west-2", "eu-west-1")
    rules: list[SafetyRule] = field(default_factory=list)
    control_panel_arn: str = "arn:aws:route53-recovery-control::123456789012:controlpanel/sandbox"
    host: str = "127.0.0.1"
    _servers: dict[str, ThreadingHTTPServer] = field(default_factory=dict)

    def start(self, initial: str = "On") -> ArcCluster:
        with _lock:
            for arn in self.controls:
                _states.setdefault(arn, initial)
        for region in self.regions:
            self._serve(region)
        return self

    def _serve(self, region: str) -> None:
        server = QuietHTTPServer((self.host, free_port(self.host)), _handler(self))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self._servers[region] = server

    def endpoints(self) -> dict[str, str]:
        """Region → endpoint URL, as `describe-cluster` lists a cluster's `ClusterEndpoints`."""
        return {r: f"http://{self.host}:{s.server_address[1]}/" for r, s in self._servers.items()}

    def take_down(self, region: str) -> None:
        """The endpoint in `region` stops answering (connection refused)."""
        server = self._servers.pop(region)
        server.shutdown()
        server.server_close()

    def stop(self) -> None:
        for region in list(self._servers):
            self.take_down(region)

    def state(self, arn: str) -> str:
        with _lock:
            if arn not in self.controls:
                raise _not_found(arn)
            return _states[arn]

    def update(self, changes: dict[str, str], overrides: list[str]) -> None:
        """Apply all `changes` at once, or none when a safety rule not overridden would break."""
        for arn, value in changes.items():
            if arn not in self.controls:
                raise _not_found(arn)
            if value not in ("On", "Off"):
                raise ArcError(
                    "ValidationException", 400, f"RoutingControlState {value!r} is not On or Off"
                )
        with _lock:
            after = {**_states, **changes}
            for rule in self.rules:
                on = sum(after.get(c) == "On" for c in rule.controls)
                if rule.name not in overrides and on < rule.minimum:
                    raise ArcError(
                        "ConflictException",
                        409,
                        f"the update would break safety rule {rule.name}",
                        resourceId=rule.name,
                        resourceType="SafetyRule",
                    )
            _states.update(changes)

    def answer(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        if operation == "GetRoutingControlState":
            arn = str(body.get("RoutingControlArn", ""))
            state = self.state(arn)
            return {
                "RoutingControlArn": arn,
                "RoutingControlState": state,
                "RoutingControlName": self.controls[arn],
            }
        if operation == "UpdateRoutingControlState":
            arn = str(body.get("RoutingControlArn", ""))
            self.update(
                {arn: str(body.get("RoutingControlState"))}, body.get("SafetyRulesToOverride") or []
            )
            return {}
        if operation == "UpdateRoutingControlStates":
            entries = body.get("UpdateRoutingControlStateEntries") or []
            changes = {str(e["RoutingControlArn"]): str(e["RoutingControlState"]) for e in entries}
            self.update(changes, body.get("SafetyRulesToOverride") or [])
            return {}
        if operation == "ListRoutingControls":
            return {
                "RoutingControls": [
                    {
                        "ControlPanelArn": self.control_panel_arn,
                        "ControlPanelName": "sandbox",
                        "RoutingControlArn": arn,
                        "RoutingControlName": name,
                        "RoutingControlState": self.state(arn),
                    }
                    for arn, name in self.controls.items()
                ]
            }
        raise ArcError("ValidationException", 400, f"unknown operation {operation}")


def _handler(cluster: ArcCluster) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            target = self.headers.get("X-Amz-Target", "")
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
                if not target.startswith("ToggleCustomerAPI."):
                    raise ArcError("ValidationException", 400, f"unknown target {target!r}")
                status, out = 200, cluster.answer(target.split(".", 1)[1], body)
            except ArcError as err:
                status, out = err.status, err.body()
            data = json.dumps(out).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", "sandbox-arc")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def control_state(arn: str) -> str | None:
    """The state of a routing control of any running cluster, None when unknown."""
    with _lock:
        return _states.get(arn)


def routing_control_of(check: HealthCheck) -> str | None:
    """The `RoutingControlArn` of a `RECOVERY_CONTROL` health check."""
    return getattr(check, ARN_ATTR, None)


def reset() -> None:
    with _lock:
        _states.clear()


_create_health_check = Route53.create_health_check
_health_check_config = HealthCheck.health_check_config


def _create_keeping_the_control(self: Route53) -> ActionResult:
    result = _create_health_check(self)
    config = self._get_param("HealthCheckConfig") or {}
    if config.get("RoutingControlArn"):
        check = self.backend.list_health_checks()[-1]
        setattr(check, ARN_ATTR, config["RoutingControlArn"])
    return result


def _config(self: HealthCheck) -> dict[str, Any]:
    config: dict[str, Any] = _health_check_config.fget(self)  # type: ignore[attr-defined]
    if routing_control_of(self):
        config = {"Type": "RECOVERY_CONTROL", "RoutingControlArn": routing_control_of(self),
                  "Inverted": self.inverted, "Disabled": self.disabled}  # fmt: skip
    return config


def install() -> None:
    """Keep `RoutingControlArn` on RECOVERY_CONTROL health checks (idempotent)."""
    Route53.create_health_check = _create_keeping_the_control  # type: ignore[method-assign]
    HealthCheck.health_check_config = property(_config)  # type: ignore[assignment,method-assign]
