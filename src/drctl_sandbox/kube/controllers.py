"""What the simulated cluster's controllers do: readiness, workload and PDB status, the scheduler.

`refresh(store)` runs before every request: pods become Ready when their time comes
(or never), workloads and PodDisruptionBudgets report what their pods say, Flux objects
handle reconcile requests, ExternalSecrets sync, and unscheduled pods find a node.
`evict()` is the Eviction API: it honours PodDisruptionBudgets exactly like the API
server (HTTP 429 naming the budget) and lets the owning controller recreate the pod.
"""

from __future__ import annotations

import math

from drctl_sandbox.kube.cluster import Behaviour, Key, ObjectStore, PodPlan, short_hash, timestamp
from drctl_sandbox.kube.objects import Json, KubeStatusError, object_selector_matches

ZONE_LABEL = "topology.kubernetes.io/zone"


def condition(
    kind: str, ok: bool | None, reason: str = "", message: str = "", at: str = ""
) -> Json:
    """A status condition as controllers write them (`status` is "True", "False" or "Unknown")."""
    status = "Unknown" if ok is None else str(ok)
    moment = at or "2026-01-01T00:00:00Z"
    return {
        "type": kind,
        "status": status,
        "lastTransitionTime": moment,
        "reason": reason,
        "message": message,
    }


def node_ready(node: Json | None) -> bool:
    if node is None:
        return False
    conditions = node.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def schedulable(node: Json) -> bool:
    return node_ready(node) and not node.get("spec", {}).get("unschedulable")


def pod_ready(pod: Json) -> bool:
    conditions = pod.get("status", {}).get("conditions", [])
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def refresh(store: ObjectStore) -> None:
    """Run every controller once."""
    _schedule_pending(store)
    for key, plan in store.pods.items():
        _set_pod_status(store, store.objects[key], plan)
    for plural in ("deployments", "statefulsets", "daemonsets"):
        for obj in store.items(plural):
            obj["status"] = _workload_status(store, plural, obj)
    for job in store.items("jobs"):
        _set_job_status(store, job)
    for pdb in store.items("poddisruptionbudgets"):
        pdb["status"] = _pdb_status(store, pdb)
    for plural in ("kustomizations", "helmreleases"):
        for obj in store.items(plural):
            _reconcile_flux(store, plural, obj)
    for secret in store.items("externalsecrets"):
        _sync_external_secret(store, secret)


def _owned_pods(store: ObjectStore, owner: Key) -> list[Json]:
    return [store.objects[k] for k, plan in store.pods.items() if plan.owner == owner]


def _set_pod_status(store: ObjectStore, pod: Json, plan: PodPlan) -> None:
    node_name = pod["spec"].get("nodeName")
    since = pod["metadata"]["creationTimestamp"]
    started = plan.ready_at is not None and store.clock.monotonic() >= plan.ready_at
    if plan.succeeded:
        phase, state, ready = (
            "Succeeded",
            {"terminated": {"exitCode": 0, "reason": "Completed"}},
            False,
        )
    elif not node_name:
        pod["status"] = {
            "phase": "Pending",
            "conditions": [
                condition(
                    "PodScheduled", False, "Unschedulable", _unschedulable_message(store), since
                )
            ],
        }
        return
    elif plan.ready_at is None:
        phase, state, ready = "Running", {"waiting": {"reason": "CrashLoopBackOff"}}, False
    elif not started:
        phase, state, ready = "Pending", {"waiting": {"reason": "ContainerCreating"}}, False
    else:
        phase, state = "Running", {"running": {"startedAt": since}}
        ready = node_ready(store.objects.get(("nodes", "", node_name)))
    container = pod["spec"]["containers"][0]
    pod["status"] = {
        "phase": phase,
        "hostIP": "10.0.0.10",
        "startTime": since,
        "conditions": [
            condition("PodScheduled", True, at=since),
            condition("Initialized", True, at=since),
            condition("ContainersReady", ready, at=since),
            condition("Ready", ready, at=since),
        ],
        "containerStatuses": [
            {
                "name": container["name"],
                "image": container["image"],
                "imageID": "",
                "ready": ready,
                "started": started,
                "restartCount": 4 if plan.ready_at is None and not plan.succeeded else 0,
                "state": state,
            }
        ],
    }


def _unschedulable_message(store: ObjectStore) -> str:
    nodes = store.items("nodes")
    return (
        f"0/{len(nodes)} nodes are available: {len(nodes)} node(s) were unschedulable or not ready."
    )


def _workload_status(store: ObjectStore, plural: str, obj: Json) -> Json:
    meta = obj["metadata"]
    pods = _owned_pods(store, (plural, meta["namespace"], meta["name"]))
    ready = sum(pod_ready(p) for p in pods)
    generation = meta.get("generation", 1)
    if plural == "daemonsets":
        return {
            "desiredNumberScheduled": len(pods),
            "currentNumberScheduled": len(pods),
            "updatedNumberScheduled": len(pods),
            "numberMisscheduled": 0,
            "numberReady": ready,
            "numberAvailable": ready,
            "observedGeneration": generation,
        }
    wanted = obj["spec"].get("replicas", 1)
    status: Json = {
        "replicas": len(pods),
        "updatedReplicas": len(pods),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": generation,
    }
    if plural == "deployments":
        enough = ready >= wanted - math.floor(wanted * 0.25)
        reason = "MinimumReplicasAvailable" if enough else "MinimumReplicasUnavailable"
        status["conditions"] = [
            condition("Available", enough, reason, at=meta["creationTimestamp"])
        ]
    else:
        status["currentReplicas"] = len(pods)
    return status


def settled(store: ObjectStore, behaviour: Behaviour) -> bool:
    """Whether a custom resource's pending work is done by now."""
    if behaviour.settle_after is None or behaviour.pending_since is None:
        return False
    return store.clock.monotonic() >= behaviour.pending_since + behaviour.settle_after


def _set_job_status(store: ObjectStore, job: Json) -> None:
    meta = job["metadata"]
    key: Key = ("jobs", meta["namespace"], meta["name"])
    behaviour = store.behaviours[key]
    now = timestamp(store.clock.now())
    if behaviour.failure:
        job["status"] = {
            "failed": job["spec"].get("backoffLimit", 6),
            "conditions": [
                condition("Failed", True, "BackoffLimitExceeded", behaviour.failure, now)
            ],
        }
    elif settled(store, behaviour):
        for plan in store.pods.values():
            plan.succeeded = plan.succeeded or plan.owner == key
        job["status"] = {
            "succeeded": 1,
            "completionTime": job["status"].get("completionTime", now),
            "conditions": [condition("Complete", True, at=now)],
        }
    else:
        job["status"] = {"active": 1}


def _pdb_status(store: ObjectStore, pdb: Json) -> Json:
    namespace, spec = pdb["metadata"]["namespace"], pdb["spec"]
    pods = [
        p
        for p in store.items("pods", namespace)
        if object_selector_matches(spec.get("selector"), p["metadata"].get("labels", {}))
        and p["status"].get("phase") not in ("Succeeded", "Failed")
    ]
    expected, healthy = len(pods), sum(pod_ready(p) for p in pods)
    if "minAvailable" in spec:
        desired = _count(spec["minAvailable"], expected)
    else:
        desired = expected - _count(spec.get("maxUnavailable", 0), expected)
    allowed = max(0, healthy - desired)
    reason = "SufficientPods" if allowed else "InsufficientPods"
    return {
        "observedGeneration": pdb["metadata"].get("generation", 1),
        "expectedPods": expected,
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "disruptionsAllowed": allowed,
        "conditions": [
            condition(
                "DisruptionAllowed", allowed > 0, reason, at=pdb["metadata"]["creationTimestamp"]
            )
        ],
    }


def _count(value: int | str, total: int) -> int:
    if isinstance(value, str) and value.endswith("%"):
        return math.ceil(total * int(value[:-1]) / 100)
    return int(value)


def _reconcile_flux(store: ObjectStore, plural: str, obj: Json) -> None:
    meta, status = obj["metadata"], obj.setdefault("status", {})
    behaviour = store.behaviours[(plural, meta["namespace"], meta["name"])]
    requested = meta.get("annotations", {}).get("reconcile.fluxcd.io/requestedAt")
    if (
        obj["spec"].get("suspend")
        or not requested
        or requested == status.get("lastHandledReconcileAt")
    ):
        return
    now = timestamp(store.clock.now())
    if behaviour.pending_since is None:
        behaviour.pending_since = store.clock.monotonic()
        status["conditions"] = [
            condition("Ready", None, "Progressing", "Reconciliation in progress", now),
            condition("Reconciling", True, "Progressing", "Reconciliation in progress", now),
        ]
    if not settled(store, behaviour):
        return
    behaviour.pending_since = None
    status["lastHandledReconcileAt"] = requested
    status["observedGeneration"] = meta.get("generation", 1)
    if behaviour.failure:
        status["conditions"] = [
            condition("Ready", False, "ReconciliationFailed", behaviour.failure, now)
        ]
    else:
        status["lastAppliedRevision"] = "main@sha1:" + short_hash(requested, 12)
        message = f"Applied revision: {status['lastAppliedRevision']}"
        status["conditions"] = [condition("Ready", True, "ReconciliationSucceeded", message, now)]


def _sync_external_secret(store: ObjectStore, secret: Json) -> None:
    meta = secret["metadata"]
    behaviour = store.behaviours[("externalsecrets", meta["namespace"], meta["name"])]
    now = timestamp(store.clock.now())
    if behaviour.failure:
        secret["status"] = {
            "conditions": [condition("Ready", False, "SecretSyncedError", behaviour.failure, now)]
        }
    elif settled(store, behaviour):
        status = secret.setdefault("status", {})
        status.setdefault("refreshTime", now)
        status["conditions"] = [condition("Ready", True, "SecretSynced", "secret synced", now)]
        status["syncedResourceVersion"] = f"1-{short_hash(meta['name'], 12)}"


def choose_node(store: ObjectStore, owner: Key | None) -> str | None:
    """The schedulable node that spreads the owner's pods best over zones, then nodes."""
    candidates = [n for n in store.items("nodes") if schedulable(n)]
    if not candidates:
        return None
    owned = _owned_pods(store, owner) if owner else []

    def load(node: Json) -> tuple[int, int, str]:
        zone = node["metadata"]["labels"].get(ZONE_LABEL, "")
        in_zone = sum(_zone_of(store, p) == zone for p in owned)
        on_node = sum(p["spec"].get("nodeName") == node["metadata"]["name"] for p in owned)
        return in_zone, on_node, node["metadata"]["name"]

    return str(min(candidates, key=load)["metadata"]["name"])


def _zone_of(store: ObjectStore, pod: Json) -> str:
    node = store.objects.get(("nodes", "", pod["spec"].get("nodeName") or ""))
    return str(node["metadata"]["labels"].get(ZONE_LABEL, "")) if node else ""


def _schedule_pending(store: ObjectStore) -> None:
    for key, plan in store.pods.items():
        pod = store.objects[key]
        if pod["spec"].get("nodeName") or plan.succeeded:
            continue
        node = choose_node(store, plan.owner)
        if node:
            pod["spec"]["nodeName"] = node
            if plan.ready_at is not None:
                plan.ready_at = store.clock.monotonic() + store.reschedule_delay


def evict(store: ObjectStore, namespace: str, name: str) -> None:
    """policy/v1 Eviction: refuse with 429 when a PodDisruptionBudget forbids it, else delete."""
    pod = store.get("pods", namespace, name)
    labels = pod["metadata"].get("labels", {})
    for pdb in store.items("poddisruptionbudgets", namespace):
        if not object_selector_matches(pdb["spec"].get("selector"), labels):
            continue
        status = pdb["status"]
        healthy, desired = status["currentHealthy"], status["desiredHealthy"]
        if (pod_ready(pod) and status["disruptionsAllowed"] < 1) or healthy < desired:
            message = f"The disruption budget {pdb['metadata']['name']} needs {desired} healthy pods and has {healthy} currently"
            raise KubeStatusError(
                429,
                "TooManyRequests",
                "Cannot evict pod as it would violate the pod's disruption budget.",
                {"causes": [{"reason": "DisruptionBudget", "message": message}]},
            )
    key: Key = ("pods", namespace, name)
    plan = store.pods[key]
    store.delete(key)
    if plan.owner is not None and plan.owner[0] != "jobs":
        _recreate(store, pod, plan)


def _recreate(store: ObjectStore, old: Json, plan: PodPlan) -> None:
    """The owning controller replaces an evicted pod (StatefulSets keep the name)."""
    assert plan.owner is not None
    owner_plural = plan.owner[0]
    meta = old["metadata"]
    name = meta["name"]
    if owner_plural == "deployments":
        name = f"{name.rsplit('-', 1)[0]}-{short_hash(f'{name}{next(store.serial)}')}"
    node = old["spec"]["nodeName"] if owner_plural == "daemonsets" else None
    pod: Json = {
        "metadata": {k: meta[k] for k in ("namespace", "labels", "ownerReferences") if k in meta}
        | {"name": name},
        "spec": {**old["spec"], "nodeName": node},
        "status": {},
    }
    store.put("pods", pod)
    ready_at = (
        store.clock.monotonic() + store.reschedule_delay if plan.ready_at is not None else None
    )
    store.pods[("pods", meta["namespace"], name)] = PodPlan(ready_at, plan.owner, plan.logs)
