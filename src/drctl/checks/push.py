"""Push a check's outcome to a Prometheus Pushgateway (for `drctl check` run as a CronJob).

A CronJob's pod is gone before Prometheus scrapes it, so the figures go to a Pushgateway
(prometheus-client's `push_to_gateway`, HTTP PUT: the group is replaced on every run), under
job `drctl-check` and the plan's name as grouping key.
"""

from __future__ import annotations

from collections import Counter
from urllib.error import URLError

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway

from drctl.checks.model import CheckReport, Severity
from drctl.errors import CouldNotCheck

JOB = "drctl-check"


def check_registry(report: CheckReport) -> CollectorRegistry:
    """The same figures as `--format openmetrics`, in a registry of their own."""
    registry = CollectorRegistry()

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, doc, labels, registry=registry)

    gauge("drctl_check_ready", "1 when no error-level finding exists.").set(int(report.ok))
    gauge("drctl_check_complete", "1 when every rule could read what it needed.").set(
        int(report.complete)
    )
    findings = gauge("drctl_check_findings", "Findings by severity.", ("severity",))
    for severity, count in report.counts().items():
        findings.labels(severity=severity.value).set(count)
    gauge("drctl_check_suppressed", "Findings accepted by a comment or a baseline.").set(
        len(report.suppressed)
    )
    gauge("drctl_check_checks", "(rule, resource) pairs evaluated.", ("mode",)).labels(
        mode=report.mode
    ).set(len(report.checked))
    gauge("drctl_check_duration_seconds", "How long the check took.").set(report.seconds)
    per_rule = gauge(
        "drctl_check_rule_findings",
        "Findings per rule, resource and severity.",
        ("rule", "resource", "severity"),
    )
    for (rule, resource, severity), count in Counter(
        (f.rule, f.resource, f.severity) for f in report.findings
    ).items():
        per_rule.labels(rule=rule, resource=resource, severity=Severity(severity).value).set(count)
    return registry


def push_report(report: CheckReport, gateway: str, *, timeout: float = 10.0) -> None:
    """Replace the plan's group on the Pushgateway with this report's figures."""
    try:
        push_to_gateway(
            gateway,
            job=JOB,
            registry=check_registry(report),
            grouping_key={"plan": report.plan},
            timeout=timeout,
        )
    except (URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CouldNotCheck(
            f"could not push the results to the Pushgateway: {reason}",
            hint="check --push-gateway (e.g. http://pushgateway.monitoring:9091) and that it is up",
            where=gateway,
        ) from None
