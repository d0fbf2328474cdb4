"""`k8s.capture-evidence`: `kubectl get pods -A`, `kubectl get svc -A` and logs of non-Ready pods.

The tables are kubectl's columns as plain text, for the run's evidence; the same facts
are output as JSON too. Secret objects are never read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import Field

from drctl.errors import ProviderError
from drctl.providers.base import Outcome, Output
from drctl.providers.kube.access import KubeAccess
from drctl.providers.kube.action import KubeAction
from drctl.providers.kube.errors import kube_errors
from drctl.providers.kube.views import ALL, PodView, list_pods


def kubectl_age(age: timedelta) -> str:
    """Durations the way kubectl prints AGE (`45s`, `3m12s`, `5h`, `2d3h`, `400d`)."""
    seconds = max(0, int(age.total_seconds()))
    minutes, hours, days = seconds // 60, seconds // 3600, seconds // 86400
    if seconds < 120:
        return f"{seconds}s"
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if hours < 3:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if days < 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    return f"{days}d"


def table(rows: list[list[str]]) -> str:
    """Left-aligned columns separated by three spaces, like kubectl."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "   ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def pods_table(pods: list[PodView], now: datetime) -> str:
    header = ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    rows = [
        [
            p.namespace,
            p.name,
            f"{p.ready_containers}/{p.containers}",
            p.status,
            str(p.restarts),
            _age(p.created, now),
        ]
        for p in pods
    ]
    return table([header, *rows])


def services_table(services: list[Any], now: datetime) -> str:
    header = ["NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    rows = [
        [
            s.metadata.namespace,
            s.metadata.name,
            s.spec.type,
            s.spec.cluster_ip or "<none>",
            _external(s),
            ",".join(_port(p) for p in s.spec.ports or []) or "<none>",
            _age(s.metadata.creation_timestamp, now),
        ]
        for s in services
    ]
    return table([header, *rows])


def _age(created: datetime | None, now: datetime) -> str:
    return kubectl_age(now - created) if created else "<unknown>"


def _external(service: Any) -> str:
    ingress = (service.status.load_balancer.ingress if service.status.load_balancer else None) or []
    names = [i.hostname or i.ip for i in ingress]
    if names:
        return ",".join(names)
    return "<pending>" if service.spec.type == "LoadBalancer" else "<none>"


def _port(port: Any) -> str:
    node = f":{port.node_port}" if port.node_port else ""
    return f"{port.port}{node}/{port.protocol or 'TCP'}"


class CaptureEvidenceParams(KubeAccess):
    """Namespaces to capture (`*` for all) and how much log to keep per non-Ready pod."""

    namespaces: list[str] = Field(default=[ALL], min_length=1)
    log_lines: int = Field(default=50, ge=1, le=1000)
    max_log_pods: int = Field(default=20, ge=0, le=200)


class CaptureEvidence(KubeAction[CaptureEvidenceParams]):
    """Capture pods, services and recent logs of failing pods as the step's output."""

    kind = "k8s.capture-evidence"
    Params = CaptureEvidenceParams

    def describe(self) -> str:
        return f"capture pods, services and failing pods' logs ({', '.join(self.params.namespaces)}) from {self.target}"

    def current(self) -> Output:
        pods = list_pods(self.kube, self.params.namespaces)
        return {
            "pods": len(pods),
            "not_ready": [p.ref for p in pods if not p.ready and not p.finished],
        }

    def apply(self) -> Outcome:
        now = self.ctx.clock.now()
        pods = list_pods(self.kube, self.params.namespaces)
        services = self._services()
        failing = [p for p in pods if not p.ready and not p.finished]
        logs = {p.ref: self._logs(p) for p in failing[: self.params.max_log_pods]}
        output: Output = {
            "pods_table": pods_table(pods, now),
            "services_table": services_table(services, now),
            "logs": dict(logs),
            "pods": [
                p.model_dump(mode="json", include={"namespace", "name", "node", "status", "ready"})
                for p in pods
            ],
            "not_ready": [p.ref for p in failing],
        }
        detail = f"captured {len(pods)} pods, {len(services)} services, logs of {len(logs)} failing pod(s)"
        return Outcome(changed=False, detail=detail, output=output)

    def verify(self, deadline: float) -> Output:
        return {}

    def _services(self) -> list[Any]:
        with kube_errors(self.kube.server, "list services"):
            if ALL in self.params.namespaces:
                return list(
                    self.kube.core.list_service_for_all_namespaces(
                        _request_timeout=self.kube.timeout
                    ).items
                )
            return [
                svc
                for ns in self.params.namespaces
                for svc in self.kube.core.list_namespaced_service(
                    ns, _request_timeout=self.kube.timeout
                ).items
            ]

    def _logs(self, pod: PodView) -> str:
        """The pod's last lines, or why there are none (a waiting container has no log yet)."""
        try:
            with kube_errors(self.kube.server, f"read logs of {pod.ref}"):
                text = self.kube.core.read_namespaced_pod_log(
                    pod.name,
                    pod.namespace,
                    tail_lines=self.params.log_lines,
                    _request_timeout=self.kube.timeout,
                )
        except ProviderError as err:
            if err.retryable or err.code in ("Unauthorized", "Forbidden"):
                raise
            return f"(no logs: {err.message})"
        return str(text)
