"""`k8s.external-secrets-ready`: External Secrets Operator synced every selected ExternalSecret."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from drctl.model import Frozen
from drctl.providers.base import Outcome, Output
from drctl.providers.kube.access import KubeAccess
from drctl.providers.kube.action import KubeAction
from drctl.providers.kube.errors import kube_errors

GROUP, VERSION, PLURAL = "external-secrets.io", "v1beta1", "externalsecrets"


class SecretSync(Frozen):
    """ExternalSecrets found, those not Ready (with the operator's reason), and names missing."""

    ready: list[str]
    not_ready: list[str]
    missing: list[str]

    def problem(self) -> str:
        parts = []
        if self.not_ready:
            parts.append(f"ExternalSecrets not Ready: {', '.join(self.not_ready)}")
        if self.missing:
            parts.append(f"ExternalSecrets missing: {', '.join(self.missing)}")
        return "; ".join(parts)


class ExternalSecretsReadyParams(KubeAccess):
    """Namespaces to look in, and optionally the names that must exist (else: at least one)."""

    namespaces: list[str] = Field(min_length=1)
    names: list[str] = []


class ExternalSecretsReady(KubeAction[ExternalSecretsReadyParams]):
    """Wait until ExternalSecrets (external-secrets.io/v1beta1) report condition Ready=True."""

    kind = "k8s.external-secrets-ready"
    Params = ExternalSecretsReadyParams

    def describe(self) -> str:
        scope = ", ".join(self.params.namespaces)
        return f"wait until ExternalSecrets in {scope} are Ready on {self.target}"

    def read(self) -> SecretSync:
        found = [obj for ns in self.params.namespaces for obj in self._list(ns)]
        if self.params.names:
            found = [o for o in found if o["metadata"]["name"] in self.params.names]
        present = {o["metadata"]["name"] for o in found}
        missing = [n for n in self.params.names if n not in present]
        if not found and not self.params.names:
            missing = [f"none in {', '.join(self.params.namespaces)}"]
        return SecretSync(
            ready=[_ref(o) for o in found if _ready(o)[0]],
            not_ready=[f"{_ref(o)} ({_ready(o)[1]})" for o in found if not _ready(o)[0]],
            missing=missing,
        )

    def _list(self, namespace: str) -> list[Any]:
        with kube_errors(self.kube.server, f"list ExternalSecrets in {namespace}"):
            if namespace == "*":
                found = self.kube.custom.list_cluster_custom_object(
                    GROUP, VERSION, PLURAL, _request_timeout=self.kube.timeout
                )
            else:
                found = self.kube.custom.list_namespaced_custom_object(
                    GROUP, VERSION, namespace, PLURAL, _request_timeout=self.kube.timeout
                )
        return list(found.get("items", []))

    def current(self) -> Output:
        return self.read().model_dump(mode="json")

    def apply(self) -> Outcome:
        return Outcome(
            changed=False, detail="read-only: the operator syncs; verify waits for Ready"
        )

    def verify(self, deadline: float) -> Output:
        return self.wait(self.read, SecretSync.problem, deadline).model_dump(mode="json")


def _ref(obj: Any) -> str:
    return f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"


def _ready(obj: Any) -> tuple[bool, str]:
    """Whether condition Ready is True, and otherwise the operator's reason and message."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            why = ": ".join(x for x in (cond.get("reason"), cond.get("message")) if x)
            return cond.get("status") == "True", why or "Ready is not True"
    return False, "not synced yet"
