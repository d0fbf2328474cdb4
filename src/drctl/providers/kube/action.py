"""What every Kubernetes action shares: typed params, the context, a lazy connection, waiting."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

from drctl.providers.base import ActionContext, Params
from drctl.providers.kube.access import KubeAccess, KubeConnection, connect
from drctl.providers.retry import Backoff, wait_for

P = TypeVar("P", bound=KubeAccess)
T = TypeVar("T")

POLL = Backoff(base=0.5, cap=5.0)


class KubeAction(Generic[P]):
    """Base of the `k8s.*` and `flux.*` actions; a connection may be injected."""

    kind: ClassVar[str]
    Params: ClassVar[type[Params]]
    events: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self, params: P, ctx: ActionContext, connection: KubeConnection | None = None
    ) -> None:
        self.params = params
        self.ctx = ctx
        self._connection = connection

    @property
    def kube(self) -> KubeConnection:
        """The API connection, made on first use (dry runs never connect)."""
        if self._connection is None:
            self._connection = connect(self.params, self.ctx.settings, self.ctx.aws_roles)
        return self._connection

    @property
    def target(self) -> str:
        return self.params.describe_target()

    def wait(self, read: Callable[[], T], problem: Callable[[T], str], deadline: float) -> T:
        """Poll `read` on the context's clock until `problem` is empty, else `StepTimeout`."""
        return wait_for(
            read, problem, clock=self.ctx.clock, deadline=deadline, where=self.target, backoff=POLL
        )
