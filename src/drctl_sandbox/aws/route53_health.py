"""Route53 health-check evaluation and failover resolution, which moto does not do.

`HealthEvaluator` really probes every health check's endpoint (HTTP/HTTPS GET on
IP:port/path, TCP connect) on a background thread, once per health checker region (the
check's `Regions`, else all eight). As on Route 53, 2xx and 3xx answers are healthy, and
`FailureThreshold` consecutive results against a checker's current status flip that
checker; the check is healthy when **more than 18 %** of its checkers say so; `Disabled`
checks count as healthy, and `Inverted` turns the result around. `cut_checkers()` makes
the endpoint unreachable from some checker regions (a network path failure), which is
how the 18 % rule shows. The `interval` argument compresses time: every check is probed
that often instead of its `RequestInterval` (the sandbox without a time scale uses 1 s).
Without it, each check is probed every `RequestInterval` of the sandbox clock's AWS time
(10 or 30 s on AWS; a faithful sandbox at 0.02 probes a 10 s check every 0.2 wall seconds).

Every evaluation publishes the check's `HealthCheckStatus` (1/0) and
`HealthCheckPercentageHealthy` into moto's CloudWatch in us-east-1 (namespace
`AWS/Route53`, dimension `HealthCheckId`), the signal Route 53 gives production readers.

`install()` patches moto's Route53 responses so `GetHealthCheckStatus` answers one
observation per checker and `TestDNSAnswer` answers per failover routing; `resolve()`
gives in-process callers the same answer.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.route53 import urls as route53_urls
from moto.route53.models import FakeZone, HealthCheck, RecordSet, route53_backends
from moto.route53.responses import Route53

from drctl_sandbox.aws import arc_cluster
from drctl_sandbox.clock import CLOCK

STATE_ATTR = "_drctl_health"
# HealthCheckConfig.Regions: the health checker regions, all used when none are given.
CHECKER_REGIONS = (
    "us-east-1", "us-west-1", "us-west-2", "eu-west-1",
    "ap-southeast-1", "ap-southeast-2", "ap-northeast-1", "sa-east-1",
)  # fmt: skip
HEALTHY_ABOVE = 0.18  # healthy when more than 18 % of the checkers report healthy
METRIC_REGION = "us-east-1"
_MAX_POINTS = 50_000
_unreachable_from: set[str] = set()
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


def checker_regions(check: HealthCheck) -> tuple[str, ...]:
    """The regions whose checkers probe `check`: its `Regions`, else all of them."""
    return tuple(check.regions) if check.regions else CHECKER_REGIONS


def _checkers(check: HealthCheck) -> dict[str, CheckState]:
    states: dict[str, CheckState] | None = getattr(check, STATE_ATTR, None)
    if states is None or set(states) != set(checker_regions(check)):
        states = {region: CheckState() for region in checker_regions(check)}
        setattr(check, STATE_ATTR, states)
    return states


def percentage_healthy(check: HealthCheck) -> float:
    """The share of checkers (0-100) whose own status is healthy now."""
    states = _checkers(check).values()
    return 100.0 * sum(s.healthy for s in states) / len(states)


def is_healthy(check: HealthCheck) -> bool:
    """The status Route 53 acts on: > 18 % of checkers, `Disabled` counts as healthy, `Inverted` flips.

    A `RECOVERY_CONTROL` check is healthy while its ARC routing control is On.
    """
    control = arc_cluster.routing_control_of(check)
    if control is not None:
        base = True if check.disabled else arc_cluster.control_state(control) == "On"
    else:
        base = True if check.disabled else percentage_healthy(check) > 100 * HEALTHY_ABOVE
    return not base if check.inverted else base


def cut_checkers(regions: set[str]) -> None:
    """Make endpoints unreachable from the checkers in `regions` (a network path failure)."""
    _unreachable_from.clear()
    _unreachable_from.update(regions)


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
        """Wall seconds between probes: the compressed interval, else the check's
        RequestInterval on the sandbox clock."""
        if self.interval is not None:
            return self.interval
        return CLOCK.wall(float(check.request_interval))

    def evaluate_once(self, only: set[str] | None = None) -> None:
        """Probe every check (or those in `only`) due now from each checker, then publish its metrics."""
        now = time.monotonic()
        for check in list(route53_backends[self.account_id]["aws"].health_checks.values()):
            if only is not None and check.id not in only:
                continue
            states = _checkers(check)
            if now < min(s.next_due for s in states.values()):
                continue
            for state in states.values():
                state.next_due = now + self.interval_for(check)
            if not check.disabled and str(check.type_) in _PROBED_TYPES:
                self._probe_from_each_checker(check, states)
            publish_status(check, self.account_id)

    def _probe_from_each_checker(self, check: HealthCheck, states: dict[str, CheckState]) -> None:
        ok, report = probe(check, timeout=min(2.0, max(0.5, self.interval_for(check))))
        for region, state in states.items():
            if region in _unreachable_from:
                cut = (
                    "Failure: Connection timed out. The endpoint or the internet connection is down"
                )
                state.record(False, cut, int(check.failure_threshold))
            else:
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


def publish_status(check: HealthCheck, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    """Put the check's HealthCheckStatus and HealthCheckPercentageHealthy into CloudWatch (us-east-1)."""
    dimensions = [{"Name": "HealthCheckId", "Value": check.id}]
    now = utcnow()  # moto compares naive UTC timestamps
    backend = cloudwatch_backends[account_id][METRIC_REGION]
    if len(backend.metric_data) > _MAX_POINTS:  # a sandbox left up for days stays fast
        cutoff = now - timedelta(hours=1)
        backend.metric_data = [
            d for d in backend.metric_data if d.namespace != "AWS/Route53" or d.timestamp >= cutoff
        ]
    backend.put_metric_data(
        "AWS/Route53",
        [
            {
                "MetricName": "HealthCheckStatus",
                "Dimensions": dimensions,
                "Value": 1.0 if is_healthy(check) else 0.0,
                "Unit": "None",
                "Timestamp": now,
            },
            {
                "MetricName": "HealthCheckPercentageHealthy",
                "Dimensions": dimensions,
                "Value": percentage_healthy(check),
                "Unit": "Percent",
                "Timestamp": now,
            },
        ],
    )


def publish_status_of(health_check_id: str, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
    """Publish one check's metrics now, without probing (for sandboxes run without an evaluator)."""
    check = route53_backends[account_id]["aws"].get_health_check(health_check_id)
    publish_status(check, account_id)


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


def checker_ip(region: str) -> str:
    """An address for the checker in `region`, inside ip-ranges.json's ROUTE53_HEALTHCHECKS 15.177.0.0/18."""
    return f"15.177.{CHECKER_REGIONS.index(region) * 8 if region in CHECKER_REGIONS else 63}.10"


def _observation(check: HealthCheck, region: str, state: CheckState) -> dict[str, Any]:
    # One observation per checker: its own status (threshold applied) and last result.
    healthy = True if check.disabled else state.healthy
    if check.inverted:
        healthy = not healthy
    detail = "Health check is disabled" if check.disabled else state.report.split(": ", 1)[-1]
    status = ("Success: " if healthy else "Failure: ") + detail
    if check.inverted:
        status += " (health check is inverted)"
    return {
        "Region": region,
        "IPAddress": checker_ip(region),
        "StatusReport": {"Status": status, "CheckedTime": state.checked_at},
    }


def _get_health_check_status(self: Route53) -> ActionResult:
    check = self.backend.get_health_check(self._get_param("HealthCheckId"))
    observations = [
        _observation(check, region, state) for region, state in _checkers(check).items()
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
    arc_cluster.install()
    Route53.get_health_check_status = _get_health_check_status  # type: ignore[method-assign]
    Route53.test_dns_answer = _test_dns_answer  # type: ignore[attr-defined]
    route53_urls.url_paths.setdefault(_TEST_DNS_PATH, Route53.dispatch)
