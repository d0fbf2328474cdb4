"""What every AWS action shares: typed params, the context, clients, and a `wait_for` bound to the clock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import JsonValue

from drctl.providers.aws.clients import AwsClients
from drctl.providers.base import ActionContext, Output, Params
from drctl.providers.retry import wait_for

P = TypeVar("P", bound=Params)
T = TypeVar("T")


class AwsAction(Generic[P]):
    """Base of the AWS actions; `clients` may be injected (tests, or one factory shared by a run)."""

    kind: ClassVar[str]
    Params: ClassVar[type[Params]]
    events: ClassVar[frozenset[str]] = frozenset()
    events_region: ClassVar[str | None] = None
    """Where CloudTrail records `events` when not in the step's region (a global service's home)."""

    def __init__(self, params: P, ctx: ActionContext, clients: AwsClients | None = None) -> None:
        self.params = params
        self.ctx = ctx
        self.clients = clients or shared_clients(ctx)

    def client(self, service: str, region: str) -> Any:
        """A boto3 client from the shared factory."""
        return self.clients.client(service, region)

    def wait(
        self, read: Callable[[], T], problem: Callable[[T], str], deadline: float, where: str
    ) -> T:
        """Poll `read` on the context's clock until `problem` is empty, paced by the step's estimate."""
        return wait_for(
            read,
            problem,
            clock=self.ctx.clock,
            deadline=deadline,
            where=where,
            expected_at=self.ctx.expected_at,
        )


_SHARING = threading.Lock()


def shared_clients(ctx: ActionContext) -> AwsClients:
    """The run's one client factory (one session, clients per service and region), made once."""
    with _SHARING:
        found = ctx.shared.get("aws")
        if not isinstance(found, AwsClients):
            found = ctx.shared["aws"] = AwsClients(ctx.settings, roles=ctx.aws_roles)
        return found


def dump(model: Any) -> Output:
    """A frozen read model as step output (JSON values only)."""
    out: Output = model.model_dump(mode="json")
    return out


def strings(values: Iterable[str]) -> list[JsonValue]:
    """Strings as a JSON list for step output."""
    return [v for v in values]
