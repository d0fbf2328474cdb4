"""A fake ArgoCD API server on 127.0.0.1: applications, sync operations and clusters (simulated).

It serves the REST shapes `argocd` and drctl use: `GET /api/v1/applications[/{name}]`,
`POST /api/v1/applications/{name}/sync`, `GET|POST /api/v1/clusters`, with ArgoCD's
grpc-gateway errors (`{"error", "code", "message"}`; 401 code 16, 403 code 7, 404 code 5,
400 code 9 for "another operation is already in progress"). Tests control each
application: how long a sync takes, whether it stays OutOfSync or fails.
"""

from __future__ import annotations

import copy
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from drctl.clock import Clock, SystemClock
from drctl_sandbox.kube.cluster import short_hash, timestamp
from drctl_sandbox.kube.fakeapi import ApiReply, ApiRequest, LoopbackApiServer

IN_CLUSTER = "https://kubernetes.default.svc"
SEED_APPS = (
    "my-app",
    "my-app-batch",
    "monitoring",
    "audit-trail",
)  # seed 2.x: app, batch, monitoring, audit
SIMULATED_NOTE = "simulated ArgoCD API (drctl sandbox), not a real ArgoCD"
Json = dict[str, Any]


@dataclass
class AppSim:
    """One application's simulated state and behaviour."""

    name: str
    destination: str
    namespace: str
    resources: list[Json]
    sync_after: float = 1.0
    stuck: bool = False
    failure: str = ""
    synced: bool = False
    operation_started: float | None = None
    operation_phase: str = ""
    operation_message: str = ""
    revision: str = field(default_factory=lambda: short_hash(secrets.token_hex(4), 40))


def _error(status: int, code: int, message: str) -> ApiReply:
    return ApiReply(status, {"error": message, "code": code, "message": message})


class FakeArgoCd(LoopbackApiServer):
    """The fake ArgoCD server. `token` may do anything; `read_only_token` gets 403 on writes."""

    def __init__(self, clock: Clock | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.clock = clock or SystemClock()
        self.read_only_token = secrets.token_urlsafe(18)
        self.apps: dict[str, AppSim] = {}
        self.clusters: dict[str, Json] = {
            IN_CLUSTER: {"server": IN_CLUSTER, "name": "in-cluster", "config": {}}
        }
        self._lock = threading.RLock()
        self.route(
            "GET", "/api/version", lambda _r, _p: ApiReply(200, {"Version": "v2.13.0+sandbox"})
        )
        self.route("GET", "/api/v1/applications", self._list_apps)
        self.route("GET", "/api/v1/applications/{name}", self._get_app)
        self.route("POST", "/api/v1/applications/{name}/sync", self._sync)
        self.route("GET", "/api/v1/clusters", self._list_clusters)
        self.route("POST", "/api/v1/clusters", self._create_cluster)

    def add_app(
        self,
        name: str,
        *,
        destination: str = IN_CLUSTER,
        namespace: str = "",
        synced: bool = False,
        sync_after: float = 1.0,
        stuck: bool = False,
        failure: str = "",
    ) -> None:
        """An application (OutOfSync/Missing unless `synced`); `stuck` never converges, `failure` fails the sync."""
        ns = namespace or name
        resources = [
            {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": ns, "name": name},
            {"group": "", "version": "v1", "kind": "Service", "namespace": ns, "name": name},
        ]
        with self._lock:
            self.apps[name] = AppSim(
                name, destination, ns, resources, sync_after, stuck, failure, synced
            )

    def seed_apps(self, destination: str = IN_CLUSTER, *, sync_after: float = 1.0) -> None:
        """The seed's applications (app, batch, monitoring, audit trail), all OutOfSync on a fresh DR cluster."""
        for name in SEED_APPS:
            self.add_app(name, destination=destination, sync_after=sync_after)

    def authorize(self, request: ApiRequest) -> ApiReply | None:
        if request.bearer == self.token:
            return None
        if request.bearer and request.bearer == self.read_only_token:
            if request.method == "GET":
                return None
            return _error(403, 7, f"permission denied: {request.path}, sub: drctl-readonly")
        return _error(401, 16, "invalid session: token signature is invalid")

    def not_found(self, request: ApiRequest) -> ApiReply:
        return _error(404, 5, f"Not Found: {request.path}")

    def dispatch(self, request: ApiRequest) -> ApiReply:
        with self._lock:
            for app in self.apps.values():
                self._progress(app)
            return super().dispatch(request)

    def _progress(self, app: AppSim) -> None:
        if app.operation_phase != "Running" or app.operation_started is None:
            return
        if self.clock.monotonic() < app.operation_started + app.sync_after:
            return
        if app.failure:
            app.operation_phase, app.operation_message = "Failed", app.failure
        else:
            app.operation_phase, app.operation_message = (
                "Succeeded",
                "successfully synced (all tasks run)",
            )
            app.synced = not app.stuck

    def _application(self, app: AppSim) -> Json:
        sync = "Synced" if app.synced else "OutOfSync"
        health = (
            "Healthy"
            if app.synced
            else ("Progressing" if app.operation_phase == "Running" else "Missing")
        )
        resources = [{**r, "status": sync, "health": {"status": health}} for r in app.resources]
        body: Json = {
            "metadata": {"name": app.name, "namespace": "argocd"},
            "spec": {
                "project": "default",
                "source": {
                    "repoURL": "https://github.com/example/my-app-manifests.git",
                    "path": f"apps/{app.name}",
                    "targetRevision": "HEAD",
                },
                "destination": {"server": app.destination, "namespace": app.namespace},
            },
            "status": {
                "sync": {"status": sync, "revision": app.revision},
                "health": {"status": health},
                "resources": resources,
                "reconciledAt": timestamp(self.clock.now()),
            },
        }
        if app.operation_phase:
            body["status"]["operationState"] = {
                "phase": app.operation_phase,
                "message": app.operation_message,
                "operation": {"sync": {"revision": app.revision}},
            }
        return body

    def _list_apps(self, request: ApiRequest, _: dict[str, str]) -> ApiReply:
        names = request.query.get("name")
        items = [self._application(a) for a in self.apps.values() if not names or a.name in names]
        return ApiReply(200, {"metadata": {}, "items": items})

    def _get_app(self, _: ApiRequest, params: dict[str, str]) -> ApiReply:
        app = self.apps.get(params["name"])
        if app is None:
            return _error(404, 5, f'applications.argoproj.io "{params["name"]}" not found')
        return ApiReply(200, self._application(app))

    def _sync(self, _: ApiRequest, params: dict[str, str]) -> ApiReply:
        app = self.apps.get(params["name"])
        if app is None:
            return _error(404, 5, f'applications.argoproj.io "{params["name"]}" not found')
        if app.operation_phase == "Running":
            return _error(400, 9, "another operation is already in progress")
        app.operation_phase, app.operation_message = "Running", "waiting for completion"
        app.operation_started = self.clock.monotonic()
        return ApiReply(200, self._application(app))

    def _list_clusters(self, _: ApiRequest, __: dict[str, str]) -> ApiReply:
        items = [self._cluster(c) for c in self.clusters.values()]
        return ApiReply(200, {"metadata": {}, "items": items})

    @staticmethod
    def _cluster(cluster: Json) -> Json:
        public = copy.deepcopy(cluster)
        public["config"] = {k: v for k, v in public.get("config", {}).items() if k != "bearerToken"}
        return {**public, "connectionState": {"status": "Unknown", "message": ""}}

    def _create_cluster(self, request: ApiRequest, _: dict[str, str]) -> ApiReply:
        cluster = request.json()
        if not isinstance(cluster, dict) or not cluster.get("server"):
            return _error(400, 3, "cluster server is required")
        existing = self.clusters.get(cluster["server"])
        if existing is not None and existing != cluster and request.arg("upsert") != "true":
            return _error(
                400, 3, "existing cluster spec is different; use upsert flag to force update"
            )
        self.clusters[cluster["server"]] = cluster
        return ApiReply(200, self._cluster(cluster))

    def stored_cluster(self, server: str) -> Json:
        """The cluster as stored, credentials included (for assertions)."""
        with self._lock:
            return copy.deepcopy(self.clusters[server])
