"""A fake Kubernetes API server on 127.0.0.1, serving the real API shapes for what drctl uses.

It is simulated, not a cluster: core/v1 pods (with logs and policy/v1 evictions), nodes,
services and namespaces; policy/v1 PodDisruptionBudgets; apps/v1 Deployments,
StatefulSets and DaemonSets; batch/v1 Jobs; external-secrets.io/v1beta1 ExternalSecrets;
Flux Kustomizations (v1) and HelmReleases (v2). Lists honour `labelSelector` and
`fieldSelector`; PATCH takes merge, strategic-merge and JSON patches; failures are
`Status` objects with the real codes (401, 403, 404, 415, 429). `?watch=true` is not
served (drctl polls). `.cluster` seeds state and injects faults.

    with FakeKubeApi() as api:
        api.cluster.seed_cluster(deployments={"my-app/web": 3})
        ...  # point the kubernetes client at api.url with api.token
"""

from __future__ import annotations

import secrets

from drctl.clock import Clock, SystemClock
from drctl_sandbox.kube.cluster import ObjectStore
from drctl_sandbox.kube.controllers import evict, refresh
from drctl_sandbox.kube.fakeapi import ApiReply, ApiRequest, LoopbackApiServer
from drctl_sandbox.kube.objects import (
    BY_PATH,
    Json,
    KubeStatusError,
    ResourceType,
    field_selector_matches,
    label_selector_matches,
)
from drctl_sandbox.kube.simulation import SimulatedCluster

SIMULATED_NOTE = "simulated Kubernetes API (drctl sandbox), not a real cluster"


class FakeKubeApi(LoopbackApiServer):
    """The fake API server. `token` may do anything; `read_only_token` gets 403 on writes."""

    def __init__(self, clock: Clock | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host, port)
        self.read_only_token = secrets.token_urlsafe(18)
        self.store = ObjectStore(clock or SystemClock())
        self.cluster = SimulatedCluster(self.store)
        for prefix in ("/api/{version}", "/apis/{group}/{version}"):
            self.route("GET", prefix + "/{plural}", self._list)
            self.route("GET", prefix + "/namespaces/{namespace}/{plural}", self._list)
            self.route("GET", prefix + "/{plural}/{name}", self._get)
            self.route("GET", prefix + "/namespaces/{namespace}/{plural}/{name}", self._get)
            self.route("PATCH", prefix + "/{plural}/{name}", self._patch)
            self.route("PATCH", prefix + "/namespaces/{namespace}/{plural}/{name}", self._patch)
        self.route("GET", "/api/v1/namespaces/{namespace}/pods/{name}/log", self._log)
        self.route("POST", "/api/v1/namespaces/{namespace}/pods/{name}/eviction", self._evict)

    def authorize(self, request: ApiRequest) -> ApiReply | None:
        if request.bearer == self.token:
            return None
        if request.bearer and request.bearer == self.read_only_token:
            if request.method == "GET":
                return None
            message = f'{request.path} is forbidden: User "drctl-readonly" cannot {request.method.lower()} this resource'
            return _reply(KubeStatusError(403, "Forbidden", message))
        return _reply(KubeStatusError(401, "Unauthorized", "Unauthorized"))

    def not_found(self, request: ApiRequest) -> ApiReply:
        return _reply(
            KubeStatusError(404, "NotFound", "the server could not find the requested resource")
        )

    def dispatch(self, request: ApiRequest) -> ApiReply:
        try:
            with self.store.lock:
                refresh(self.store)
                return super().dispatch(request)
        except KubeStatusError as error:
            return _reply(error)

    def _resource(self, params: dict[str, str]) -> ResourceType:
        key = (params.get("group", ""), params["version"], params["plural"])
        if key not in BY_PATH:
            raise KubeStatusError(
                404, "NotFound", "the server could not find the requested resource"
            )
        return BY_PATH[key]

    def _list(self, request: ApiRequest, params: dict[str, str]) -> ApiReply:
        rtype = self._resource(params)
        items = self.store.items(rtype.plural, params.get("namespace"))
        if rtype.plural == "namespaces":
            items = self._namespaces()
        labels, fields = request.arg("labelSelector"), request.arg("fieldSelector")
        chosen = [
            self.store.snapshot(o)
            for o in items
            if label_selector_matches(labels, o["metadata"].get("labels", {}))
            and field_selector_matches(fields, o)
        ]
        if not rtype.custom:
            for obj in chosen:
                obj.pop("kind", None), obj.pop("apiVersion", None)
        body = {
            "kind": f"{rtype.kind}List",
            "apiVersion": rtype.api_version,
            "metadata": {"resourceVersion": self.store.resource_version()},
            "items": chosen,
        }
        return ApiReply(200, body)

    def _namespaces(self) -> list[Json]:
        names = {"default", "kube-system"} | {ns for (_, ns, _) in self.store.objects if ns}
        return [
            {
                "metadata": {"name": n, "uid": n, "resourceVersion": "1"},
                "status": {"phase": "Active"},
            }
            for n in sorted(names)
        ]

    def _get(self, request: ApiRequest, params: dict[str, str]) -> ApiReply:
        rtype = self._resource(params)
        if rtype.plural == "namespaces":
            found = [n for n in self._namespaces() if n["metadata"]["name"] == params["name"]]
            return ApiReply(200, found[0]) if found else _reply(_missing(rtype, params["name"]))
        obj = self.store.get(rtype.plural, params.get("namespace", ""), params["name"])
        return ApiReply(200, self.store.snapshot(obj))

    def _patch(self, request: ApiRequest, params: dict[str, str]) -> ApiReply:
        rtype = self._resource(params)
        key = (rtype.plural, params.get("namespace", ""), params["name"])
        content_type = request.headers.get("content-type", "")
        patched = self.store.patch(rtype, key, request.json(), content_type)
        refresh(self.store)
        return ApiReply(200, self.store.snapshot(patched))

    def _log(self, request: ApiRequest, params: dict[str, str]) -> ApiReply:
        key = ("pods", params["namespace"], params["name"])
        pod = self.store.get(*key)
        waiting = pod["status"].get("containerStatuses", [{}])[0].get("state", {}).get("waiting")
        if (waiting and waiting["reason"] == "ContainerCreating") or not pod["spec"].get(
            "nodeName"
        ):
            container = pod["spec"]["containers"][0]["name"]
            reason = waiting["reason"] if waiting else "Pending"
            message = (
                f'container "{container}" in pod "{params["name"]}" is waiting to start: {reason}'
            )
            raise KubeStatusError(400, "BadRequest", message)
        lines = list(self.store.pods[key].logs)
        tail = request.arg("tailLines")
        if tail:
            lines = lines[-int(tail) :]
        return ApiReply(200, text="".join(f"{line}\n" for line in lines))

    def _evict(self, request: ApiRequest, params: dict[str, str]) -> ApiReply:
        evict(self.store, params["namespace"], params["name"])
        refresh(self.store)
        body = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Success",
            "code": 201,
        }
        return ApiReply(201, body)


def _missing(rtype: ResourceType, name: str) -> KubeStatusError:
    return KubeStatusError(404, "NotFound", f'{rtype.plural} "{name}" not found')


def _reply(error: KubeStatusError) -> ApiReply:
    return ApiReply(error.code, error.status())
