"""The one place `kubernetes` client and urllib3 errors become drctl `ProviderError`s."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import urllib3
from kubernetes.client.exceptions import ApiException

from drctl.errors import NotFoundError, ProviderError, StateError, ThrottledError

AUTH_HINT = (
    "the API server refused the credentials: check `token_env`/`token` (expired?), the kubeconfig "
    "`context`, or for EKS that the IAM identity has an access entry in the cluster"
)
RBAC_HINT = (
    "the identity is authenticated but RBAC forbids this request: bind it to a role that allows it"
)
NOT_FOUND_HINT = "check the namespace and name; for ExternalSecrets and Flux objects check that the CRD is installed"


def _status_message(err: ApiException) -> tuple[str, str]:
    """The `Status` message (with any causes) and reason from an API error body."""
    try:
        status = json.loads(err.body or "")
    except ValueError:
        return (str(err.reason or "no response body"), "")
    if not isinstance(status, dict):
        return (str(err.reason), "")
    causes = [c.get("message", "") for c in (status.get("details") or {}).get("causes", [])]
    message = str(status.get("message") or err.reason)
    if any(causes):
        message += " (" + "; ".join(c for c in causes if c) + ")"
    return message, str(status.get("reason") or "")


def translate(err: ApiException, server: str, what: str) -> ProviderError:
    """The drctl error for an API error while doing `what` on `server`."""
    message, reason = _status_message(err)
    code, where = reason or str(err.status), f"{what} on {server}"
    if err.status in (401, 403):
        hint = AUTH_HINT if err.status == 401 else RBAC_HINT
        return ProviderError(
            f"credentials rejected by {server}: {message}", hint=hint, where=where, code=code
        )
    if err.status == 404:
        return NotFoundError(message, hint=NOT_FOUND_HINT, where=where, code=code)
    if err.status == 409:
        return StateError(
            message,
            hint="the object changed meanwhile; the step is safe to repeat",
            where=where,
            code=code,
        )
    if err.status == 429 or err.status >= 500:
        hint = "the API server is busy or a budget forbids this now; the step retries until its deadline"
        return ThrottledError(message, hint=hint, where=where, retryable=True, code=code)
    return ProviderError(message, hint="see the API server's message", where=where, code=code)


@contextmanager
def kube_errors(server: str, what: str) -> Iterator[None]:
    """Translate Kubernetes API and connection errors raised inside the block."""
    try:
        yield
    except ApiException as err:
        raise translate(err, server, what) from err
    except urllib3.exceptions.HTTPError as err:
        raise ProviderError(
            f"cannot reach the Kubernetes API at {server}: {err}",
            hint="check the server URL or kubeconfig context, network access and VPN",
            where=f"{what} on {server}",
            retryable=True,
            code="Unreachable",
        ) from err
