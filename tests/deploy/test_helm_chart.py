"""The Helm chart (deploy/helm/drctl) renders to manifests that validate against the Kubernetes
1.37 JSON schemas (kubernetes-validate, strict: unknown fields are errors), and its CronJob's
command line is one drctl accepts: run here against the ConfigMap's plan and a loopback
Pushgateway. helm itself is not installable here: `gotemplate.py` renders the subset used."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from tests.checks.test_push_gateway import gateway
from tests.deploy.gotemplate import Unsupported, render

CHART = Path(__file__).resolve().parents[2] / "deploy" / "helm" / "drctl"
K8S = "1.37.0"
_ = gateway  # the loopback Pushgateway fixture


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and key in out else value
    return out


def manifests(overrides: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every object the chart renders with its values plus `overrides`, like `helm template`."""
    values = _merge(yaml.safe_load((CHART / "values.yaml").read_text()), overrides or {})
    meta = yaml.safe_load((CHART / "Chart.yaml").read_text())
    chart = {"Name": meta["name"], "Version": meta["version"], "AppVersion": meta["appVersion"]}
    release = {"Name": "dr", "Namespace": "drctl"}
    docs: list[dict[str, Any]] = []
    for template in sorted((CHART / "templates").glob("*.yaml")):
        text = render(template.read_text(), values, release, chart)
        docs += [d for d in yaml.safe_load_all(text) if d]
    return docs


def _kinds(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in docs}


VARIANTS = {
    "defaults": {},
    "irsa, database and extra args": {
        "serviceAccount": {"roleArn": "arn:aws:iam::123456789012:role/drctl-readonly"},
        "database": {"existingSecret": "drctl-db"},
        "extraArgs": ["--skip", "drill-recency"],
    },
    "pod identity, no push gateway, own service account": {
        "serviceAccount": {"create": False, "name": "platform-sa"},
        "pushGateway": "",
    },
}


@pytest.mark.parametrize("overrides", VARIANTS.values(), ids=VARIANTS.keys())
def test_rendered_manifests_validate_against_the_kubernetes_schemas(
    overrides: dict[str, Any],
) -> None:
    docs = manifests(overrides)
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, K8S, strict=True)


def test_the_schema_validation_catches_a_wrong_manifest() -> None:
    cronjob = _kinds(manifests())["CronJob"]
    cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"] = 7
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(cronjob, K8S, strict=True)
    cronjob = _kinds(manifests())["CronJob"]
    cronjob["spec"]["schedulee"] = "* * * * *"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(cronjob, K8S, strict=True)


def test_irsa_annotation_and_database_secret_are_wired() -> None:
    docs = _kinds(manifests(VARIANTS["irsa, database and extra args"]))
    assert docs["ServiceAccount"]["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/drctl-readonly"
    }
    container = docs["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    assert env["DRCTL_DATABASE_URL"]["valueFrom"] == {
        "secretKeyRef": {"name": "drctl-db", "key": "url"}
    }
    assert container["args"][-2:] == ["--skip", "drill-recency"]


def test_without_a_service_account_to_create_the_job_uses_the_named_one() -> None:
    docs = _kinds(manifests(VARIANTS["pod identity, no push gateway, own service account"]))
    assert "ServiceAccount" not in docs
    pod = docs["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "platform-sa"
    assert "DRCTL_PUSH_GATEWAY" not in {e["name"] for e in pod["containers"][0]["env"]}


def test_the_renderer_refuses_what_it_does_not_implement() -> None:
    with pytest.raises(Unsupported):
        render("{{ range .Values.x }}{{ end }}", {}, {}, {})
    with pytest.raises(Unsupported):
        render("{{ .Values.x | default 3 }}", {}, {}, {})


def test_the_cronjob_command_runs_drctl_and_pushes_to_the_gateway(
    gateway: tuple[str, list[tuple[str, str, str]]], tmp_path: Path
) -> None:
    url, requests = gateway
    docs = _kinds(manifests({"pushGateway": url, "extraArgs": ["--static"]}))
    plan = tmp_path / "plan.yaml"
    plan.write_text(docs["ConfigMap"]["data"]["plan.yaml"])
    container = docs["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    args = [str(plan) if a == "/etc/drctl/plan.yaml" else a for a in container["args"]]
    env = {e["name"]: e["value"] for e in container["env"] if "value" in e}
    env["DRCTL_HOME"] = str(tmp_path / ".drctl")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "drctl"), *args],
        env={k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DRCTL_"))} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr  # the sample plan was never drilled
    assert "drctl_check_ready" in done.stdout
    ((method, path, body),) = requests
    assert (method, path) == ("PUT", "/metrics/job/drctl-check/plan/my-app")
    assert "drctl_check_ready 0.0" in body.splitlines()
