"""`k8s.wait-ready`: every pod Ready, Deployments/StatefulSets available, Jobs complete."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from drctl.errors import StateError
from drctl.model import Frozen
from drctl.providers.base import Outcome, Output
from drctl.providers.kube.access import KubeAccess
from drctl.providers.kube.action import KubeAction
from drctl.providers.kube.views import list_jobs, list_pods, list_workloads


class Readiness(Frozen):
    """What is not ready yet in the selected namespaces."""

    pods: int
    pods_not_ready: list[str]
    workloads_unavailable: list[str]
    jobs_incomplete: list[str]

    def problem(self) -> str:
        parts = [
            f"{label}: {', '.join(names)}"
            for label, names in (
                ("pods not Ready", self.pods_not_ready),
                ("workloads not available", self.workloads_unavailable),
                ("jobs not complete", self.jobs_incomplete),
            )
            if names
        ]
        return "; ".join(parts)


class WaitReadyParams(KubeAccess):
    """Namespaces (`*` for all) and an optional label selector."""

    namespaces: list[str] = Field(min_length=1)
    label_selector: str = ""


class WaitReady(KubeAction[WaitReadyParams]):
    """Wait until the selected namespaces' pods are Ready and their workloads available."""

    kind = "k8s.wait-ready"
    Params = WaitReadyParams

    def describe(self) -> str:
        scope = ", ".join(self.params.namespaces)
        return f"wait until pods in {scope} are Ready and workloads available on {self.target}"

    def current(self) -> Output:
        return self.read().model_dump(mode="json")

    def apply(self) -> Outcome:
        return Outcome(changed=False, detail="read-only: readiness is awaited in verify")

    def verify(self, deadline: float) -> Output:
        return self.wait(self.read, Readiness.problem, deadline).model_dump(mode="json")

    def read(self) -> Readiness:
        """One look at pods, workloads and jobs; a failed Job fails at once (it will not recover)."""
        ns, selector = self.params.namespaces, self.params.label_selector
        pods = [
            p
            for p in list_pods(self.kube, ns, selector)
            if p.owner_kind != "Job" and not p.finished
        ]
        workloads = list_workloads(self.kube, ns, selector)
        jobs = list_jobs(self.kube, ns, selector)
        return Readiness(
            pods=len(pods),
            pods_not_ready=[p.describe() for p in pods if not p.ready],
            workloads_unavailable=[
                f"{w.ref} ({w.available}/{w.wanted} available)" for w in workloads if not w.ok
            ],
            jobs_incomplete=[_job_ref(j) for j in jobs if not self._job_complete(j)],
        )

    def _job_complete(self, job: Any) -> bool:
        conditions = {c.type: c for c in job.status.conditions or [] if c.status == "True"}
        if "Failed" in conditions:
            failed = conditions["Failed"]
            raise StateError(
                f"job {_job_ref(job)} failed: {failed.reason}: {failed.message}",
                hint=f"read its logs (`kubectl logs -n {job.metadata.namespace} job/{job.metadata.name}`), fix, and re-run the job",
                where=self.target,
                code="JobFailed",
            )
        return "Complete" in conditions


def _job_ref(job: Any) -> str:
    return f"{job.metadata.namespace}/{job.metadata.name}"
