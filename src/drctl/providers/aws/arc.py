"""Route 53 ARC routing controls: read and set their states on the cluster's regional endpoints.

Routing control state changes are ARC's data plane: a cluster has five regional endpoints
and AWS asks callers to try them in turn, signing each request for the endpoint's region,
rather than wait on one that is unavailable. A safety rule that would break answers
`ConflictException`, which no other endpoint changes; it is raised at once.
https://docs.aws.amazon.com/r53recovery/latest/dg/routing-control.update.api.html
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeVar

from drctl.errors import ProviderError
from drctl.providers.aws.clients import AwsClients, aws_errors

State = Literal["On", "Off"]
T = TypeVar("T")
SERVICE = "route53-recovery-cluster"
_NEXT_ENDPOINT = {
    "EndpointTemporarilyUnavailableException",
    "ThrottlingException",
    "InternalServerException",
}


def on_each_endpoint(
    clients: AwsClients, endpoints: Mapping[str, str], what: str, call: Callable[[Any], T]
) -> T:
    """`call(client)` on the first endpoint that answers; the last error when none does."""
    failures: list[str] = []
    for region, url in endpoints.items():
        try:
            with aws_errors(what, region):
                return call(clients.client_at(SERVICE, region, url))
        except ProviderError as err:
            if not (err.retryable or err.code in _NEXT_ENDPOINT):
                raise
            failures.append(f"{region}: {err.message}")
    raise ProviderError(
        f"no ARC cluster endpoint answered for {what} ({'; '.join(failures) or 'none given'})",
        hint="check the cluster's endpoints (`aws route53-recovery-control-config "
        "describe-cluster`) and network access to them",
        where=what,
        retryable=True,
        code="NoClusterEndpoint",
    )


def read_states(
    clients: AwsClients, endpoints: Mapping[str, str], controls: list[str]
) -> dict[str, str]:
    """The state (`On` / `Off`) of each routing control ARN."""

    def reader(arn: str) -> Callable[[Any], str]:
        return lambda c: str(
            c.get_routing_control_state(RoutingControlArn=arn)["RoutingControlState"]
        )

    return {
        arn: on_each_endpoint(clients, endpoints, f"routing control {arn}", reader(arn))
        for arn in controls
    }


def update_states(
    clients: AwsClients, endpoints: Mapping[str, str], wanted: Mapping[str, str]
) -> None:
    """Set several routing controls in one request (`UpdateRoutingControlStates`: all or none)."""
    entries = [{"RoutingControlArn": a, "RoutingControlState": s} for a, s in wanted.items()]
    on_each_endpoint(
        clients,
        endpoints,
        f"routing controls {', '.join(wanted)}",
        lambda c: c.update_routing_control_states(UpdateRoutingControlStateEntries=entries),
    )
