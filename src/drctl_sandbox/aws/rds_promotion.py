"""RDS `PromoteReadReplica` as a state machine: `modifying` → `rebooting` → `available`.

AWS: the promotion takes "several minutes or longer", the instance reboots, and while it
runs a second `PromoteReadReplica` (or any call that needs an available instance) fails
with `InvalidDBInstanceState` (USER_ReadRepl.Promote). The sandbox keeps the replica's
source link until the promotion is done (unconfirmed: AWS does not say when
`ReadReplicaSourceDBInstanceIdentifier` disappears; the latest moment is the conservative
reading) and spends the first 60 % of `rds_replica_promotion` modifying, the rest rebooting
(the split is unconfirmed).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from moto.rds.exceptions import DBInstanceNotFoundError, RDSClientError
from moto.rds.models import RDSBackend

from drctl_sandbox import latencies
from drctl_sandbox.aws import state_changes
from drctl_sandbox.clock import CLOCK

MODIFYING_SHARE = 0.6


@dataclass
class _Promotion:
    backend: RDSBackend
    kwargs: dict[str, Any]
    started_at: float
    took: float


_promotions: dict[str, _Promotion] = {}  # DB instance ARN -> promotion in progress
_lock = threading.RLock()


def install() -> None:
    """Wrap moto's (already unlinking) promotion and settle promotions before every describe."""
    RDSBackend.promote_read_replica = _promoting(RDSBackend.promote_read_replica)  # type: ignore[method-assign]
    describe = state_changes.settling(RDSBackend.describe_db_instances, settle)
    RDSBackend.describe_db_instances = describe  # type: ignore[method-assign]


def reset() -> None:
    """Forget promotions in progress (the server's reset)."""
    with _lock:
        _promotions.clear()


def _promoting(finish: Any) -> Any:
    def promote_read_replica(self: RDSBackend, db_kwargs: dict[str, Any]) -> Any:
        identifier = db_kwargs["db_instance_identifier"]
        with _lock:
            settle(finish)
            database = self.databases.get(identifier)
            if database is None:
                raise DBInstanceNotFoundError(identifier)
            if database.db_instance_arn in _promotions or database.status != "available":
                raise RDSClientError(
                    "InvalidDBInstanceState",
                    f"DB instance {identifier} is {database.status}; "
                    "it must be available to be promoted.",
                )
            if not database.is_replica:
                raise RDSClientError(
                    "InvalidDBInstanceState", f"DB instance {identifier} is not a read replica."
                )
            took = latencies.seconds("rds_replica_promotion")
            if took <= 0:
                return finish(self, db_kwargs)
            database.status = "modifying"
            _promotions[database.db_instance_arn] = _Promotion(
                self, dict(db_kwargs), CLOCK.now(), took
            )
            return database

    vars(promote_read_replica)["finish"] = finish
    return promote_read_replica


def settle(finish: Any | None = None) -> None:
    """Advance every promotion on the sandbox clock; finish those whose time has come."""
    complete = finish or vars(RDSBackend.promote_read_replica).get("finish")
    now = CLOCK.now()
    with _lock:
        for arn, promotion in list(_promotions.items()):
            database = promotion.backend.databases.get(promotion.kwargs["db_instance_identifier"])
            elapsed = now - promotion.started_at
            if database is None:
                del _promotions[arn]
            elif elapsed >= promotion.took:
                del _promotions[arn]
                database.status = "available"
                if complete is not None:
                    complete(promotion.backend, promotion.kwargs)
            elif elapsed >= promotion.took * MODIFYING_SHARE:
                database.status = "rebooting"
