"""Route53 health-check evaluation and failover resolution, which moto does not do.

`HealthEvaluator` really probes every health check's endpoint (HTTP/HTTPS GET on
IP:port/path, TCP connect) on a background thread. As on Route 53, 2xx and 3xx answers
are healthy, and `FailureThreshold` consecutive results against the current status flip
it; `Disabled` checks count as healthy, and `Inverted` turns the result around. The
`interval` argument compresses time: every check is probed that often instead of its
`RequestInterval` (the demo uses 1 s so a failover shows within seconds).

`install()` patches moto's Route53 responses so `GetHealthCheckStatus` reports the
observed status and `TestDNSAnswer` answers per failover routing; `resolve()` gives
in-process callers the same answer.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult
from moto.route53 import urls as route53_urls
from moto.route53.models import FakeZone, HealthCheck, RecordSet, route53_backends
from moto.route53.responses import Route53

STATE_ATTR = "_drctl_health"
CHECKER_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-1")
_PROBED_TYPES = {"HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP"}


@dataclass
class CheckState:
    """What the evaluator has observed of one health check."""

    healthy: bool = True  # Route 53 treats a new health check as healthy until proven otherwise
    streak: int = 0  # consecutive results that disagree with `healthy`
    report: str = "Success: health check created, no observation yet"
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    next_due: float = 0.0

    def record(self, ok: bool, report: str, threshold: int) -> None:
        """Count one probe result; `threshold` disagreeing results in a row flip the status."""
        self.report, self.checked_at = report, datetime.now(UTC)
        self.streak = 0 if ok == self.healthy else self.streak + 1
        if self.streak >= threshold:
            self.healthy, self.streak = ok, 0


def _state(check: HealthCheck) -> CheckState:
    state: CheckState | None = getattr(check, STATE_ATTR, None)
    if state is None:
        state = CheckState()
        setattr(check, STATE_ATTR, state)
    return state


def is_healthy(check: HealthCheck) -> bool:
    """The status Route 53 acts on: observed, `Disabled` counts as healthy, `Inverted` flips."""
    base = True if check.disabled else _state(check).healthy
    return not base if check.inverted else base


def probe(check: HealthCheck, timeout: float) -> tuple[bool, str]:
    """Probe the endpoint of `check` once: (healthy?, Route 53 style status report)."""
    host = check.ip_address or check.fqdn
    kind = str(check.type_ or "HTTP")
    if not host:
        return False, "Failure: the health check names no IP address or domain name"
    if kind == "TCP":
        return _probe_tcp(host, int(check.port), timeout)
    scheme = "https" if kind.startswith("HTTPS") else "http"
    url = f"{scheme}://{host}:{check.port}{check.resource_path or '/'}"
    headers = {"Host": check.fqdn} if check.fqdn and check.ip_address else {}
    try:
        response = httpx.get(url, timeout=timeout, verify=False, headers=headers)
    except httpx.HTTPError as exc:
        return False, f"Failure: {_reason(exc)}. Resolved IP: {host}"
    code = response.status_code
    report = f"HTTP Status Code {code}, {response.reason_phrase}. Resolved IP: {host}"
    if not 200 <= code < 400:
        return False, f"Failure: {report}"
    if kind.endswith("STR_MATCH") and (check.search_string or "") not in response.text[:5120]:
        return False, f"Failure: {report}; search string not found in the first 5120 bytes"
    return True, f"Success: {report}"


def _probe_tcp(host: str, port: int, timeout: float) -> tuple[bool, str]:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        return False, f"Failure: TCP connection failed: {exc.strerror or exc}. Resolved IP: {host}"
    return True, f"Success: TCP connection established. Resolved IP: {host}"


def _reason(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return "Connection refused. The endpoint or the internet connection is down"
    if isinstance(exc, httpx.TimeoutException):
        return "Connection timed out"
    return f"request failed ({type(exc).__name__})"


class HealthEvaluator:
    """Probes every Route53 health check of the sandbox on a background thread."""

    def __init__(self, interval: float | None = None, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
        self.interval = interval
        self.account_id = account_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def interval_for(self, check: HealthCheck) -> float:
        """Seconds between probes: the compressed interval, else the check's RequestInterval."""
        return self.interval if self.interval is not None else float(check.request_interval)

    def evaluate_once(self) -> None:
        """Probe every check that is due now."""
        now = time.monotonic()
        for check in list(route53_backends[self.account_id]["aws"].health_checks.values()):
            state = _state(check)
            if check.disabled or str(check.type_) not in _PROBED_TYPES or now < state.next_due:
                continue
            state.next_due = now + self.interval_for(check)
            ok, report = probe(check, timeout=min(2.0, max(0.5, self.interval_for(check))))
            state.record(ok, report, int(check.failure_threshold))

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.evaluate_once()

    def start(self) -> HealthEvaluator:
        install()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="route53-health", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


def _name(value: str) -> str:
    return value.rstrip(".").lower()


def _values(record: RecordSet) -> list[str]:
    if record.alias_target:
        return [str(record.alias_target.get("DNSName", "")).rstrip(".")]
    return [str(v["Value"] if isinstance(v, dict) else v) for v in record.records or []]


def _record_healthy(record: RecordSet, checks: dict[str, HealthCheck]) -> bool:
    check = checks.get(record.health_check_id or "")
    return True if check is None else is_healthy(check)


def answer(zone: FakeZone, record_name: str, record_type: str, account_id: str) -> list[str]:
    """What Route 53 answers for a name in `zone`: failover records pick PRIMARY while healthy."""
    records = [
        r for r in zone.rrsets if _name(r.name) == _name(record_name) and r.type == record_type
    ]
    failover = {str(r.failover).upper(): r for r in records if r.failover}
    if not failover:
        return [v for r in records for v in _values(r)]
    checks = route53_backends[account_id]["aws"].health_checks
    primary, secondary = failover.get("PRIMARY"), failover.get("SECONDARY")
    if primary is not None and (secondary is None or _record_healthy(primary, checks)):
        return _values(primary)
    if secondary is not None and _record_healthy(secondary, checks):
        return _values(secondary)
    # Both unhealthy: Route 53 answers with the primary record.
    return _values(primary if primary is not None else secondary)  # type: ignore[arg-type]


def _in_zone(record_name: str, zone_name: str) -> bool:
    name, zone = _name(record_name), _name(zone_name)
    return name == zone or name.endswith("." + zone)


def resolve(
    record_name: str, record_type: str = "A", account_id: str = DEFAULT_ACCOUNT_ID
) -> list[str]:
    """Resolve a name against the sandbox's public hosted zones (most specific zone wins)."""
    zones = [
        z
        for z in route53_backends[account_id]["aws"].zones.values()
        if not z.private_zone and _in_zone(record_name, z.name)
    ]
    for zone in sorted(zones, key=lambda z: len(z.name), reverse=True):
        found = answer(zone, record_name, record_type, account_id)
        if found:
            return found
    return []


def _get_health_check_status(self: Route53) -> ActionResult:
    check = self.backend.get_health_check(self._get_param("HealthCheckId"))
    state = _state(check)
    healthy = is_healthy(check)
    detail = "Health check is disabled" if check.disabled else state.report.split(": ", 1)[-1]
    status = ("Success: " if healthy else "Failure: ") + detail
    if check.inverted:
        status += " (health check is inverted)"
    report = {"Status": status, "CheckedTime": state.checked_at}
    observations = [
        {"Region": region, "IPAddress": "127.0.0.1", "StatusReport": report}
        for region in CHECKER_REGIONS
    ]
    return ActionResult({"HealthCheckObservations": observations})


def _test_dns_answer(self: Route53) -> ActionResult:
    zone = self.backend.get_hosted_zone(self._get_param("HostedZoneId"))
    name, rtype = self._get_param("RecordName"), self._get_param("RecordType")
    data = answer(zone, name, rtype, self.current_account)
    result: dict[str, Any] = {
        "Nameserver": "ns-sandbox.awsdns-00.com",
        "RecordName": name,
        "RecordType": rtype,
        "RecordData": data,
        "ResponseCode": "NOERROR" if data else "NXDOMAIN",
        "Protocol": "UDP",
    }
    return ActionResult(result)


_TEST_DNS_PATH = r"{0}/(?P<api_version>[\d_-]+)/testdnsanswer$"


def install() -> None:
    """Patch moto's Route53 responses (idempotent; before the server's first Route53 request)."""
    Route53.get_health_check_status = _get_health_check_status  # type: ignore[method-assign]
    Route53.test_dns_answer = _test_dns_answer  # type: ignore[attr-defined]
    route53_urls.url_paths.setdefault(_TEST_DNS_PATH, Route53.dispatch)
