"""`k8s.capture-evidence` (kubectl-style tables, failing pods' logs) and `k8s.external-secrets-ready`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.providers.kube.conftest import build, deadline

from drctl.providers.base import ActionContext, StepTimeout
from drctl.providers.kube.evidence import kubectl_age, table
from drctl_sandbox.kube.api import FakeKubeApi


@pytest.mark.parametrize(
    ("seconds", "age"),
    [
        (45, "45s"),
        (125, "2m5s"),
        (600, "10m"),
        (4 * 3600 + 60 * 5, "4h5m"),
        (30 * 3600, "30h"),
        (50 * 3600, "2d2h"),
        (400 * 86400, "400d"),
    ],
)
def test_ages_read_like_kubectl(seconds: int, age: str) -> None:
    assert kubectl_age(timedelta(seconds=seconds)) == age


def test_tables_align_columns_like_kubectl() -> None:
    assert table([["NAME", "READY"], ["web-1", "1/1"]]) == "NAME    READY\nweb-1   1/1\n"


def test_capture_evidence_has_pods_and_services_tables_and_logs_of_failing_pods(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext, clock: Any
) -> None:
    api.cluster.seed_cluster(deployments={"my-app/web": 2})
    api.cluster.add_deployment("my-app", "worker", 1, ready_after=None)
    api.cluster.add_deployment("my-app", "report", 1, ready_after=600)
    clock.advance(timedelta(minutes=5))
    action = build("k8s.capture-evidence", {**access, "namespaces": ["*"], "log_lines": 1}, ctx)

    output = action.apply().output

    pods, services = str(output["pods_table"]), str(output["services_table"])
    assert pods.splitlines()[0].split() == [
        "NAMESPACE",
        "NAME",
        "READY",
        "STATUS",
        "RESTARTS",
        "AGE",
    ]
    worker = next(line for line in pods.splitlines() if " worker-" in line)
    assert worker.split()[2:] == ["0/1", "CrashLoopBackOff", "4", "5m"]
    assert services.splitlines()[0].split() == [
        "NAMESPACE",
        "NAME",
        "TYPE",
        "CLUSTER-IP",
        "EXTERNAL-IP",
        "PORT(S)",
        "AGE",
    ]
    assert "kubernetes   ClusterIP      10.100.0.1" in services
    web = next(line for line in services.splitlines() if "   web   " in line)
    assert web.split()[2] == "LoadBalancer" and web.split()[4].endswith(".elb.amazonaws.com")
    logs = output["logs"]
    assert isinstance(logs, dict) and len(logs) == 2
    [worker_log] = [text for ref, text in logs.items() if "/worker-" in ref]
    assert worker_log == "error: dial tcp 10.0.3.12:5432: connect: connection refused\n"
    [report_log] = [text for ref, text in logs.items() if "/report-" in ref]
    assert str(report_log).startswith('(no logs: container "report" in pod "report-')
    assert str(report_log).endswith("is waiting to start: ContainerCreating)")
    assert api.writes() == []
    assert not any("secrets" in r.path for r in api.requests)


def test_external_secrets_become_ready_once_the_operator_syncs(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.add_external_secret("my-app", "db-credentials", ready_after=15)
    action = build("k8s.external-secrets-ready", {**access, "namespaces": ["my-app"]}, ctx)
    assert action.current()["not_ready"] == ["my-app/db-credentials (not synced yet)"]

    result = action.verify(deadline(ctx))

    assert result["ready"] == ["my-app/db-credentials"] and ctx.clock.monotonic() >= 15
    assert not action.apply().changed and api.writes() == []


def test_external_secrets_timeout_names_the_secret_and_the_operator_reason(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    api.cluster.add_external_secret(
        "my-app", "db-credentials", failure="could not get secret data from provider"
    )
    api.cluster.add_external_secret("my-app", "api-key")
    action = build(
        "k8s.external-secrets-ready",
        {**access, "namespaces": ["my-app"], "names": ["db-credentials", "api-key", "tls"]},
        ctx,
    )

    with pytest.raises(StepTimeout) as err:
        action.verify(deadline(ctx, 30))

    assert err.value.message == (
        "not visible before the deadline: ExternalSecrets not Ready: my-app/db-credentials "
        "(SecretSyncedError: could not get secret data from provider); ExternalSecrets missing: tls"
    )


def test_external_secrets_check_fails_when_there_are_none(
    api: FakeKubeApi, access: dict[str, Any], ctx: ActionContext
) -> None:
    action = build("k8s.external-secrets-ready", {**access, "namespaces": ["my-app"]}, ctx)
    with pytest.raises(StepTimeout, match="ExternalSecrets missing: none in my-app"):
        action.verify(deadline(ctx, 10))
