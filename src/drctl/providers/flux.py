"""`flux.reconcile`: ask Flux to reconcile Kustomizations/HelmReleases now, wait until they are Ready.

Flux reconciles an object when its `reconcile.fluxcd.io/requestedAt` annotation changes
(what `flux reconcile` does) and echoes the value in `status.lastHandledReconcileAt`.
The value drctl writes is derived from the run and step, so a repeated step finds its own
request already made and writes nothing; `verify` waits for that value to be handled with
Ready=True at the current generation.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from drctl.errors import NotFoundError, StateError
from drctl.model import Frozen, Strict
from drctl.providers.base import Outcome, Output
from drctl.providers.kube.access import KubeAccess
from drctl.providers.kube.action import KubeAction
from drctl.providers.kube.errors import kube_errors

REQUESTED_AT = "reconcile.fluxcd.io/requestedAt"
API = {
    "Kustomization": ("kustomize.toolkit.fluxcd.io", "v1", "kustomizations"),
    "HelmRelease": ("helm.toolkit.fluxcd.io", "v2", "helmreleases"),
}


class FluxRef(Strict):
    """Which objects: a kind, a namespace and a name (`*` for all of that kind there)."""

    kind: Literal["Kustomization", "HelmRelease"] = "Kustomization"
    namespace: str = "flux-system"
    name: str = "*"


class FluxProgress(Frozen):
    """Objects whose reconcile request is handled and Ready, and those still waiting (why)."""

    ready: list[str]
    waiting: dict[str, str]

    def problem(self) -> str:
        waiting = ", ".join(f"{ref} ({why})" for ref, why in self.waiting.items())
        return f"Flux objects not reconciled and Ready: {waiting}" if waiting else ""


class ReconcileParams(KubeAccess):
    """The objects to reconcile; `requested_at` overrides the run-derived request token."""

    objects: list[FluxRef] = Field(default=[FluxRef()], min_length=1)
    requested_at: str | None = None


class Reconcile(KubeAction[ReconcileParams]):
    """Request reconciliation of Flux objects and wait for Ready=True."""

    kind = "flux.reconcile"
    Params = ReconcileParams

    @property
    def token(self) -> str:
        return self.params.requested_at or f"drctl/{self.ctx.run_id}/{self.ctx.step_id}"

    def describe(self) -> str:
        names = ", ".join(f"{o.kind} {o.namespace}/{o.name}" for o in self.params.objects)
        return f"reconcile Flux {names} on {self.target} and wait until Ready"

    def current(self) -> Output:
        return self.progress().model_dump(mode="json")

    def apply(self) -> Outcome:
        requested = []
        for ref, kind, obj in self._objects():
            if obj["spec"].get("suspend"):
                raise StateError(
                    f"{ref} is suspended; Flux will not reconcile it",
                    hint=f"resume it first (`flux resume {kind.lower()} {obj['metadata']['name']} -n {obj['metadata']['namespace']}`)",
                    where=self.target,
                )
            if (obj["metadata"].get("annotations") or {}).get(REQUESTED_AT) != self.token:
                self._request(kind, obj)
                requested.append(ref)
        detail = f"requested reconciliation of {len(requested)} object(s)"
        return Outcome(
            changed=bool(requested), detail=detail, output={"requested": list(requested)}
        )

    def verify(self, deadline: float) -> Output:
        return self.wait(self.progress, FluxProgress.problem, deadline).model_dump(mode="json")

    def progress(self) -> FluxProgress:
        ready, waiting = [], {}
        for ref, _, obj in self._objects():
            why = self._not_done(obj)
            if why:
                waiting[ref] = why
            else:
                ready.append(ref)
        return FluxProgress(ready=ready, waiting=waiting)

    def _not_done(self, obj: Any) -> str:
        status = obj.get("status") or {}
        if status.get("lastHandledReconcileAt") != self.token:
            return "request not handled yet"
        if status.get("observedGeneration") != obj["metadata"].get("generation"):
            return "new generation not observed yet"
        ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), None)
        if ready is None or ready.get("status") != "True":
            reason = ": ".join(
                x for x in ((ready or {}).get("reason"), (ready or {}).get("message")) if x
            )
            return reason or "Ready is not True"
        return ""

    def _objects(self) -> list[tuple[str, str, Any]]:
        found: list[tuple[str, str, Any]] = []
        for wanted in self.params.objects:
            group, version, plural = API[wanted.kind]
            with kube_errors(self.kube.server, f"list {wanted.kind}s in {wanted.namespace}"):
                items = self.kube.custom.list_namespaced_custom_object(
                    group, version, wanted.namespace, plural, _request_timeout=self.kube.timeout
                )["items"]
            matching = [o for o in items if wanted.name in ("*", o["metadata"]["name"])]
            if not matching:
                raise NotFoundError(
                    f"no {wanted.kind} {wanted.name} in namespace {wanted.namespace}",
                    hint="check the names with `flux get all -A`",
                    where=self.target,
                )
            found += [
                (f"{wanted.kind} {wanted.namespace}/{o['metadata']['name']}", wanted.kind, o)
                for o in matching
            ]
        return found

    def _request(self, kind: str, obj: Any) -> None:
        group, version, plural = API[kind]
        meta = obj["metadata"]
        body = {"metadata": {"annotations": {REQUESTED_AT: self.token}}}
        with kube_errors(self.kube.server, f"annotate {kind} {meta['namespace']}/{meta['name']}"):
            self.kube.custom.patch_namespaced_custom_object(
                group,
                version,
                meta["namespace"],
                plural,
                meta["name"],
                body,
                _request_timeout=self.kube.timeout,
            )
        self.ctx.log(f"requested reconciliation of {kind} {meta['namespace']}/{meta['name']}")
