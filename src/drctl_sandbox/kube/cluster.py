"""The simulated cluster behind the fake Kubernetes API: stored objects and the store itself.

Objects are the JSON the real API serves. Controllers (pod readiness, workload status,
PodDisruptionBudgets, Flux, External Secrets, the scheduler) live in `kube_controllers`
and run on every request, reading the clock the cluster was given, so a test that
shares a `FakeClock` with the provider sees pods become Ready exactly when time passes.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from drctl.clock import Clock
from drctl_sandbox.kube.objects import (
    BY_PLURAL,
    Json,
    KubeStatusError,
    ResourceType,
    json_patch,
    merge_patch,
    not_found,
)

Key = tuple[str, str, str]  # (plural, namespace, name); namespace is "" for cluster-scoped


@dataclass
class PodPlan:
    """How the simulation treats one pod: when it becomes Ready (None: never) and who owns it."""

    ready_at: float | None
    owner: Key | None = None
    logs: tuple[str, ...] = ()
    succeeded: bool = False


@dataclass
class Behaviour:
    """When a custom resource (Flux object, ExternalSecret) settles, and whether it fails."""

    settle_after: float | None = 0.0
    failure: str = ""
    pending_since: float | None = None


def timestamp(moment: datetime) -> str:
    """RFC 3339 seconds, as the API server writes times."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def short_hash(text: str, length: int = 5) -> str:
    """A stable lowercase suffix like the ones ReplicaSets and pods get."""
    digest = hashlib.sha256(text.encode()).hexdigest()
    return "".join("bcdfghjklmnpqrstvwxz2456789"[int(c, 16)] for c in digest[:length])


class ObjectStore:
    """Objects by (plural, namespace, name) with resourceVersion, uid and generation kept."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.objects: dict[Key, Json] = {}
        self.pods: dict[Key, PodPlan] = {}
        self.behaviours: dict[Key, Behaviour] = {}
        self._rv = itertools.count(1000)
        self.serial = itertools.count(1)
        self.reschedule_delay = 1.0  # seconds a recreated pod takes to become Ready

    def resource_version(self) -> str:
        return str(next(self._rv))

    def put(self, plural: str, obj: Json) -> Json:
        """Create or replace an object, filling the metadata the API server owns."""
        rtype = BY_PLURAL[plural]
        meta = obj.setdefault("metadata", {})
        if not rtype.namespaced:
            meta.pop("namespace", None)
        key = (plural, meta.get("namespace", ""), meta["name"])
        meta.setdefault("uid", str(uuid.UUID(int=next(self.serial))))
        meta.setdefault("creationTimestamp", timestamp(self.clock.now()))
        meta.setdefault("generation", 1)
        meta["resourceVersion"] = self.resource_version()
        obj["apiVersion"], obj["kind"] = rtype.api_version, rtype.kind
        self.objects[key] = obj
        return obj

    def get(self, plural: str, namespace: str, name: str) -> Json:
        obj = self.objects.get((plural, namespace, name))
        if obj is None:
            raise not_found(BY_PLURAL[plural], name)
        return obj

    def items(self, plural: str, namespace: str | None = None) -> list[Json]:
        """Objects of one type, in one namespace or all, sorted like the API (namespace, name)."""
        found = [
            obj
            for (p, ns, _), obj in self.objects.items()
            if p == plural and (namespace is None or ns == namespace)
        ]
        return sorted(
            found, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"])
        )

    def delete(self, key: Key) -> None:
        self.objects.pop(key, None)
        self.pods.pop(key, None)

    def patch(self, rtype: ResourceType, key: Key, body: object, content_type: str) -> Json:
        """Apply a merge, strategic-merge or JSON patch; spec changes bump the generation."""
        current = self.get(*key)
        if "json-patch" in content_type and isinstance(body, list):
            patched = json_patch(current, body)
        elif "merge-patch" in content_type and isinstance(body, dict):
            patched = merge_patch(current, body)
        else:
            raise KubeStatusError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format: {content_type}",
            )
        for empty in [k for k in ("annotations", "labels") if patched["metadata"].get(k) == {}]:
            del patched["metadata"][empty]  # the API server omits empty maps
        if patched.get("spec") != current.get("spec"):
            patched["metadata"]["generation"] = current["metadata"].get("generation", 1) + 1
        patched["metadata"]["resourceVersion"] = self.resource_version()
        self.objects[key] = patched
        return patched

    def snapshot(self, obj: Json) -> Json:
        """A deep copy safe to serialise outside the lock."""
        return copy.deepcopy(obj)
