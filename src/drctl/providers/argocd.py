"""ArgoCD actions over its REST API with a bearer token: `argocd.add-cluster` and `argocd.sync`.

`argocd.sync` is the seed's `argocd app sync --all` made idempotent: it syncs only the
selected applications that are not Synced and have no operation running, reports the
OutOfSync resources it found (drift), and waits until every one is Synced and Healthy.
httpx errors are translated once, in `argocd_errors()`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Self

import httpx
from pydantic import Field, SecretStr, model_validator

from drctl.errors import ConfigError, NotFoundError, ProviderError, StateError, ThrottledError
from drctl.model import Frozen
from drctl.providers.base import ActionContext, Outcome, Output, Params
from drctl.providers.retry import Backoff, wait_for

POLL = Backoff(base=0.5, cap=5.0)
TOKEN_HINT = "set the ArgoCD token (`argocd account generate-token`) in `token_env` (default ARGOCD_AUTH_TOKEN)"


class ArgoAccess(Params):
    """The ArgoCD server URL and where its API token comes from."""

    server: str
    token: SecretStr | None = None
    token_env: str = "ARGOCD_AUTH_TOKEN"
    insecure: bool = False
    request_timeout: float = Field(default=15.0, gt=0, le=300)


def _reply_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase
    return (
        str(body.get("message") or body.get("error") or body)
        if isinstance(body, dict)
        else str(body)
    )


def translate(err: httpx.HTTPStatusError, server: str, what: str) -> ProviderError:
    """The drctl error for an ArgoCD error answer."""
    status, message, where = (
        err.response.status_code,
        _reply_message(err.response),
        f"{what} on {server}",
    )
    if status in (401, 403):
        hint = (
            TOKEN_HINT
            if status == 401
            else "the token's account lacks ArgoCD RBAC permission (policy.csv) for this"
        )
        return ProviderError(
            f"credentials rejected by {server}: {message}", hint=hint, where=where, code=str(status)
        )
    if status == 404:
        return NotFoundError(
            message,
            hint="check the application or cluster name (`argocd app list`)",
            where=where,
            code="404",
        )
    if status == 429 or status >= 500:
        return ThrottledError(
            message,
            hint="ArgoCD is busy; the step retries",
            where=where,
            retryable=True,
            code=str(status),
        )
    return StateError(
        message,
        hint="see ArgoCD's message; the step is safe to repeat",
        where=where,
        code=str(status),
    )


@contextmanager
def argocd_errors(server: str, what: str) -> Iterator[None]:
    """Translate httpx errors raised inside the block into `ProviderError` subclasses."""
    try:
        yield
    except httpx.HTTPStatusError as err:
        raise translate(err, server, what) from err
    except httpx.TransportError as err:
        raise ProviderError(
            f"cannot reach ArgoCD at {server}: {err}",
            hint="check the server URL, network access and TLS settings",
            where=f"{what} on {server}",
            retryable=True,
            code="Unreachable",
        ) from err


class ArgoCdApi:
    """A small authenticated client for the endpoints drctl uses."""

    def __init__(self, access: ArgoAccess) -> None:
        token = (
            access.token.get_secret_value()
            if access.token
            else os.environ.get(access.token_env, "")
        )
        if not token:
            raise ConfigError(
                f"no ArgoCD token: environment variable {access.token_env} is not set",
                hint=TOKEN_HINT,
            )
        self.server = access.server.rstrip("/")
        self._http = httpx.Client(
            base_url=self.server,
            headers={"Authorization": f"Bearer {token}"},
            verify=not access.insecure,
            timeout=access.request_timeout,
        )

    def call(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        with argocd_errors(self.server, what):
            response = self._http.request(method, path, **kwargs)
            response.raise_for_status()
            return response.json()


class AppView(Frozen):
    """An application's sync and health status, its running operation and its drift."""

    name: str
    sync: str
    health: str
    operation: str
    message: str
    drift: list[str]
    destination_server: str = ""
    destination_name: str = ""

    @property
    def done(self) -> bool:
        return self.sync == "Synced" and self.health == "Healthy"

    def describe(self) -> str:
        drift = f"; OutOfSync: {', '.join(self.drift)}" if self.drift else ""
        last = (
            f"; last sync {self.operation}: {self.message}"
            if self.operation in ("Failed", "Error")
            else ""
        )
        return f"{self.name} ({self.sync}/{self.health}{drift}{last})"


def app_view(app: Any) -> AppView:
    status = app.get("status") or {}
    destination = (app.get("spec") or {}).get("destination") or {}
    operation = status.get("operationState") or {}
    drift = [
        f"{'/'.join(x for x in (r.get('group'), r.get('kind')) if x)} {r.get('namespace', '')}/{r.get('name')}"
        for r in status.get("resources") or []
        if r.get("status") == "OutOfSync"
    ]
    return AppView(
        name=app["metadata"]["name"],
        sync=(status.get("sync") or {}).get("status", "Unknown"),
        health=(status.get("health") or {}).get("status", "Unknown"),
        operation=operation.get("phase", ""),
        message=operation.get("message", ""),
        drift=drift,
        destination_server=destination.get("server", ""),
        destination_name=destination.get("name", ""),
    )


class _ArgoAction:
    """Shared plumbing: params, context, a lazily made client."""

    kind: ClassVar[str]
    Params: ClassVar[type[Params]]
    events: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, params: Any, ctx: ActionContext) -> None:
        self.params = params
        self.ctx = ctx
        self._api: ArgoCdApi | None = None

    @property
    def api(self) -> ArgoCdApi:
        if self._api is None:
            self._api = ArgoCdApi(self.params)
        return self._api


class SyncParams(ArgoAccess):
    """Applications to sync (`*` for all, like `argocd app sync --all`) and whether to prune.

    On an ArgoCD that deploys to several clusters, `*` means every application whose
    `spec.destination` is the DR cluster (`destination_server` or `destination_name`):
    applications of the failed primary never become Healthy and must not be waited on.
    """

    applications: list[str] = Field(default=["*"], min_length=1)
    prune: bool = False
    destination_server: str | None = None
    destination_name: str | None = None

    def targets(self, app: AppView) -> bool:
        """Whether `*` selects `app`: it deploys to the DR cluster, or no cluster is given."""
        if self.destination_server is None and self.destination_name is None:
            return True
        return (
            bool(app.destination_server) and app.destination_server == self.destination_server
        ) or (bool(app.destination_name) and app.destination_name == self.destination_name)


class Sync(_ArgoAction):
    """Sync the selected applications that are not Synced; wait until all are Synced and Healthy."""

    kind = "argocd.sync"
    Params = SyncParams

    def describe(self) -> str:
        p = self.params
        where = p.destination_server or p.destination_name
        to = f" deploying to {where}" if where and "*" in p.applications else ""
        return f"sync ArgoCD applications {', '.join(p.applications)}{to} on {p.server}"

    def apps(self) -> list[AppView]:
        found = self.api.call("GET", "/api/v1/applications", "list applications").get("items") or []
        views = {a.name: a for a in map(app_view, found)}
        wanted = self.params.applications
        missing = [n for n in wanted if n != "*" and n not in views]
        if missing:
            raise NotFoundError(
                f"ArgoCD has no application {', '.join(missing)}",
                hint="check the names with `argocd app list`",
                where=self.params.server,
            )
        return [
            v
            for name, v in sorted(views.items())
            if name in wanted or ("*" in wanted and self.params.targets(v))
        ]

    def current(self) -> Output:
        return {a.name: a.model_dump(mode="json", exclude={"name"}) for a in self.apps()}

    def apply(self) -> Outcome:
        apps = self.apps()
        to_sync = [a for a in apps if a.sync != "Synced" and a.operation != "Running"]
        for app in to_sync:
            self.api.call(
                "POST",
                f"/api/v1/applications/{app.name}/sync",
                f"sync application {app.name}",
                json={"prune": self.params.prune},
            )
            self.ctx.log(f"sync started for {app.name}")
        drift: Output = {a.name: list(a.drift) for a in apps if a.drift}
        detail = f"started sync of {len(to_sync)} of {len(apps)} application(s)"
        return Outcome(
            changed=bool(to_sync),
            detail=detail,
            output={"synced": [a.name for a in to_sync], "drift": drift},
        )

    def verify(self, deadline: float) -> Output:
        apps = wait_for(
            self._watch,
            _not_done,
            clock=self.ctx.clock,
            deadline=deadline,
            where=self.params.server,
            backoff=POLL,
        )
        return {"applications": {a.name: f"{a.sync}/{a.health}" for a in apps}}

    def _watch(self) -> list[AppView]:
        apps = self.apps()
        failed = [a for a in apps if a.operation in ("Failed", "Error") and a.sync != "Synced"]
        if failed:
            raise StateError(
                f"ArgoCD sync failed: {', '.join(a.describe() for a in failed)}",
                hint="fix the manifests or cluster, then run the step again (it re-syncs only what is OutOfSync)",
                where=self.params.server,
                code="SyncFailed",
            )
        return apps


def _not_done(apps: list[AppView]) -> str:
    waiting = [a.describe() for a in apps if not a.done]
    return f"applications not Synced and Healthy: {', '.join(waiting)}" if waiting else ""


class AddClusterParams(ArgoAccess):
    """The DR cluster to register and how ArgoCD authenticates to it (EKS IAM or a token)."""

    cluster_server: str
    name: str
    eks_cluster: str | None = None
    role_arn: str | None = None
    cluster_token_env: str | None = None
    ca_data: str | None = None
    insecure_cluster: bool = False

    @model_validator(mode="after")
    def _one_auth(self) -> Self:
        if bool(self.eks_cluster) == bool(self.cluster_token_env):
            raise ValueError("give exactly one of `eks_cluster` (IAM auth) or `cluster_token_env`")
        return self


class AddCluster(_ArgoAction):
    """Register the DR cluster with ArgoCD unless it is registered already."""

    kind = "argocd.add-cluster"
    Params = AddClusterParams

    def describe(self) -> str:
        return f"register cluster {self.params.name} ({self.params.cluster_server}) with ArgoCD {self.params.server}"

    def registered(self) -> Any | None:
        clusters = self.api.call("GET", "/api/v1/clusters", "list clusters").get("items") or []
        return next((c for c in clusters if c.get("server") == self.params.cluster_server), None)

    def current(self) -> Output:
        found = self.registered()
        return {"registered": found is not None, "name": (found or {}).get("name")}

    def apply(self) -> Outcome:
        if self.registered() is not None:
            return Outcome(
                changed=False, detail=f"{self.params.cluster_server} is already registered"
            )
        self.api.call(
            "POST", "/api/v1/clusters", f"register cluster {self.params.name}", json=self._cluster()
        )
        return Outcome(
            changed=True,
            detail=f"registered {self.params.name}",
            output={"server": self.params.cluster_server},
        )

    def verify(self, deadline: float) -> Output:
        found = wait_for(
            self.registered,
            lambda c: "" if c else f"cluster {self.params.cluster_server} not registered",
            clock=self.ctx.clock, deadline=deadline, where=self.params.server, backoff=POLL,
        )  # fmt: skip
        state = ((found or {}).get("connectionState") or {}).get("status", "Unknown")
        return {"server": self.params.cluster_server, "name": self.params.name, "connection": state}

    def _cluster(self) -> dict[str, Any]:
        p = self.params
        config: dict[str, Any] = {"tlsClientConfig": {"insecure": p.insecure_cluster}}
        if p.ca_data:
            config["tlsClientConfig"]["caData"] = p.ca_data
        if p.eks_cluster:
            config["awsAuthConfig"] = {"clusterName": p.eks_cluster} | (
                {"roleARN": p.role_arn} if p.role_arn else {}
            )
        else:
            token = os.environ.get(p.cluster_token_env or "", "")
            if not token:
                raise ConfigError(f"environment variable {p.cluster_token_env} holding the DR cluster's token is not set",
                                  hint="export the service account token ArgoCD should use for the DR cluster")  # fmt: skip
            config["bearerToken"] = token
        return {"server": p.cluster_server, "name": p.name, "config": config}
